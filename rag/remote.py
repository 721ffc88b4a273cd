"""A running app answers the command line: `rag ask` and `rag search` without loading the model (it takes 15 s;
the app has it).

The app (`rag serve`, `python app.py`) writes INDEX/app.json with its address while it serves that index and
removes it when it stops. `rag ask` and `rag search` read it and call the app's `/ask` or `/search` endpoint over
HTTP (Gradio's REST call); when there is no app, or it does not answer, the command line answers by itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from .errors import QueryError
from .retrieval import SearchOptions

APP_FILE = "app.json"


@contextlib.contextmanager
def announced(index_dir: str | Path, url: str) -> Iterator[Path]:
    """INDEX/app.json naming `url` and this process while the block runs (written atomically, removed after)."""
    path = Path(index_dir) / APP_FILE
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".app-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"url": url, "pid": os.getpid()}, handle)
    os.replace(tmp, path)
    try:
        yield path
    finally:
        with contextlib.suppress(OSError, ValueError):
            if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():  # not a newer app's
                path.unlink()


def running_app(index_dir: str | Path) -> str | None:
    """The address of the app serving this index, if one is running."""
    try:
        found = json.loads((Path(index_dir) / APP_FILE).read_text(encoding="utf-8"))
        os.kill(int(found["pid"]), 0)  # signal 0: is the process there
        return str(found["url"]).rstrip("/")
    except (OSError, ValueError, KeyError, TypeError):
        return None


def call_app(url: str, endpoint: str, data: list, *, timeout: float = 30.0):
    """The value an app's Gradio endpoint returns, or None when the app cannot be reached. Raises QueryError with
    the app's message when the app refuses the request."""
    import httpx


    try:
        started = httpx.post(f"{url}/gradio_api/call/{endpoint}", json={"data": data}, timeout=timeout)
        started.raise_for_status()
        event, payload = "", ""
        with httpx.stream("GET", f"{url}/gradio_api/call/{endpoint}/{started.json()['event_id']}",
                          timeout=timeout) as reply:
            for line in reply.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    payload = line.split(":", 1)[1].strip()
                    break
    except (httpx.HTTPError, ValueError, KeyError):
        return None
    if event == "complete":
        return json.loads(payload)[0]
    try:  # Gradio sends the message as a JSON string, or (newer) an object whose "error" holds it
        message = json.loads(payload)
    except ValueError:
        message = payload
    if isinstance(message, dict):
        message = message.get("error") or ""
    if message and message != "null":
        raise QueryError(str(message))
    return None


def ask_app(url: str, question: str, search: SearchOptions, *, read_time: bool = True,
            previous_questions: Sequence[str] = (), timeout: float = 30.0) -> dict | None:
    """The app's /ask reply (answer_to_dict's JSON) with `search`'s k, mode, sources and dates, or None when it
    cannot be reached."""
    return call_app(url, "ask", [question, search.k, search.mode, list(search.sources or []) or None, search.date_from,
                                 search.date_to, list(previous_questions) or None, read_time], timeout=timeout)


def search_app(url: str, query: str, search: SearchOptions, *, timeout: float = 30.0) -> list[dict] | None:
    """The app's /search reply (the passages as `rag search --json` prints them), or None when it cannot be
    reached."""
    return call_app(url, "search", [query, search.k, search.mode, list(search.sources or []) or None, search.date_from,
                                    search.date_to, search.mmr_lambda], timeout=timeout)
