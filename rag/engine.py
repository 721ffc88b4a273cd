"""The RAG facade: wires documents → chunks → embeddings → index → retrieval → answer."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .answer import Answer
from .answer.base import Quoting, Writing, with_fallback
from .answer.extractive import Question
from .answer.news import news_aware
from .chunking import count_tokens
from .conversation import Context, needs_speaker, rewrite_followup
from .documents import list_article_files, read_documents
from .embedding import DEFAULT_MODEL, Embedder, resolve_model
from .errors import IndexMismatchError, QueryError, RagError
from .language import foreign_language
from .build import WritePlan, write_index
from .store import (CURRENT_FILE, BuildReport, DocumentRecord, Index, IndexSettings, merge_segments, open_index,
                    read_manifest, refused_writes, token_stopwords, VectorShape)
from .library import forget, library_dir, store
from .model import Passage, TimeFrame
from .options import AskOptions, BuildOptions, ask_options, build_options, search_options
from .retrieval import SearchOptions, search_in_time, search_index
from .store.segments import plan_merge
from .timeframe import read_timeframe
from .answer.llm import LLMSettings
from .answer.reader import Reader
from .attribution import people, tag_words
from .distributed import ray_embedder

MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True)
class AskEvent:
    """One step of a streamed answer: the passages found, a piece of generated text, or the final answer."""

    kind: str  # "passages" | "token" | "answer"
    passages: list[Passage] = dataclasses.field(default_factory=list)
    text: str = ""
    answer: Answer | None = None


def context_of(answer: Answer) -> Context:
    """What a follow-up can lean on from an answered turn: its query, and the person it was about: who says its
    lead sentence, else the first person that sentence names, else the last one the query names."""

    query = answer.query or answer.question
    lead = answer.claims[0] if answer.claims and not answer.abstained else None
    named = [*(people(lead.text)[:1] if lead else []), *people(query)[-1:]]
    return Context(query, (lead.speaker if lead else None) or next(iter(named), None))


def canonical_model(name: str | None) -> str:
    """The name recorded in manifests: the bundled default under one name, anything else as given."""
    if name in (None, "") or resolve_model(name) == resolve_model(None):
        return DEFAULT_MODEL
    return str(name)


def _manifest_or_empty(index_dir: str | Path) -> dict:
    """The live manifest, or {} when there is no readable index yet."""
    try:
        return read_manifest(index_dir)
    except RagError:
        return {}


def check_question(question: str) -> str:
    """Strip a question and refuse empty or over-long ones."""
    if not isinstance(question, str) or not question.strip():
        raise QueryError("the question is empty; type a question about the articles")
    question = question.strip()
    if "\x00" in question or any("\ud800" <= ch <= "\udfff" for ch in question):
        raise QueryError("the question contains invalid characters (NUL or unpaired surrogates); retype it as plain text")
    if len(question) > MAX_QUESTION_CHARS:
        raise QueryError(f"the question is {len(question):,} characters long; keep it under {MAX_QUESTION_CHARS:,}")
    return question


class RAG:
    """Cited question answering over an index folder. Safe to query from several threads."""

    def __init__(self, index: Index, embedder: Embedder | None, index_dir: str | Path, *, model: str | None = None):
        self._index = index
        self._embedder = embedder
        self._model = model  # loaded on first use: listing or removing articles needs no model
        self._model_lock = threading.Lock()
        self._reader = None
        self.index_dir = Path(index_dir)
        self.last_report: BuildReport | None = None
        self._write_lock = threading.Lock()
        self._reopen_lock = threading.Lock()
        self._merger: threading.Thread | None = None
        self.auto_merge = True  # add() and remove() start a background merge when the policy finds one due

    @property
    def embedder(self) -> Embedder:
        """The embedding model, loaded on first use and checked against the index's vectors."""
        if self._embedder is None:
            with self._model_lock:
                if self._embedder is None:
                    embedder = Embedder.load(self._model)
                    dimension = self._index.manifest["dimension"]
                    if embedder.dimension != dimension:
                        raise IndexMismatchError(
                            f"model {embedder.name!r} gives {embedder.dimension}-d vectors but the index holds "
                            f"{dimension}-d; rebuild with `rag build --rebuild --model ...`")
                    self._embedder = embedder
        return self._embedder

    @property
    def reader(self):
        """The cross-encoder that reads (question, sentence) and (premise, hypothesis) pairs, loaded on first use."""
        if self._reader is None:
            with self._model_lock:
                if self._reader is None:

                    self._reader = Reader.load()
        return self._reader

    # ------------------------------------------------------------ construction

    @classmethod
    def build(cls, corpus: str | Path | Sequence[str | Path], index_dir: str | Path = "index",
              options: BuildOptions | None = None, *, embedder: Embedder | None = None, progress: bool = True,
              **changes) -> RAG:
        """Build the index for a folder (or list) of articles, re-embedding only new or changed ones.

        `options` (a BuildOptions) with `changes` by name (model=..., chunk_tokens=160, rebuild=True, ray="local",
        pooled_chunks=False, ...; see BuildOptions); `embedder` reuses a loaded model."""
        o = build_options(options, changes)  # checked before the model loads
        paths = list_article_files(corpus) if isinstance(corpus, str | Path) else [Path(p) for p in corpus]
        # The library is the corpus plus what was added from elsewhere (kept in the managed folder), less what a
        # user removed: a rebuild or a restart neither drops an added article nor brings back a removed one.
        managed = library_dir(index_dir)
        if managed.is_dir():
            stems = {p.stem for p in paths}
            paths += [p for p in list_article_files(managed) if p.stem not in stems]
        removed = set(_manifest_or_empty(index_dir).get("removed_by_user", []))
        docs, errors = read_documents(paths)
        docs = [d for d in docs if d.doc_id not in removed]
        if not docs:
            detail = "; ".join(str(e) for e in errors) or "no article files found"
            raise RagError(f"no article could be indexed from {corpus}: {detail}")
        embedder = embedder or Embedder.load(o.model)
        settings = IndexSettings(canonical_model(o.model if o.model is not None else embedder.name),
                                 o.chunk_tokens, o.overlap_tokens, embed_sentences=o.embed_sentences,
                                 pooled_chunks=o.pooled_chunks)
        embed = None if o.ray is None else ray_embedder(None if o.ray == "local" else o.ray, workers=o.ray_workers,
                                                        model=o.model)
        report = write_index(index_dir, docs, embedder, settings,
                             WritePlan(reuse=not o.rebuild, errors=errors, embed=embed), progress=progress)
        engine = cls(open_index(index_dir, settings), embedder, index_dir)
        engine.last_report = report
        engine._merge_when_due()  # a build from the corpus updates in segments too
        return engine

    @classmethod
    def load(cls, index_dir: str | Path = "index", *, model: str | None = None, chunk_tokens: int | None = None,
             overlap_tokens: int | None = None, embedder: Embedder | None = None) -> RAG:
        """Open an index; asking for another model or chunk settings than it was built with is an error."""
        manifest = read_manifest(index_dir)
        try:
            built = IndexSettings.from_manifest(manifest)
        except (TypeError, KeyError) as exc:
            raise IndexMismatchError(f"index at {index_dir} was written by another version ({exc}); "
                                     f"rebuild it with `rag build SEEDS_DIR --rebuild --index {index_dir}`") from exc
        wanted_model = canonical_model(model) if model is not None else (canonical_model(embedder.name) if embedder else built.model)
        expected = IndexSettings(wanted_model, chunk_tokens if chunk_tokens is not None else built.chunk_tokens,
                                 overlap_tokens if overlap_tokens is not None else built.overlap_tokens,
                                 embed_sentences=built.embed_sentences, pooled_chunks=built.pooled_chunks,
                                 attribution=built.attribution)  # an older reading still serves until a rebuild
        index = open_index(index_dir, expected)
        if embedder is not None and embedder.dimension != manifest["dimension"]:
            raise IndexMismatchError(f"model {embedder.name!r} gives {embedder.dimension}-d vectors but the index holds "
                                     f"{manifest['dimension']}-d; rebuild with `rag build --rebuild --model ...`")
        return cls(index, embedder, index_dir, model=None if built.model == DEFAULT_MODEL else built.model)

    # ------------------------------------------------------------ queries

    @property
    def index(self) -> Index:
        """The live index generation: replaced whole by add/remove, here or in another process (`rag add` while
        the app runs), which is noticed on the next call by reading the index's CURRENT pointer."""
        try:
            current = (self.index_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            return self._index
        if current != self._index.generation.name:
            with self._reopen_lock:
                if current != self._index.generation.name:
                    with contextlib.suppress(RagError):  # mid-switch or damaged: keep serving the one we have
                        self._index = open_index(self.index_dir, self._reopen_settings(), previous=self._index)
        return self._index

    def _reopen_settings(self) -> IndexSettings:
        """What a new generation must have been built with to be served here: the same model and chunking; how its
        speakers were read and its chunk vectors made may change under a running server (a rebuild by a newer
        version re-reads speakers, and pools chunk vectors by default)."""
        try:
            built = IndexSettings.from_manifest(read_manifest(self.index_dir))
        except (KeyError, TypeError):  # another version's manifest: open_index says so, and the old one serves on
            return self._index.settings
        return dataclasses.replace(self._index.settings, attribution=built.attribution,
                                   pooled_chunks=built.pooled_chunks)

    def search(self, query: str, options: SearchOptions | None = None, **changes) -> list[Passage]:
        """The passages that best match the query: `options` (a SearchOptions) with `changes` by name (k=3,
        mode="bm25", sources=[...], date_from="2024", mmr_lambda=1.0, ...; see SearchOptions)."""
        options = search_options(options, changes)
        query = check_question(query)
        index = self.index  # one generation for the whole call, even if an update lands meanwhile
        vector = self.embedder.encode_query(query) if options.mode != "bm25" else None
        return search_index(index, query, vector, options)

    def ask(self, question: str, options: AskOptions | SearchOptions | None = None, *,
            history: Sequence[str | Answer] = (), **changes) -> Answer:
        """Answer from the articles with cited sentences, or abstain and say why.

        `options` (an AskOptions, or a SearchOptions for the search alone) with `changes` by name: any field of
        either (k=3, sources=[...], date_from="2024", answerer="llm", read_time=False, ...).
        `answerer="llm"` writes the answer with an OpenAI-compatible endpoint (`llm`: an LLMSettings, else the
        RAG_LLM_* environment variables) and keeps only the sentences the cited passages support.
        `read_time` reads the question's time words ("since 2023", "last year", "most recent", "timeline of") as
        a publication window or a date order, unless `date_from`/`date_to` are given; the answer's `timeframe`
        says what was read.
        `history` holds the conversation's earlier turns, oldest first (their questions, or the Answers they got):
        a question that leans on them ("What did Iran say in response?") is searched for as its rewrite (see
        `follow_up_query`); the answer keeps the question as asked and says what was searched in `query`.
        """
        answer = None
        for event in self.ask_stream(question, options, history=history, **changes):
            answer = event.answer or answer
        return answer

    def ask_stream(self, question: str, options: AskOptions | SearchOptions | None = None, *,
                   history: Sequence[str | Answer] = (), **changes) -> Iterator[AskEvent]:
        """`ask` step by step: the passages as soon as retrieval is done, generated text as it streams, the answer."""
        options = ask_options(options, changes)
        asked = check_question(question)
        foreign = foreign_language(asked)
        if foreign:
            raise QueryError(f"the question reads as {foreign}; this tool reads questions in English (its articles "
                             "and models are English): ask it in English")
        question = self.follow_up_query(asked, history, options) if history else asked
        search = options.search
        llm = (options.llm or LLMSettings.resolve()) if options.answerer == "llm" else None
        index = self.index
        # One forward pass gives the question's vector and its wordpiece vectors (for choosing the lead sentence).
        vectors, tokens = self.embedder.encode_tokens([question], stopwords=token_stopwords())
        vector, query = vectors[0], Question(question, vectors[0], tokens[0])
        timeframe = read_timeframe(question, index.newest_published()) if options.read_time else TimeFrame()
        if search.date_from or search.date_to:  # the user's own window wins over the question's words
            timeframe = dataclasses.replace(timeframe, date_from=None, date_to=None, phrase="")
        passages = search_in_time(index, question, vector, timeframe, search)
        yield AskEvent("passages", passages=passages)

        # A date filter leaves undated articles out: say so rather than drop them silently.
        undated = index.undated_count() if (search.date_from or search.date_to) else 0

        def read(question: str, sentences: list[str]):  # the reader loads only when an answer is quoted
            return self.reader.answer_scores(question, sentences)

        def finish(answer: Answer) -> Answer:
            answer = dataclasses.replace(answer, question=question)  # the question read, follow-ups included
            answer = dataclasses.replace(news_aware(index, answer, vector, timeframe, lambda: self.reader),
                                         question=asked, query=question)
            if undated:
                note = (f"{undated} undated article{'s are' if undated > 1 else ' is'} not searched with a date "
                        "filter; clear the dates to include them.")
                answer = dataclasses.replace(answer, notes=[*answer.notes, note])
            return answer

        quoting = Quoting(options.abstain_threshold, read)

        def quoted(note: str) -> Answer:
            fallback = finish(next(quoting.stream(index, query, passages)))  # quoting yields its answer alone
            return dataclasses.replace(fallback, notes=[*fallback.notes, note])

        answerer = Writing(llm, self.embedder.encode, count_tokens) if llm is not None else quoting
        for piece in with_fallback(answerer.stream(index, query, passages), finish, quoted):
            yield AskEvent("token", text=piece) if isinstance(piece, str) else AskEvent("answer", answer=piece)

    def follow_up_query(self, question: str, history: Sequence[str | Answer], options: AskOptions | None = None) -> str:
        """What `question` asks after the earlier turns `history` (oldest first): the question itself when it stands
        on its own, else its rewrite with the earlier queries' terms and the previous answer's speaker
        (rag.conversation). An earlier turn given as its question alone is read the same way in turn; its answer
        is found (with `options`' search, quoted) only when the next question leans on who said it, so the
        same conversation reads the same whether it comes with its answers (the app) or without (CLI, /ask)."""

        quoting = dataclasses.replace(options or AskOptions(), answerer="extractive", llm=None)
        turns = [t if isinstance(t, Answer) else check_question(t) for t in [*history, question]]
        tags = [None if isinstance(t, Answer) else tag_words(t) for t in turns]  # each question parsed once
        contexts: list[Context] = []
        for i, turn in enumerate(turns[:-1]):
            answer = turn if isinstance(turn, Answer) else None
            query = answer.query or answer.question if answer else rewrite_followup(turn, contexts, tags[i])
            # Who said an answer is needed (and an unanswered turn answered) only for a next question's "he".
            if tags[i + 1] is not None and needs_speaker(turns[i + 1], tags[i + 1]):
                contexts.append(context_of(answer or self.ask(query, quoting)))
            else:
                contexts.append(Context(query))
        query = rewrite_followup(turns[-1], contexts, tags[-1])
        return query if len(query) <= MAX_QUESTION_CHARS else turns[-1]

    def documents(self) -> list[DocumentRecord]:
        """The indexed articles."""
        return self.index.documents()

    # ------------------------------------------------------------ updates

    @property
    def library_dir(self) -> Path:
        """The managed folder where articles added from elsewhere are kept (see rag.library)."""
        return library_dir(self.index_dir)

    def add(self, paths: Iterable[str | Path], *, progress: bool = False) -> BuildReport:
        """Index (or re-index) files, keeping every other document; bad files are reported, not indexed.

        Each good file is copied into the managed folder first, so the index can be rebuilt without the original.
        """
        docs, errors = read_documents([Path(p) for p in paths])
        with refused_writes(self.index_dir):  # a full disk or a read-only folder: an error naming the fix
            stored = dict(zip([d.doc_id for d in docs], store([d.path for d in docs], self.library_dir)))
        docs = [dataclasses.replace(d, path=str(stored[d.doc_id])) for d in docs]
        with self._write_lock:
            report = write_index(self.index_dir, docs, self.embedder, self._index.settings,
                                 WritePlan(keep_existing=True, errors=errors), progress=progress)
            self._index = open_index(self.index_dir, self._index.settings, previous=self._index)
        self.last_report = report
        self._merge_when_due()
        return report

    def merge(self, names: Sequence[str] | None = None) -> list[str]:
        """Merge index segments now: those the size-tiered policy picks, or `names`; returns the merged ones."""
        merged = merge_segments(self.index_dir, names)
        if merged:
            with self._write_lock:
                self._index = open_index(self.index_dir, self._index.settings, previous=self._index)
        return merged

    def wait_for_merges(self) -> None:
        """Block until a background merge started by add() or remove() has finished."""
        if self._merger is not None:
            self._merger.join()

    def _merge_when_due(self) -> None:
        # Merging is the policy's work, not the update's: it runs beside the caller, who already has the update.
        # The thread is not a daemon, so a command that exits waits for the merge rather than wasting it.
        if not self.auto_merge or not plan_merge({s.name: s.n_live_chunks for s in self._index.segments}):
            return
        if self._merger is not None and self._merger.is_alive():
            return
        self._merger = threading.Thread(target=self.merge, name="rag-merge")
        self._merger.start()

    def remove(self, doc_ids: Iterable[str]) -> BuildReport:
        """Drop documents by id; unknown ids are an error naming them."""
        doc_ids = list(doc_ids)
        with self._write_lock:
            known = set(read_manifest(self.index_dir)["documents"])  # the live index, even if another process changed it
            unknown = sorted(set(doc_ids) - known)
            if unknown:
                raise RagError(f"no indexed document has id {', '.join(map(repr, unknown))}; see `rag docs` for the ids")
            # Nothing is embedded: the vectors' shape is all the writer needs, so no model is loaded.
            shape = self._embedder or VectorShape(self._index.manifest["dimension"], self._index.manifest["max_seq_length"])
            report = write_index(self.index_dir, [], shape, self._index.settings,
                                 WritePlan(keep_existing=True, drop_doc_ids=frozenset(doc_ids)), progress=False)
            self._index = open_index(self.index_dir, self._index.settings, previous=self._index)
            for doc_id in doc_ids:  # its managed copy, if it had one; a corpus file stays, remembered as removed
                forget(doc_id, self.library_dir)
        self.last_report = report
        self._merge_when_due()
        return report

