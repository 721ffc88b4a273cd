"""Evaluation runner: the gold set (retrieval + answers), BEIR datasets, and side-by-side comparisons."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import metrics
from .chunking import DEFAULT_CHUNK_TOKENS, DEFAULT_OVERLAP_TOKENS, count_tokens
from .build import write_index
from .documents import Document
from .embedding import Embedder
from .engine import RAG, canonical_model
from .errors import RagError
from .store import IndexSettings

DEFAULT_GOLD = "eval/gold.jsonl"
# The blind set: written by someone who read neither the code nor the gold set, frozen before any tuning.
DEFAULT_BLIND = "eval/blind.jsonl"
SPLITS = ("dev", "test", "blind", "all")
# Kinds that ask for one fact: their answers should be short.
SINGLE_FACT_KINDS = ("factoid", "paraphrase", "temporal")
DEFAULT_REPORTS = "eval/reports"
DEFAULT_CACHE = ".cache/eval"
RECALL_KS = (1, 3, 5, 10)
# Recall@k rewards long passages: five 240-token chunks read half as much text again as five 160-token ones.
# Recall within a reading budget, the passages taken in rank order until they fill this many tokens, compares
# chunk sizes on equal terms. 800 is five passages of the default size.
READING_BUDGET_TOKENS = 800
BUDGET_KEY = f"recall@{READING_BUDGET_TOKENS}tok"


@dataclass(frozen=True)
class GoldQuestion:
    """One question of the gold set (format documented in eval/README.md)."""

    id: str
    question: str
    kind: str
    split: str
    answerable: bool
    evidence: list[tuple[str, str]] = field(default_factory=list)  # (doc_id, quote)
    key_facts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EvalConfig:
    """One configuration to evaluate."""

    mode: str = "hybrid"
    k: int = 5
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS

    @property
    def label(self) -> str:
        """Short name used in tables and plots."""
        return f"{self.mode} k={self.k} chunk={self.chunk_tokens}/{self.overlap_tokens}"


def load_gold(path: str | Path, split: str = "all") -> list[GoldQuestion]:
    """Read the gold JSONL, keeping one split ("dev", "test", "blind": the blind file beside it) or all."""

    if split == "blind" and Path(path).name == Path(DEFAULT_GOLD).name:
        path = Path(path).with_name(Path(DEFAULT_BLIND).name)
    questions = []
    if not Path(path).is_file():
        raise RagError(f"gold set {path} does not exist; pass --gold with a JSONL file (format in eval/README.md)")
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                q = GoldQuestion(row["id"], row["question"], row["kind"], row["split"], bool(row["answerable"]),
                                 [(e["doc_id"], e["quote"]) for e in row.get("evidence", [])], list(row.get("key_facts", [])))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise RagError(f"{path}:{line_no}: not a gold question ({exc}); see eval/README.md for the format") from exc
            if split in ("all", q.split):
                questions.append(q)
    return questions


# ---------------------------------------------------------------- gold set


def evaluate_gold(engine, questions: Sequence[GoldQuestion], config: EvalConfig, *,
                  retrieval_depth: int = 10, progress: bool = True) -> dict:
    """Score retrieval (evidence-based, chunking-independent) and answers for every question."""
    from tqdm import tqdm

    documents = {d.doc_id: engine.index.document_text(d.doc_id) or "" for d in engine.documents()}
    qrels, run, rows, latencies = {}, {}, [], []
    for q in tqdm(questions, desc=f"eval {config.label}", disable=not progress, leave=False):
        passages = engine.search(q.question, k=retrieval_depth, mode=config.mode)
        budget_recall = None
        if q.answerable:
            qrels[q.id] = metrics.evidence_qrels(q.evidence)
            run[q.id] = metrics.evidence_run([(p.doc_id, p.text) for p in passages], q.evidence)
            # Deep enough that even the shortest chunks fill the budget.
            deep = engine.search(q.question, k=2 * -(-READING_BUDGET_TOKENS // config.chunk_tokens) + 10, mode=config.mode)
            read = deep[: metrics.passages_within_budget([count_tokens(p.text) for p in deep], READING_BUDGET_TOKENS)]
            budget_recall = metrics.evidence_recall([(p.doc_id, p.text) for p in read], q.evidence)
        started = time.perf_counter()
        answer = engine.ask(q.question, k=config.k, mode=config.mode)
        latencies.append(time.perf_counter() - started)
        citations = [(p.n, p.doc_id, p.start, p.end, p.text) for p in answer.citations]
        claim_texts = [c.text for c in answer.claims]
        precise = [metrics.claim_is_precise(documents.get(c.doc_id, "")[c.start:c.end], c.text, c.doc_id, q.evidence,
                                            q.key_facts) for c in answer.claims]
        rows.append({
            "id": q.id, "kind": q.kind, "split": q.split, "answerable": q.answerable, "question": q.question,
            "answer": answer.text, "abstained": answer.abstained, "confidence": round(answer.confidence, 4),
            "key_fact_recall": metrics.key_fact_recall(answer.text, q.key_facts) if q.answerable and not answer.abstained else 0.0,
            "citation_valid": metrics.citation_validity(answer.text, citations, documents),
            "citation_support": metrics.citation_support([(c.text, c.n) for c in answer.claims], {p.n: p.text for p in answer.citations}),
            "evidence_support": metrics.evidence_support([(p.doc_id, p.text) for p in answer.citations], q.evidence) if q.answerable else None,
            "cited": [p.doc_id for p in answer.citations],
            "abstain_reason": getattr(answer, "abstain_reason", ""),
            "claims": len(answer.claims), "sentences": sum(getattr(c, "sentences", 1) for c in answer.claims),
            "precise_claims": sum(precise),
            "lead_correct": q.answerable and not answer.abstained and metrics.lead_holds_key_facts(claim_texts, q.key_facts),
            BUDGET_KEY: budget_recall,
        })
    per_query = metrics.ir_measures(qrels, run, RECALL_KS)
    for row in rows:
        row.update(per_query.get(row["id"], {}))
    answerable = [r for r in rows if r["answerable"]]
    answered = [r for r in answerable if not r["abstained"]]
    summary = {
        "questions": len(rows),
        **{k: round(v, 4) for k, v in metrics.mean_measures(per_query).items()},
        BUDGET_KEY: _mean([r[BUDGET_KEY] for r in answerable]),
        "key_fact_accuracy": _mean([r["key_fact_recall"] == 1.0 for r in answerable]),
        "key_fact_recall": _mean([r["key_fact_recall"] for r in answerable]),
        "claim_precision": round(sum(r["precise_claims"] for r in answered) / max(1, sum(r["claims"] for r in answered)), 4),
        "lead_accuracy": _mean([r["lead_correct"] for r in answerable]),
        "sentences_per_factoid_answer": _mean([r["sentences"] for r in answered if r["kind"] in SINGLE_FACT_KINDS]),
        "citation_validity": _mean([r["citation_valid"] for r in rows]),
        "citation_support": _mean([r["citation_support"] for r in rows if not r["abstained"]]),
        "evidence_support": _mean([r["evidence_support"] for r in answered]),
        **{k: round(v, 4) for k, v in metrics.abstention_scores([r["abstained"] for r in rows], [r["answerable"] for r in rows]).items()},
        **{k: round(v, 2) for k, v in metrics.latency_percentiles(latencies).items()},
    }
    return {"config": asdict(config), "label": config.label, "summary": summary, "questions": rows}


def _mean(values: Sequence) -> float:
    values = [float(v) for v in values]
    return round(sum(values) / len(values), 4) if values else 0.0


def engine_for(config: EvalConfig, corpus: str | Path, cache: str | Path, embedder):
    """An engine over the corpus built with the config's chunking (cached between runs, updated incrementally)."""

    index_dir = Path(cache) / f"index-{config.chunk_tokens}-{config.overlap_tokens}"
    return RAG.build(corpus, index_dir, chunk_tokens=config.chunk_tokens, overlap_tokens=config.overlap_tokens,
                     embedder=embedder, progress=False)


# ---------------------------------------------------------------- BEIR


def load_beir(folder: str | Path, split: str = "test", limit: int | None = None):
    """(corpus rows, queries {id: text}, qrels {qid: {docid: rel}}) of a BEIR-format dataset."""

    folder = Path(folder)
    needed = [folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels" / f"{split}.tsv"]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        raise RagError(f"{folder} is not a BEIR dataset: missing {', '.join(missing)}")
    qrels: dict[str, dict[str, int]] = {}
    with open(needed[2], encoding="utf-8") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or parts[0] in ("query-id", "query_id"):
                continue
            if not parts[2].lstrip("-").isdigit():
                raise RagError(f"{needed[2]}: relevance {parts[2]!r} is not an integer; fix the qrels file")
            if int(parts[2]) > 0:
                qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    queries = {}
    with open(needed[1], encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["_id"] in qrels:
                queries[row["_id"]] = row["text"]
    query_ids = sorted(queries, key=lambda q: (len(q), q))[:limit] if limit else sorted(queries)
    queries = {q: queries[q] for q in query_ids}
    qrels = {q: qrels[q] for q in query_ids}
    corpus = []
    with open(needed[0], encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            corpus.append((str(row["_id"]), row.get("title") or "", row.get("text") or ""))
    if limit:  # a small slice: the judged documents plus a fixed sample of others
        judged = {d for rel in qrels.values() for d in rel}
        extra = [row for row in corpus if row[0] not in judged][: max(20 * limit, 200)]
        corpus = [row for row in corpus if row[0] in judged] + extra
    return corpus, queries, qrels


def beir_documents(corpus) -> list:
    """Documents for BEIR rows: the title as headline, the abstract as body."""
    import hashlib


    docs = []
    for doc_id, title, text in corpus:
        body = f"{title}\n\n{text}" if title else text
        docs.append(Document(doc_id=doc_id, title=title or doc_id, text=body,
                             content_hash=hashlib.sha256(body.encode()).hexdigest()))
    return docs


@dataclass(frozen=True)
class BeirRun:
    """What a BEIR evaluation runs: the retrieval modes, the chunking of its index, how deep each ranking goes,
    the first `limit` queries (None: all) and the hybrid's fusion."""

    modes: Sequence[str] = ("dense", "bm25", "hybrid")
    chunk_tokens: int = 512
    overlap_tokens: int = 64
    depth: int = 100
    limit: int | None = None
    fusion: str = "relative"


def evaluate_beir(folder: str | Path, run_as: BeirRun = BeirRun(), *, embedder=None, cache: str | Path = DEFAULT_CACHE,
                  progress: bool = True) -> dict:
    """nDCG@10 and recall of each mode on a BEIR dataset, passages aggregated to documents by max score."""
    from tqdm import tqdm

    modes, depth, limit, fusion = run_as.modes, run_as.depth, run_as.limit, run_as.fusion
    corpus, queries, qrels = load_beir(folder, limit=limit)
    embedder = embedder or Embedder.load()
    index_dir = Path(cache) / f"beir-{Path(folder).name}-{limit or 'all'}-{run_as.chunk_tokens}-{run_as.overlap_tokens}"
    settings = IndexSettings(canonical_model(embedder.name), run_as.chunk_tokens, run_as.overlap_tokens,
                             embed_sentences=False, pooled_chunks=False)  # no sentences: the chunks themselves are encoded
    started = time.perf_counter()
    report = write_index(index_dir, beir_documents(corpus), embedder, settings, progress=progress)
    build_seconds = time.perf_counter() - started
    engine = RAG.load(index_dir, embedder=embedder)
    results = {}
    for mode in modes:
        run, latencies = {}, []
        for qid, text in tqdm(queries.items(), desc=f"beir {mode}", disable=not progress, leave=False):
            t0 = time.perf_counter()
            hits = engine.search(text, k=depth, mode=mode, fusion=fusion)
            latencies.append(time.perf_counter() - t0)
            best: dict[str, float] = {}
            for rank, hit in enumerate(hits):  # a document ranks by its best passage
                best.setdefault(hit.doc_id, float(depth - rank))
            run[qid] = best
        per_query = metrics.ir_measures(qrels, run, (1, 5, 10, 100))
        results[mode] = {**{k: round(v, 4) for k, v in metrics.mean_measures(per_query).items()},
                         **{k: round(v, 2) for k, v in metrics.latency_percentiles(latencies).items()}}
    return {"dataset": str(folder), "documents": len(corpus), "queries": len(queries), "chunks": report.n_chunks,
            "build_seconds": round(build_seconds, 1), "embedded": len(report.embedded), "fusion": fusion, "results": results}


# ---------------------------------------------------------------- reports


SUMMARY_COLUMNS = ("recall@1", "recall@5", "recall@10", BUDGET_KEY, "mrr", "ndcg@10", "key_fact_accuracy", "claim_precision",
                   "lead_accuracy", "sentences_per_factoid_answer", "citation_validity",
                   "citation_support", "abstention_precision", "abstention_recall", "false_abstention_rate",
                   "latency_p50_ms", "latency_p95_ms")


def markdown_table(rows: Sequence[tuple[str, dict]], columns: Sequence[str]) -> str:
    """A Markdown table with one row per (label, values)."""
    head = "| config | " + " | ".join(columns) + " |"
    rule = "|---|" + "---|" * len(columns)
    body = ["| " + label + " | " + " | ".join(_fmt(values.get(c)) for c in columns) + " |" for label, values in rows]
    return "\n".join([head, rule, *body])


def _fmt(value) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def write_reports(out_dir: str | Path, name: str, payload: dict, table: str) -> tuple[Path, Path]:
    """Write <name>.json and <name>.md under out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / f"{name}.json", out / f"{name}.md"
    json_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(f"# Evaluation: {name}\n\n{table}\n", encoding="utf-8")
    return json_path, md_path


def plot_recall_curves(results: Sequence[dict], path: str | Path) -> Path:
    """Save recall@k curves of several configurations as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for result in results:
        ax.plot(RECALL_KS, [result["summary"][f"recall@{k}"] for k in RECALL_KS], marker="o", label=result["label"])
    ax.set_xlabel("k (passages retrieved)")
    ax.set_ylabel("evidence recall@k")
    ax.set_xticks(RECALL_KS)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Gold set: recall@k by configuration")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


# ---------------------------------------------------------------- command line


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `rag eval`."""
    parser.description = "Evaluate on the gold set (default) or a BEIR dataset (--beir DIR)."
    parser.epilog = ("examples:\n  rag eval --split test\n  rag eval --compare\n"
                     "  rag eval --beir ../shared/bench/scifact\n  rag eval --beir ../shared/bench/scifact --limit 30")
    parser.add_argument("--gold", default=DEFAULT_GOLD, help=f"gold set JSONL (default: {DEFAULT_GOLD})")
    parser.add_argument("--corpus", default="seeds", help="articles the gold set is about (default: seeds)")
    parser.add_argument("--split", choices=SPLITS, default="all",
                        help="which part of the gold set (blind: the frozen blind set beside it)")
    parser.add_argument("--mode", choices=("hybrid", "dense", "bm25"), default="hybrid", help="retrieval mode (default: hybrid)")
    parser.add_argument("-k", "--k", type=int, default=5, help="passages given to the answer stage (default: 5)")
    parser.add_argument("--chunk-tokens", type=int, default=160, help="chunk size in cl100k tokens (default: 160)")
    parser.add_argument("--overlap-tokens", type=int, default=32, help="overlap between chunks (default: 32)")
    parser.add_argument("--compare", action="store_true", help="dense, bm25, hybrid and two chunk sizes side by side")
    parser.add_argument("--beir", metavar="DIR", help="score retrieval on a BEIR-format dataset instead")
    parser.add_argument("--fusion", choices=("rrf", "relative"), default="relative", help="hybrid fusion for --beir")
    parser.add_argument("--limit", type=int, default=None, help="only the first N queries (a quick slice)")
    parser.add_argument("--out", default=DEFAULT_REPORTS, help=f"report folder (default: {DEFAULT_REPORTS})")
    parser.add_argument("--cache", default=DEFAULT_CACHE, help=f"where evaluation indexes are kept (default: {DEFAULT_CACHE})")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run_eval_command(args: argparse.Namespace) -> int:
    """Carry out `rag eval`; prints a table and writes JSON + Markdown reports."""

    embedder = Embedder.load()
    progress = not args.quiet
    if args.beir:
        payload = evaluate_beir(args.beir, BeirRun(limit=args.limit, fusion=args.fusion), embedder=embedder,
                                cache=args.cache, progress=progress)
        columns = ("ndcg@10", "recall@10", "recall@100", "mrr", "latency_p50_ms", "latency_p95_ms")
        table = markdown_table([(mode, values) for mode, values in payload["results"].items()], columns)
        name = f"beir-{Path(args.beir).name}" + (f"-limit{args.limit}" if args.limit else "")
        print(f"{payload['dataset']}: {payload['documents']} documents, {payload['queries']} queries, "
              f"{payload['chunks']} passages, built in {payload['build_seconds']} s\n")
    else:
        questions = load_gold(args.gold, args.split)
        if args.limit:
            questions = questions[: args.limit]
        if args.compare:
            configs = [EvalConfig(mode, args.k, args.chunk_tokens, args.overlap_tokens) for mode in ("dense", "bm25", "hybrid")]
            configs.append(EvalConfig("hybrid", args.k, args.chunk_tokens // 2, args.overlap_tokens // 2))
            configs.append(EvalConfig("hybrid", args.k, args.chunk_tokens * 3 // 2, args.overlap_tokens))
        else:
            configs = [EvalConfig(args.mode, args.k, args.chunk_tokens, args.overlap_tokens)]
        results = []
        for config in configs:
            engine = engine_for(config, args.corpus, args.cache, embedder)
            results.append(evaluate_gold(engine, questions, config, progress=progress))
        payload = {"gold": args.gold, "split": args.split, "results": results}
        table = markdown_table([(r["label"], r["summary"]) for r in results], SUMMARY_COLUMNS)
        # Named after the question file, so another set's report (eval/answerability.jsonl) keeps gold's.
        name = f"{Path(args.gold).stem}-{args.split}" + ("-compare" if args.compare else "")
        if args.compare:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            print(f"recall@k plot: {plot_recall_curves(results, Path(args.out) / f'{name}-recall.png')}")
    json_path, md_path = write_reports(args.out, name, payload, table)
    print(table)
    print(f"\nreports: {json_path}, {md_path}")
    return 0

