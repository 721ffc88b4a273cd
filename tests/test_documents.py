"""Ingestion: readers, metadata sidecars, chrome removal and bad-file errors."""

from __future__ import annotations

import pytest

from rag.documents import MAX_FILE_BYTES, clean_text, list_article_files, read_document, read_documents
from rag.errors import IngestError

from .conftest import SEEDS
from .pdf_util import write_text_pdf

CHROME = ["Jump to search", "Physical Address", "304 North Cardinal", "Share:", "Latest News", "©",
          "North Korean Ballistic Missile Models", "Note to our Readers", "NTI Analysis", "Country Profile",
          "Learn More", "AloneReaders.com Logo", "NationalJournal logo", "Author: Admin", "Source: Associated Press"]


@pytest.fixture(scope="module")
def seed_docs():
    docs, errors = read_documents(list_article_files(SEEDS))
    assert errors == []
    return {d.doc_id: d for d in docs}


def test_seed_metadata_comes_from_sidecars(seed_docs):
    ap = seed_docs["003_0321a4552254fa38"]
    assert ap.title == "US and Britain Accuse Iran of Supplying Missiles to Russia for Ukraine"
    assert (ap.source, ap.published) == ("Associated Press", "2024-09-10")
    assert seed_docs["002_43f3cc6b7e9ffe8c"].author == "Ben Marquis"
    assert seed_docs["001_ef6f6a18ba0eff60"].published == "2011-09"
    assert len(seed_docs) == 5


@pytest.mark.parametrize("marker", CHROME)
def test_no_site_chrome_survives_cleaning(seed_docs, marker):
    for doc in seed_docs.values():
        assert marker not in doc.text, f"{marker!r} left in {doc.doc_id}"


def test_cleaning_keeps_the_article_body(seed_docs):
    assert "Fath-360 close-range ballistic missile system" in seed_docs["003_0321a4552254fa38"].text
    assert seed_docs["003_0321a4552254fa38"].text.rstrip().endswith("vital for producing missiles and other military equipment.")
    gsn = seed_docs["001_ef6f6a18ba0eff60"]
    assert gsn.text.startswith("Russia Could Receive NATO Antimissile Security Pledge, France Says\n\nFrance's top diplomat")
    assert "without any foreign intervention" in gsn.text
    assert "interactive 3D missile models" not in gsn.text
    # the repeated headline of 000 appears once
    assert seed_docs["000_ae9765ec235d70b6"].text.count("France Hosts Strategic Dialogue") == 1


def test_clean_text_drops_masthead_and_trailer():
    raw = "Site Logo\nHome | News\nMy Headline Here\nBy Jane Doe\nMarch 3, 2024\nReal sentence one is here for you.\nShare:\nLatest News\nOther story teaser that is long enough."
    title, text = clean_text(raw, "My Headline Here", {"author": "Jane Doe"})
    assert text == "My Headline Here\n\nReal sentence one is here for you."


def test_markdown_front_matter_and_syntax(tmp_path):
    path = tmp_path / "note.md"
    path.write_text("---\ntitle: Drone deal\nsource: Example Wire\npublished: 2024-01-05\n---\n# Drone deal\n\n"
                    "Iran shipped **attack drones** to [Russia](http://x.test) via the Caspian Sea, officials said.\n", encoding="utf-8")
    doc = read_document(path)
    assert (doc.title, doc.source, doc.published) == ("Drone deal", "Example Wire", "2024-01-05")
    assert "Iran shipped attack drones to Russia via the Caspian Sea, officials said." in doc.text


def test_html_main_text_and_metadata(tmp_path):
    path = tmp_path / "story.html"
    path.write_text(
        "<html><head><title>Radar deal signed</title><meta name='author' content='A. Writer'>"
        "<meta property='article:published_time' content='2024-03-02T10:00:00Z'>"
        "<style>p{color:red}</style><script>alert('x')</script></head><body><nav>Home News Sport</nav>"
        "<article><h1>Radar deal signed</h1><p>Russia agreed to sell an advanced radar system to Iran, according to "
        "officials who spoke on Tuesday in Moscow about the agreement.</p><p>The radar can track aircraft at long range, "
        "the officials said, and deliveries start next year.</p></article><footer>© 2024 Example</footer></body></html>",
        encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "Radar deal signed"
    assert doc.published == "2024-03-02"
    assert "advanced radar system to Iran" in doc.text
    assert "alert(" not in doc.text and "color:red" not in doc.text and "©" not in doc.text


def test_pdf_reader(tmp_path):
    path = tmp_path / "brief.pdf"
    write_text_pdf(path, ["Iran delivered Fath-360 missiles to Russia in September.", "Officials in London confirmed the transfer."])
    doc = read_document(path)
    assert "Fath-360 missiles" in doc.text


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"   \n\n  ", "empty"),
        ("binary.txt", bytes(range(256)) * 4, "binary"),
        ("latin1.txt", "Caf\xe9 au lait and a long enough sentence here.".encode("latin-1"), "UTF-8"),
        ("table.xlsx", b"PK\x03\x04 not an article", "unsupported file type"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("chrome.txt", b"Share:\nLatest News\n\xc2\xa9 2023 Someone", "no article text"),
    ],
)
def test_bad_files_raise_clear_errors(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError) as info:
        read_document(path)
    assert name in str(info.value)
    assert reason.lower() in str(info.value).lower()


def test_oversized_file_is_refused(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_bytes(b"word " * (MAX_FILE_BYTES // 5 + 10))
    with pytest.raises(IngestError, match="limit"):
        read_document(path)


def test_bad_files_do_not_stop_the_batch(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("A headline for the good file\n\nThe good file has a real sentence about drones in it.", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02")
    docs, errors = read_documents(sorted(tmp_path.iterdir()))
    assert [d.doc_id for d in docs] == ["good"]
    assert len(errors) == 1 and "bad.txt" in str(errors[0])


@pytest.mark.parametrize("sidecar", ['{"title": 123}', '{"source": ["a", "b"]}', '{"colour": "red"}', '[1, 2]', '{bad json'])
def test_bad_sidecars_are_clear_errors(tmp_path, sidecar):
    (tmp_path / "a.txt").write_text("Title\n\nA real sentence about drones in the Caspian Sea.", encoding="utf-8")
    (tmp_path / "a.meta.json").write_text(sidecar, encoding="utf-8")
    docs, errors = read_documents([tmp_path / "a.txt"])
    assert docs == [] and len(errors) == 1 and "a.meta.json" in str(errors[0])


def test_impossible_sidecar_date(tmp_path):
    (tmp_path / "a.txt").write_text("Title\n\nA real sentence about drones in the Caspian Sea.", encoding="utf-8")
    (tmp_path / "a.meta.json").write_text('{"published": "2024-02-30"}', encoding="utf-8")
    with pytest.raises(IngestError, match="not a real date"):
        read_document(tmp_path / "a.txt")


@pytest.mark.parametrize("text", [
    "Iran delivered 200 ballistic missiles to Russia in September, officials said.",  # one sentence
    "Iran delivered ballistic missiles to Russia in September",  # one headline-like line
    "Iran delivered ballistic missiles to Russia in September, officials said, and Russia sent aircraft to Iran "
    "in return, according to three people familiar with the transfers who spoke on condition of anonymity.",
])
def test_a_one_line_article_is_indexed_with_its_text(tmp_path, text):
    path = tmp_path / "snippet.txt"
    path.write_text(text + "\n", encoding="utf-8")
    doc = read_document(path)
    assert text in doc.text and doc.title


def test_a_one_line_article_with_its_title_in_a_sidecar_keeps_its_text(tmp_path):
    text = "Iran delivered ballistic missiles to Russia in September, officials said."
    (tmp_path / "one.txt").write_text(text, encoding="utf-8")
    (tmp_path / "one.meta.json").write_text('{"title": "%s"}' % text, encoding="utf-8")
    assert text in read_document(tmp_path / "one.txt").text.split("\n\n", 1)[1]
