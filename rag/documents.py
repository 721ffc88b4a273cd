"""Documents: read article files (.txt, .md, .html, .pdf), attach metadata, strip site chrome."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import IngestError
from .text import MONTH_ABBREVIATIONS, normalize

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")
METADATA_SUFFIX = ".meta.json"
MADE_UP_TITLE_END = "…"  # ends a title made up from an article's opening words (it has no headline)
MAX_FILE_BYTES = 10 * 1024 * 1024  # documented limit: larger files are refused, not truncated
METADATA_FIELDS = ("title", "source", "author", "published", "url")
# Bump when cleaning changes, so incremental builds re-read every document.
CLEANER_VERSION = 1


@dataclass(frozen=True)
class Document:
    """One cleaned article with its citation metadata; `text` is what chunk spans index into."""

    doc_id: str
    title: str
    text: str
    source: str | None = None
    author: str | None = None
    published: str | None = None  # ISO date, possibly partial: "2024", "2024-09", "2024-09-21"
    url: str | None = None
    path: str = ""
    content_hash: str = ""


# ---------------------------------------------------------------- metadata

_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def normalize_date(value: str | None, *, where: str = "published") -> str | None:
    """Accept a real YYYY, YYYY-MM or YYYY-MM-DD date (a longer ISO timestamp is cut to its date)."""
    import datetime

    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()[:10]
    if not _DATE_RE.match(text):
        raise ValueError(f"{where} date {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    padded = text + "-01-01"[len(text) - 4:] if len(text) < 10 else text
    try:
        datetime.date.fromisoformat(padded)
    except ValueError as exc:
        raise ValueError(f"{where} date {value!r} is not a real date ({exc})") from exc
    return text


def period_bounds(value: str) -> tuple[str, str]:
    """First and last day (as YYYY-MM-DD text, comparable as strings) of a possibly partial date."""
    return value + "-01-01"[len(value) - 4:], value + "-12-31"[len(value) - 4:]


def read_metadata_sidecar(path: Path) -> dict:
    """Read `<stem>.meta.json` beside an article, if present."""
    sidecar = path.with_name(path.stem + METADATA_SUFFIX)
    if not sidecar.exists():
        return {}
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IngestError(str(sidecar), f"metadata file is not valid JSON ({exc}); fix or delete it") from exc
    if not isinstance(data, dict):
        raise IngestError(str(sidecar), "metadata file must hold a JSON object with title, source, author, published, url")
    unknown = sorted(set(data) - set(METADATA_FIELDS))
    if unknown:
        raise IngestError(str(sidecar), f"unknown metadata keys {unknown}; allowed: {list(METADATA_FIELDS)}")
    wrong = sorted(k for k, v in data.items() if v is not None and not isinstance(v, str))
    if wrong:
        raise IngestError(str(sidecar), f"metadata values must be text or null; fix {wrong}")
    return {k: v for k, v in data.items() if v not in (None, "")}


# ---------------------------------------------------------------- readers


def _decode_text(raw: bytes, path: Path) -> str:
    if b"\x00" in raw:
        raise IngestError(str(path), "looks like a binary file (contains NUL bytes), not text; convert it to UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(str(path), f"is not UTF-8 text (byte {exc.start}); re-save it as UTF-8") from exc
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    if controls > max(8, len(text) // 100):
        raise IngestError(str(path), "contains too many control characters to be an article; check the file type")
    return text


_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)
_MD_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS_RE = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")


def _read_markdown(text: str) -> tuple[str, dict]:
    meta: dict = {}
    match = _FRONT_MATTER_RE.match(text)
    if match:
        for line in match.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() in METADATA_FIELDS:
                meta[key.strip()] = value.strip().strip("\"'")
        text = text[match.end():]
    lines = []
    for line in text.splitlines():
        heading = re.match(r"^\s{0,3}#\s+(.+)", line)
        if heading and "title" not in meta:
            meta["title"] = heading.group(1).strip()
        line = re.sub(r"^\s{0,3}#{1,6}\s+", "", line)  # headings become plain lines
        line = re.sub(r"^\s{0,3}>\s?", "", line)
        line = _MD_LINK_RE.sub(r"\1", line)
        line = _MD_EMPHASIS_RE.sub(r"\2", line)
        lines.append(line)
    return "\n".join(lines), meta


def _read_html(raw: bytes, path: Path) -> tuple[str, dict]:
    import trafilatura

    html = raw.decode("utf-8", errors="replace")
    try:
        body = trafilatura.extract(html, include_comments=False, include_tables=False, favor_precision=True)
        if not body:
            body = trafilatura.baseline(html)[1]
        info = trafilatura.extract_metadata(html)
    except Exception as exc:  # noqa: BLE001 - lxml/trafilatura failures on broken markup mean "unreadable"
        raise IngestError(str(path), f"is not readable HTML ({type(exc).__name__}: {exc}); check the file") from exc
    meta: dict = {}
    if info is not None:
        for key, attr in (("title", "title"), ("author", "author"), ("published", "date"),
                          ("source", "sitename"), ("url", "url")):
            value = getattr(info, attr, None)
            if value:
                meta[key] = value
    if "title" in meta and body and not body.lstrip().startswith(meta["title"]):
        body = meta["title"] + "\n\n" + body
    return body or "", meta


def _read_pdf(raw: bytes, path: Path) -> tuple[str, dict]:
    import io

    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(raw))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on broken files; all mean "unreadable"
        raise IngestError(str(path), f"is not a readable PDF ({type(exc).__name__}: {exc}); re-export it") from exc
    meta: dict = {}
    if info.get("/Title"):
        meta["title"] = str(info["/Title"])
    if info.get("/Author"):
        meta["author"] = str(info["/Author"])
    created = str(info.get("/CreationDate") or "")
    if re.match(r"D:\d{8}", created):
        meta["published"] = f"{created[2:6]}-{created[6:8]}-{created[8:10]}"
    return "\n\n".join(pages), meta


# ---------------------------------------------------------------- cleaning

# Lines that are site chrome wherever they appear.
_CHROME_LINE_RE = re.compile(
    r"""^(?:
        jump\ to\ .* | skip\ to\ .* | .*\blogo | share:? | print | email | tweet |
        physical\ address | produced\ by | advertisement | subscribe.* | sign\ up.* | log\ ?in |
        (?:©|copyright\b).* | all\ rights\ reserved.* | learn\ more\ *→? | read\ more\ *→? |
        [•·*\-]?\s*author:.* | by | by\ [\w .'\-]{2,40}
    )$""",
    re.I | re.X,
)
# Headings after which the rest of the page is not the article (teasers, footers, profiles).
_TRAILER_RE = re.compile(
    r"""^(?:latest\ news | related(?:\ articles|\ stories|\ posts)? | recommended | more\ stories |
        note\ to\ our\ readers | nti\ analysis | country\ profile | comments | leave\ a\ (?:reply|comment) |
        share\ this(?:\ article)?:? | you\ may\ also\ like | source:\ .{2,60} | tags?:.*
    )$""",
    re.I | re.X,
)
_MONTHS = r"(?:" + "|".join(MONTH_ABBREVIATIONS) + r")[a-z]*\.?"
_DATE_LINE_RE = re.compile(
    rf"^[•·*\-]?\s*(?:{_MONTHS}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTHS}\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})$", re.I
)
_STREET_RE = re.compile(r"^\d+\s+[\w .]+(?:st|street|ave|avenue|rd|road|blvd)\.?$|^[\w .]+,\s*[A-Z]{2}\s+\d{5}$", re.I)


def _is_chrome(line: str, meta: dict) -> bool:
    if _CHROME_LINE_RE.match(line) or _DATE_LINE_RE.match(line) or _STREET_RE.match(line):
        return True
    author = meta.get("author")
    return bool(author) and normalize(line) in {normalize(author), normalize("by " + author)}


def clean_text(raw: str, title: str | None, meta: dict | None = None) -> tuple[str, str]:
    """Strip masthead, bylines, share/footer lines and trailing teasers; return (title, text).

    The cleaned text starts with the title as its own paragraph, then one paragraph per kept line.
    """
    meta = meta or {}
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    start = 0
    if title:
        folded_title = normalize(title)
        for i, line in enumerate(lines):
            if normalize(line) == folded_title:
                start = i + 1  # everything above the headline is masthead
                break
    else:
        for i, line in enumerate(lines):
            if _is_chrome(line, meta):
                continue
            if len(line.split()) <= 20 and not line.endswith((".", "!", "?", '"', "”")):
                title, start = line, i + 1  # a heading line is the headline
            else:
                words = line.split()  # no headline: name the article by its opening words, keep the sentence
                title, start = " ".join(words[:12]) + (MADE_UP_TITLE_END if len(words) > 12 else ""), i
            break
    body: list[str] = []
    for line in lines[start:]:
        if _TRAILER_RE.match(line) and body:
            break
        if _is_chrome(line, meta) or (title and normalize(line) == normalize(title)):
            continue
        body.append(line)
    if not any(len(line.split()) >= 5 for line in body) and title and len(title.split()) >= 5 and any(
            normalize(line) == normalize(title) for line in lines):
        body = [next(line for line in lines if normalize(line) == normalize(title))]  # a one-line article is its own headline
    if not any(len(line.split()) >= 5 for line in body):
        return title or "", ""
    title = title or body[0]
    return title, "\n\n".join([title, *body])


# ---------------------------------------------------------------- entry points


def doc_id_for(path: str | Path) -> str:
    """A document's id is its file name without the extension."""
    return Path(path).stem


def read_document(path: str | Path) -> Document:
    """Read, decode and clean one article file; raise IngestError naming the file on failure."""
    if "\x00" in str(path):
        raise IngestError(repr(str(path)), "file name contains a NUL character; rename the file")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(str(path), f"unsupported file type {suffix or '(none)'!r}; use one of {', '.join(SUPPORTED_SUFFIXES)}")
    if path.is_dir():
        raise IngestError(str(path), "is a folder, not an article file; pass the files inside it or use `rag build FOLDER`")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise IngestError(str(path), f"is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit; split it into smaller files")
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(str(path), f"cannot be read ({exc.strerror or exc})") from exc
    if not raw.strip():
        raise IngestError(str(path), "is empty; add article text or remove the file")
    sidecar = read_metadata_sidecar(path)
    if suffix == ".pdf":
        body, found = _read_pdf(raw, path)
    elif suffix in (".html", ".htm"):
        _decode_text(raw, path)  # same binary/encoding checks as text
        body, found = _read_html(raw, path)
    elif suffix == ".md":
        body, found = _read_markdown(_decode_text(raw, path))
    else:
        body, found = _decode_text(raw, path), {}
    meta = {**found, **sidecar}  # the user's sidecar wins over what the file says
    try:
        published = normalize_date(meta.get("published"))
    except ValueError as exc:
        if "published" in sidecar:
            raise IngestError(str(path), f"{exc}; fix it in {path.stem}{METADATA_SUFFIX}") from exc
        published = None  # an unparseable date found inside the file is dropped, not fatal
    title, text = clean_text(body, meta.get("title"), meta)
    if not text:
        raise IngestError(str(path), "has no article text left after removing site chrome; check the file's content")
    digest = hashlib.sha256()
    digest.update(raw)
    digest.update(json.dumps(sidecar, sort_keys=True).encode())
    digest.update(f"cleaner={CLEANER_VERSION}".encode())
    return Document(
        doc_id=doc_id_for(path),
        title=title,
        text=text,
        source=meta.get("source"),
        author=meta.get("author"),
        published=published,
        url=meta.get("url"),
        path=str(path),
        content_hash=digest.hexdigest(),
    )


def list_article_files(folder: str | Path) -> list[Path]:
    """Article files in a folder (sorted), skipping metadata sidecars and hidden files."""
    folder = Path(folder)
    if not folder.is_dir():
        raise IngestError(str(folder), "is not a folder of articles; pass the folder that holds your .txt/.md/.html/.pdf files")
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith(METADATA_SUFFIX)
    )


def read_documents(paths: list[str | Path]) -> tuple[list[Document], list[IngestError]]:
    """Read many files; bad files become errors while the rest still load."""
    docs: list[Document] = []
    errors: list[IngestError] = []
    seen: dict[str, str] = {}
    for path in paths:
        try:
            doc = read_document(path)
        except IngestError as exc:
            errors.append(exc)
            continue
        except Exception as exc:  # noqa: BLE001 - one unreadable file must never stop the batch
            errors.append(IngestError(str(path), f"could not be read ({type(exc).__name__}: {exc})"))
            continue
        if doc.doc_id in seen:
            errors.append(IngestError(str(path), f"has the same document id {doc.doc_id!r} as {seen[doc.doc_id]}; rename one of them"))
            continue
        seen[doc.doc_id] = str(path)
        docs.append(doc)
    return docs, errors
