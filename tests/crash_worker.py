"""Subprocess for the crash tests: loads the model and the parser, says READY, then rewrites the index in a loop until killed.

Usage: python -m tests.crash_worker build CORPUS INDEX ORIGINAL   (toggle one article, RAG.build)
       python -m tests.crash_worker add CORPUS INDEX ORIGINAL     (upload a file and remove it: engine.add / remove)
       python -m tests.crash_worker merge CORPUS INDEX ORIGINAL   (upload, merge every segment, remove)
ORIGINAL holds the toggled article's original text. With RAG_CRASH_AT=FUNCTION:before|after[:N] the worker kills
itself with SIGKILL just before or after its Nth (default first) call of rag.store.writer.FUNCTION (a failpoint the test
chooses), so a kill lands at that step whatever the timing. In merge mode only calls made by the merge count, so the
kill lands in the merge whether or not the upload was already live when the worker started.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from pathlib import Path

from rag import RAG
from rag.attribution import load_parser
from rag.embedding import Embedder, configure_runtime

TOGGLED = "004_105da86cbff68d84.txt"
EXTRA_SENTENCE = "\nIn a later statement, officials said the drone transfers had continued through the winter.\n"
UPLOAD_TEXT = "Radar sale\n\nRussia agreed to sell the Rezonans-NE radar system to Iran, officials said on Monday.\n"


def toggle(path: Path, original: str) -> None:
    """Switch the file between its original text and the text plus one sentence."""
    current = path.read_text(encoding="utf-8")
    path.write_text(original if current != original else original + EXTRA_SENTENCE, encoding="utf-8")


def arm_failpoint(spec: str, armed: list[bool]) -> None:
    """Make rag.store.writer.FUNCTION kill this process before or after its Nth call made while `armed[0]` is true."""
    import rag.store.writer as index_module

    name, when, *nth = spec.split(":")
    original = getattr(index_module, name)
    calls = [0]

    @functools.wraps(original)
    def crash(*args, **kwargs):
        if not armed[0]:
            return original(*args, **kwargs)
        calls[0] += 1
        if calls[0] < int(nth[0] if nth else 1):
            return original(*args, **kwargs)
        if when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(index_module, name, crash)


def main() -> None:
    mode, corpus, index, original_path = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
    configure_runtime()
    embedder = Embedder.load()
    original = original_path.read_text(encoding="utf-8")
    engine = RAG.load(index, embedder=embedder)
    load_parser()  # loaded before READY, as the model is, so that random kills land in the writes, not the loading
    armed = [mode != "merge"]
    if os.environ.get("RAG_CRASH_AT"):
        arm_failpoint(os.environ["RAG_CRASH_AT"], armed)
    print("READY", flush=True)
    upload = original_path.parent / "upload" / "zz_upload.txt"
    upload.parent.mkdir(exist_ok=True)
    while True:
        if mode == "build":
            toggle(corpus / TOGGLED, original)
            RAG.build(corpus, index, embedder=embedder, progress=False)
            print("WROTE", flush=True)
        elif mode == "add":
            upload.write_text(UPLOAD_TEXT, encoding="utf-8")
            engine.add([upload])
            print("WROTE", flush=True)
            engine.remove(["zz_upload"])
        else:
            upload.write_text(UPLOAD_TEXT, encoding="utf-8")
            engine.add([upload])
            armed[0] = True
            engine.merge(names=[s.name for s in engine.index.segments])
            armed[0] = False
            print("WROTE", flush=True)
            engine.remove(["zz_upload"])


if __name__ == "__main__":
    main()
