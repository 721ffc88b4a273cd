"""The chat app's pure parts (rendering, file names, filters), library updates, start-up, and the /ask API."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rag import RAG, Answer, Claim, Passage, QueryError, RagError
from rag.documents import MAX_FILE_BYTES
from rag.engine import check_question
from .conftest import ARTICLE_HTML, REPO, SEEDS, running_app
from rag.library import delete_article, ingest_uploads, sanitize_filename, upload_metadata
from rag.answer import answer_to_dict
from rag.views import (
    answer_markdown,
    claim_spans,
    conversation_json,
    conversation_markdown,
    highlight_segments,
    render_answer,
    render_card,
    render_library,
    render_panel,
    render_turn,
    safe_url,
)
from rag.handlers import parse_filters
from rag.retrieval import SearchOptions
from rag.webapp import create_app





def passage(text="Iran denied it. Russia said nothing.", n=1, start=100, **kw) -> Passage:
    fields = {"doc_id": "doc", "title": "A title", "source": "Wire", "published": "2024-09-10",
              "url": "https://example.org/a", "text": text, "start": start, "end": start + len(text), "score": 0.5, "n": n}
    return Passage(**{**fields, **kw})


def blocks(fragment: str) -> list[str]:
    """The text of each innermost block (paragraph, table cell, list item…) of an HTML fragment, as a reader sees it."""
    from html.parser import HTMLParser

    block_tags = {"p", "div", "li", "ol", "ul", "td", "th", "tr", "table", "details", "summary", "section", "article"}
    out: list[str] = []
    stack: list[list[str]] = [[]]

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag in block_tags:
                stack.append([])

        def handle_endtag(self, tag):
            if tag in block_tags and len(stack) > 1:
                text = " ".join("".join(stack.pop()).split())
                if text:
                    out.append(text)

        def handle_data(self, data):
            stack[-1].append(data)

    Parser().feed(fragment)
    return out


# ---------------------------------------------------------------- rendering


def test_article_text_and_metadata_are_escaped_in_cards():
    evil = passage(text="Before <script>alert('x')</script> & after.", title="<img src=x onerror=alert(1)>",
                   source="<b>Wire</b>", url="javascript:alert(1)")
    html = render_card(evil, [], turn=1)
    assert "<script>" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>" not in html and "&lt;b&gt;Wire&lt;/b&gt;" in html
    assert 'href="javascript' not in html  # shown as text, never as a link
    assert 'id="src-1-1"' in html


def test_card_links_http_urls_and_shows_metadata():
    html = render_card(passage(), [], turn=3)
    assert 'href="https://example.org/a"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "[1]" in html and "A title" in html and "Wire" in html and "2024-09-10" in html
    undated = render_card(passage(source=None, published=None, url=None), [], turn=1)
    assert "source unknown" in undated and "undated" in undated and "href" not in undated


@pytest.mark.parametrize("url, ok", [("https://a.org/x?y=1", True), ("http://a.org", True), ("javascript:alert(1)", False),
                                     ("ftp://a.org", False), ('https://a.org/"onmouseover=x', False), (None, False)])
def test_safe_url(url, ok):
    assert (safe_url(url) is not None) is ok


def test_cited_sentences_are_highlighted_at_their_offsets():
    p = passage(text="Iran denied it. Russia said nothing.", start=100)
    claims = [Claim("Russia said nothing.", 1, "doc", 116, 136, 0.9), Claim("Other doc.", 1, "other", 100, 110, 0.9),
              Claim("Iran denied it.", 2, "doc", 100, 115, 0.9)]
    assert claim_spans(p, claims) == [(16, 36)]
    html = render_card(p, claims, turn=1)
    assert "Iran denied it. <mark>Russia said nothing.</mark>" in html


def test_highlight_merges_nothing_and_escapes_inside_marks():
    assert highlight_segments("a <b> c", [(2, 5)]) == [("a ", False), ("<b>", True), (" c", False)]
    assert highlight_segments("para one\n\npara two", []) == [("para one\npara two", False)]
    card = render_card(passage(text="a <b> c", start=100), [Claim("<b>", 1, "doc", 102, 105, 0.9)], turn=1)
    assert "a <mark>&lt;b&gt;</mark> c" in card


def make_answer(**kw) -> Answer:
    cited = passage()
    fields = {"question": "q", "text": "Iran denied it. [1]", "citations": [cited], "abstained": False,
              "claims": [Claim("Iran denied it.", 1, "doc", 100, 115, 0.9)], "confidence": 0.9, "passages": [cited]}
    return Answer(**{**fields, **kw})


def test_answer_links_each_marker_to_its_card_and_escapes_text():
    answer = make_answer(text="Iran said *no* <em>never</em> [1] and [7]")
    html = render_answer(answer, turn=2)
    assert '<a class="cite" href="#src-2-1"' in html and "&#91;1&#93;</a>" in html
    assert "src-2-7" not in html  # a marker with no cited passage is not a link
    assert "<em>" not in html and "*" not in html  # neither HTML nor Markdown from article text acts


def disputed_answer() -> Answer:
    """Two claims from two articles, the answer opening with its "Accounts differ." lead."""
    first = passage(text="The US said Iran sent missiles.", start=0, url="https://example.org/a", title="*US* says")
    second = passage(text="Iran denied it.", start=0, n=2, doc_id="other", source="Tehran Times",
                     published="2024-09-11", title="Iran denies", url=None)
    claims = [Claim("The US said Iran sent missiles.", 1, "doc", 0, 31, 0.9, speaker="Antony Blinken",
                    side="United States", kind="reported"),
              Claim("Iran denied it.", 2, "other", 0, 15, 0.9, speaker="Nasser Kanaani", side="Iran", kind="quote",
                    denial=True)]
    return make_answer(question="Did Iran send missiles?", text="Accounts differ. The US said Iran sent missiles. [1] "
                       "Iran denied it. [2]", citations=[first, second], claims=claims, passages=[first, second],
                       dispute=("United States", "Iran"))


def test_each_claim_is_a_line_of_its_own_with_its_marker_and_byline():
    lines = blocks(render_answer(disputed_answer(), turn=1))
    # The answer opens "Accounts differ."; who denies what follows its claims.
    assert lines[:4] == ["Accounts differ.",
                         "The US said Iran sent missiles. [1] — Antony Blinken (United States), via Wire, 10 Sep 2024",
                         "Iran denied it. [2] — Nasser Kanaani (Iran), via Tehran Times, 11 Sep 2024",
                         "Iran denies what United States says."]
    # A marker that cites no passage stays text, on the line it belongs to.
    assert blocks(render_answer(make_answer(text="Iran denied it. [1] Other words [7]"), 2)) == [
        "Iran denied it. [1]", "Other words [7]", "Copy Copy JSON"]


def test_each_answer_carries_its_markdown_and_json_for_its_copy_buttons():
    import base64
    import re

    from rag.answer import answer_from_dict

    answer = disputed_answer()
    copied = [base64.b64decode(v).decode("utf-8")
              for v in re.findall(r'class="copy-answer" value="([^"]+)"', render_answer(answer, 3))]
    assert copied[0] == answer_markdown(answer) and "[2] — Nasser Kanaani" in copied[0]
    assert answer_from_dict(json.loads(copied[1])).claims == answer.claims


def test_a_conversation_exports_as_markdown_with_its_sources_and_as_the_ask_json():
    from rag.answer import answer_from_dict

    nothing = make_answer(question="What about S-300?", text="", citations=[], claims=[], abstained=True,
                          abstain_reason="not-mentioned: S-300", query="S-300 Iran missiles?")
    answers = [disputed_answer(), nothing]
    markdown = conversation_markdown(answers)
    paragraphs = markdown.split("\n\n")
    assert paragraphs[1:5] == ["## Q1. Did Iran send missiles?", "*Iran denies what United States says.*",
                               "Accounts differ.",
                               "The US said Iran sent missiles. [1] — Antony Blinken (United States), via Wire, 10 Sep 2024"]
    sources = markdown.split("Sources:\n\n")[1].split("\n\n")[0].splitlines()
    assert sources == ["1. \\*US\\* says — Wire, 2024-09-10, <https://example.org/a>",  # Markdown in a title stays text
                       "2. Iran denies — Tehran Times, 2024-09-11"]
    # a follow-up says what it was read as
    assert ("## Q2. What about S-300?\n\n*Searched for:* S-300 Iran missiles?\n\nNo answer in the articles. "
            "The articles do not mention S-300.") in markdown
    data = json.loads(conversation_json(answers))
    assert data == json.loads(json.dumps([answer_to_dict(a) for a in answers]))  # what /ask returns, per question
    assert [answer_from_dict(d).claims for d in data] == [a.claims for a in answers]


def test_tooltips_need_no_entities_and_cards_show_the_title_once():
    from rag.views import render_card

    cited = passage()
    titled = dataclasses.replace(cited, title="White House warns of 'full-scale' partnership",
                                 text="White House warns of 'full-scale' partnership\n\nIran denied it.")
    html_text = render_answer(make_answer(citations=[titled]), 1)
    assert "White House warns of ’full-scale’ partnership" in html_text and "&#x27;" not in html_text
    card = render_card(titled, [Claim("Iran denied it.", 1, titled.doc_id, titled.start + 47, titled.start + 62, 0.9)], 1)
    body = card.split('class="src-text">')[1]
    assert body.startswith("<mark>Iran denied it.</mark>") and "full-scale" not in body


def test_a_source_that_is_not_given_says_so():
    from rag.views import render_meta

    assert render_meta(dataclasses.replace(passage(), source=None)).startswith("source unknown")


def test_abstention_is_a_notice_in_plain_words_not_a_score():
    answer = make_answer(text="The indexed articles do not answer this question.", citations=[], claims=[],
                         abstained=True, confidence=0.21, abstain_reason="not-mentioned: S-300")
    message = render_answer(answer, 1)
    assert "No answer in the articles" in message and "The articles do not mention S&#45;300." in message  # markdown-safe
    section = render_turn(1, "q", "q", answer)
    assert "0.21" not in section and "The articles do not mention S-300." in section
    assert '<details class="src-others"><summary>Closest passages (1)' in section  # folded, not open


def test_sources_section_shows_the_rewritten_query_and_newest_first():
    section = render_turn(2, "And what did Iran say about it?", "what did Iran say about missiles?", make_answer())
    assert "Searched for: <q>what did Iran say about missiles?</q>" in section and "rewritten from the conversation" in section
    assert "rewritten" not in render_turn(1, "q", "q", make_answer())
    assert render_panel(["<one>", "<two>"]) == "<two><one>"
    assert "appear here" in render_panel([])


def test_answers_stream_as_growing_prefixes():
    from rag.handlers import stream_pieces as _stream_pieces

    text = " ".join(f"w{i}" for i in range(30))
    pieces = list(_stream_pieces(text, steps=6))
    assert len(pieces) == 5 and all(text.startswith(p) for p in pieces)
    assert all(len(a) < len(b) for a, b in zip(pieces, pieces[1:])) and pieces[-1] != text
    assert list(_stream_pieces("one", steps=6)) == []


def test_answer_json_has_citations_and_claims():
    data = answer_to_dict(make_answer(), "the query")
    assert data["query"] == "the query" and data["answer"] == "Iran denied it. [1]"
    assert data["citations"][0]["n"] == 1 and data["citations"][0]["title"] == "A title"
    assert data["claims"][0]["start"] == 100


# ---------------------------------------------------------------- inputs


@pytest.mark.parametrize("name, safe", [
    ("article.html", "article.html"),
    ("../../etc/passwd.txt", "passwd.txt"),
    ("C:\\Users\\me\\Évil name!.HTML", "Evil_name.html"),
    (".hidden.md", "hidden.md"),
    ("a.meta.json", "a_meta.json"),
    ("<script>.pdf", "script.pdf"),
    ("...", "upload"),
    ("x" * 300 + ".txt", "x" * 80 + ".txt"),
])
def test_sanitize_filename(name, safe):
    assert sanitize_filename(name) == safe


def test_questions_and_filters_are_checked():
    with pytest.raises(QueryError, match="empty"):
        check_question("   ")
    with pytest.raises(QueryError, match="2,000"):
        check_question("x" * 2001)
    assert parse_filters(3.0, "bm25", ["AP"], "2024", "2024-09-30") == SearchOptions(
        k=3, mode="bm25", sources=("AP",), date_from="2024-01-01", date_to="2024-09-30")
    assert parse_filters(5, "hybrid", [], "", None).sources is None
    # A partial "to" date covers its whole period.
    assert parse_filters(date_from="2024-02", date_to="2024-02").date_to == "2024-02-29"
    assert parse_filters(date_to="2011").date_to == "2011-12-31"
    for bad in ({"mode": "fuzzy"}, {"date_from": "10/09/2024"}, {"date_from": "2024-13"}, {"date_to": "2023-02-29"},
                {"date_from": "2024-10", "date_to": "2024-09"}, {"k": 0}, {"k": "many"}):
        with pytest.raises(QueryError):
            parse_filters(**bad)


def test_the_library_table_lists_articles_newest_first_with_their_text_escaped():
    def doc(title, published, doc_id):
        return type("D", (), {"title": title, "source": None, "published": published, "n_chunks": 3, "doc_id": doc_id})()

    rows = blocks(render_library([doc("Old", "2011-01-02", "a"), doc("<b>New</b>", "2024-09-10", "b"), doc("T", None, "c")]))
    assert rows[:5] == ["Title", "Source", "Published", "Chunks", "Document id"]
    # an article without a named outlet says so, as the CLI and the answers do
    assert rows[5:] == ["<b>New</b>", "source unknown", "2024-09-10", "3", "b", "Old", "source unknown", "2011-01-02", "3",
                        "a", "T", "source unknown", "undated", "3", "c"]


# ---------------------------------------------------------------- uploads and deletes (real index copies)


@pytest.fixture
def live(corpus_copy, index_copy, embedder) -> RAG:
    return RAG.load(index_copy, embedder=embedder)


def test_upload_stores_sanitized_file_and_indexes_it(live, corpus_copy, tmp_path):
    before = {d.doc_id for d in live.documents()}
    good = tmp_path / "in" / "Velmora lighthouse (2024).html"
    good.parent.mkdir()
    good.write_text(ARTICLE_HTML, encoding="utf-8")
    empty = tmp_path / "in" / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    exe = tmp_path / "in" / "tool.exe"
    exe.write_bytes(b"MZ\x00\x00")
    big = tmp_path / "in" / "huge.txt"
    with open(big, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    result = ingest_uploads(live, corpus_copy, [good, empty, exe, big])
    assert result.indexed == [("Velmora_lighthouse_2024.html", "Harbor town opens the Velmora tidal lighthouse")]
    failed = dict(result.failed)
    assert "empty" in failed["empty.txt"]
    assert "unsupported file type '.exe'" in failed["tool.exe"]
    assert "limit" in failed["huge.txt"]
    assert (corpus_copy / "Velmora_lighthouse_2024.html").read_text(encoding="utf-8") == ARTICLE_HTML
    assert not (corpus_copy / "empty.txt").exists() and not (corpus_copy / "tool.exe").exists()
    assert {d.doc_id for d in live.documents()} == before | {"Velmora_lighthouse_2024"}
    answer = live.ask("Who designed the Velmora tidal lighthouse?")
    assert not answer.abstained and answer.citations[0].doc_id == "Velmora_lighthouse_2024"
    # A later full rebuild from the corpus folder keeps the upload.
    rebuilt = RAG.build(corpus_copy, live.index_dir, embedder=live.embedder, progress=False)
    assert "Velmora_lighthouse_2024" in {d.doc_id for d in rebuilt.documents()}
    assert rebuilt.last_report.embedded == []


def test_only_bad_uploads_leave_everything_untouched(live, corpus_copy, tmp_path):
    files_before = sorted(p.name for p in corpus_copy.iterdir())
    generation = (live.index_dir / "CURRENT").read_text()
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 this is not really a pdf")
    result = ingest_uploads(live, corpus_copy, [bad])
    assert result.indexed == [] and result.failed[0][0] == "broken.pdf" and "PDF" in result.failed[0][1]
    assert sorted(p.name for p in corpus_copy.iterdir()) == files_before
    assert (live.index_dir / "CURRENT").read_text() == generation


def test_upload_with_a_taken_document_id_gets_a_new_name(live, corpus_copy, tmp_path):
    clash = tmp_path / "003_0321a4552254fa38.html"  # same id as a seed .txt article
    clash.write_text(ARTICLE_HTML, encoding="utf-8")
    result = ingest_uploads(live, corpus_copy, [clash])
    assert result.indexed[0][0] == "003_0321a4552254fa38-2.html"
    assert "US and Britain" in {d.doc_id: d.title for d in live.documents()}["003_0321a4552254fa38"]


def test_delete_removes_the_article_and_it_stays_removed_after_a_restart(live, corpus_copy, embedder):
    from rag import RAG

    doc_id = "001_ef6f6a18ba0eff60"
    message = delete_article(live, doc_id)
    assert "Russia Could Receive NATO" in message
    assert doc_id not in {d.doc_id for d in live.documents()} and len(live.documents()) == 4
    assert any(p.name.startswith(doc_id) for p in corpus_copy.iterdir())  # the tracked corpus file is kept
    assert all(doc_id != p.doc_id for p in live.search("NATO antimissile security pledge", k=10))
    with pytest.raises(RagError, match="no indexed article"):
        delete_article(live, doc_id)
    restarted = RAG.build(corpus_copy, live.index_dir, embedder=embedder, progress=False)  # what the app does
    assert doc_id not in {d.doc_id for d in restarted.documents()} and len(restarted.documents()) == 4


# ---------------------------------------------------------------- start-up


def test_import_is_light():
    code = ("import sys, rag.webapp; heavy = {'torch', 'gradio', 'sentence_transformers', 'faiss'} & set(sys.modules); "
            "print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "[]"


def test_main_builds_the_index_and_binds_loopback(monkeypatch, tmp_path, embedder, capsys):
    import rag.webapp as webapp
    from rag.embedding import Embedder

    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    monkeypatch.setattr(Embedder, "load", classmethod(lambda cls, *a, **k: embedder))
    seen = {}
    monkeypatch.setattr(webapp, "launch", lambda app, **kw: seen.update(kw, app=app))
    assert webapp.main(["--corpus", str(corpus), "--index", str(tmp_path / "index")]) == 0
    assert seen["host"] == "127.0.0.1" and seen["port"] == 7860
    assert (tmp_path / "index" / "CURRENT").exists()
    assert "Index ready: 5 articles" in capsys.readouterr().out
    # `rag serve` goes through the same main with its options.
    from rag.cli import main as cli_main

    assert cli_main(["serve", "--corpus", str(corpus), "--index", str(tmp_path / "index"), "--port", "7999"]) == 0
    assert seen["port"] == 7999 and seen["host"] == "127.0.0.1"
    assert "0 embedded, 5 unchanged" in capsys.readouterr().out


def test_main_reports_a_missing_corpus(tmp_path, capsys):
    from rag.webapp import main

    assert main(["--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "index")]) == 2
    assert "is not a folder of articles" in capsys.readouterr().err


# ---------------------------------------------------------------- the served app and its /ask endpoint


@pytest.fixture(scope="module")
def served(tmp_path_factory, seed_index, embedder):
    """The app on a free loopback port over private copies of the seeds and their index."""
    with running_app(tmp_path_factory.mktemp("served"), seed_index, embedder) as app:
        yield app


def test_ask_endpoint_from_gradio_client(served):
    from gradio_client import Client

    url, _, _ = served
    client = Client(url, verbose=False)
    result = client.predict("What missiles did Iran send to Russia?", api_name="/ask")
    assert not result["abstained"] and "[1]" in result["answer"]
    assert result["citations"][0]["n"] == 1 and result["citations"][0]["title"]
    assert all(c["text"] in {p["n"]: p["text"] for p in result["citations"]}[c["n"]] for c in result["claims"])
    follow = client.predict("And what did Iran say about it?", previous_questions=["What missiles did Iran send to Russia?"],
                            api_name="/ask")
    assert follow["query"] == "what did Iran say about missiles send Russia?"
    dated = client.predict("What missiles did Iran send to Russia?", date_to="2012-12-31", api_name="/ask")
    assert all(p["published"] <= "2012-12-31" for p in dated["citations"])
    with pytest.raises(Exception, match="empty"):
        client.predict("   ", api_name="/ask")
    with pytest.raises(Exception, match="2,000"):
        client.predict("why " * 600, api_name="/ask")
    api = client.view_api(print_info=False, return_format="dict")
    assert list(api["named_endpoints"]) == ["/ask", "/search"]  # the page's own events stay private
    found = client.predict("Fath-360 range", 3, api_name="/search")
    assert len(found) == 3 and "Fath-360" in found[0]["text"] and found[0]["score"] >= found[-1]["score"]
    with pytest.raises(Exception, match="retrieval mode"):
        client.predict("Fath-360 range", 3, "fuzzy", api_name="/search")


def test_server_does_not_serve_corpus_or_index_files(served):
    import httpx

    url, corpus, index = served
    uploaded = httpx.post(f"{url}gradio_api/upload", files={"files": ("note.txt", b"hello")}).json()[0]
    assert httpx.get(f"{url}gradio_api/file={uploaded}").text == "hello"  # the route works for its own uploads
    for path in (corpus / "003_0321a4552254fa38.txt", index / "CURRENT", Path("/etc/passwd")):
        response = httpx.get(f"{url}gradio_api/file={path}")
        assert response.status_code in (403, 404), path


def test_an_upload_never_overwrites_an_article_or_inherits_its_metadata(live, corpus_copy, tmp_path):
    same_name = tmp_path / "003_0321a4552254fa38.txt"  # the exact file name of the AP seed, which has a sidecar
    same_name.write_text("Lighthouse news\n\nThe Velmora tidal lighthouse was designed by Ines Okafor in 2024.", encoding="utf-8")
    original = (corpus_copy / "003_0321a4552254fa38.txt").read_text(encoding="utf-8")
    result = ingest_uploads(live, corpus_copy, [same_name])
    assert result.indexed == [("003_0321a4552254fa38-2.txt", "Lighthouse news")]
    assert (corpus_copy / "003_0321a4552254fa38.txt").read_text(encoding="utf-8") == original
    titles = {d.doc_id: (d.title, d.source) for d in live.documents()}
    assert titles["003_0321a4552254fa38-2"] == ("Lighthouse news", None)
    assert titles["003_0321a4552254fa38"][1] == "Associated Press"


def test_the_delete_handler_reports_a_failure_and_keeps_the_library(live, corpus_copy):
    app = create_app(live, str(corpus_copy))
    delete = next(f.fn for f in app.fns.values() if getattr(f, "name", "") == "delete")
    *_, message, pending = delete("no_such_article")
    assert message.startswith("Cannot delete:") and "no indexed article" in message
    assert len(live.documents()) == 5
    *_, message, pending = delete("")
    assert message == "Choose an article to delete first."


def test_deleting_takes_a_second_click_on_the_same_article(live, corpus_copy):
    app = create_app(live, str(corpus_copy))
    delete = next(f.fn for f in app.fns.values() if getattr(f, "name", "") == "delete")
    *_, message, pending = delete("001_ef6f6a18ba0eff60", None)
    assert "again to confirm" in message and "Russia Could Receive NATO" in message
    assert len(live.documents()) == 5  # nothing deleted yet
    *_, message, pending = delete("003_0321a4552254fa38", pending)  # another article: asks again
    assert "again to confirm" in message and len(live.documents()) == 5
    *_, message, pending = delete("003_0321a4552254fa38", pending)
    assert message.startswith("Deleted") and pending is None and len(live.documents()) == 4


# ---------------------------------------------------------------- upload metadata, typed failures, templates


def test_the_upload_form_is_prefilled_from_the_file(tmp_path):
    page = tmp_path / "Velmora.html"
    page.write_text(ARTICLE_HTML.replace("<head>", '<head><link rel="canonical" href="https://example.org/velmora">'),
                    encoding="utf-8")
    found = upload_metadata(page)
    assert found["title"] == "Harbor town opens the Velmora tidal lighthouse" and found["published"] == "2024-05-02"
    snippet = tmp_path / "snippet.txt"  # no headline: the made-up title ("first words…") is not offered
    snippet.write_text("Russia and Iran signed a broad agreement on drone production in the city of Yelabuga this spring, "
                       "officials said.", encoding="utf-8")
    assert "title" not in upload_metadata(snippet)
    assert upload_metadata(tmp_path / "missing.txt") == {}


@pytest.mark.parametrize("opening, published", [
    ("YEREVAN, Feb. 3, 2025 — Armenia signed a grain agreement with Kazakhstan on Monday.", "2025-02-03"),
    ("KYIV, Ukraine, Sept. 14, 2024 (Reuters) - Ukraine said drones struck a refinery overnight.", "2024-09-14"),
    ("PARIS, March 2024 -- France said it would host talks on the missile shipments.", "2024-03"),
    ("Officials said on Feb. 3, 2025 — a Monday — that talks would resume.", ""),  # a date in a sentence is no dateline
    ("YEREVAN, Feb. 30, 2025 — Armenia signed a grain agreement with Kazakhstan on Monday.", ""),  # no such day
])
def test_a_dateline_prefills_the_published_date(tmp_path, opening, published):
    article = tmp_path / "grain.txt"
    article.write_text(f"Armenia signs a grain deal\n\n{opening} The deal runs five years.\n", encoding="utf-8")
    assert upload_metadata(article).get("published", "") == published
    dated = tmp_path / "dated.md"  # a date the file states itself wins over its dateline
    dated.write_text(f"---\ntitle: Grain deal\npublished: 2025-02-04\n---\n\n{opening} The deal runs five years.\n",
                     encoding="utf-8")
    assert upload_metadata(dated)["published"] == "2025-02-04"


def test_the_upload_form_holds_the_author_and_each_new_choice_replaces_all_of_it(live, tmp_path):
    app = create_app(live, live.library_dir)
    handlers = {getattr(f, "name", ""): f.fn for f in app.fns.values()}
    signed = tmp_path / "signed.html"
    signed.write_text(ARTICLE_HTML.replace("<head>", '<head><meta name="author" content="Ines Okafor">'
                                                     '<meta property="og:site_name" content="Harbour Post">'),
                      encoding="utf-8")
    bare = tmp_path / "bare.txt"
    bare.write_text("Grain deal signed\n\nYEREVAN, Feb. 3, 2025 — Armenia signed a grain agreement on Monday, "
                    "officials said.\n", encoding="utf-8")
    # Title, source, author, published, URL, then the status line.
    assert handlers["prefill"]([str(signed)]) == ("Harbor town opens the Velmora tidal lighthouse", "Harbour Post",
                                                  "Ines Okafor", "2024-05-02", "", "")
    assert handlers["prefill"]([str(bare)]) == ("Grain deal signed", "", "", "2025-02-03", "", "")
    assert handlers["prefill"]() == ("", "", "", "", "", "")  # the files removed: nothing of them stays
    *_, status, files, title, source, author, published, url = handlers["upload"](
        [str(bare)], "Grain deal signed", "Armenpress", "Anna Petrosyan", "2025-02-03", "")
    assert "Indexed bare.txt" in status and (files, title, author) == (None, "", "")
    record = {d.doc_id: d for d in live.documents()}["bare"]
    assert (record.source, record.author, record.published) == ("Armenpress", "Anna Petrosyan", "2025-02-03")


def test_an_upload_keeps_the_title_source_date_and_url_given_with_it(live, corpus_copy, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("The Velmora tidal lighthouse was designed by the engineer Maria Keswick, officials said.",
                    encoding="utf-8")
    form = {"title": "Velmora lighthouse opens", "source": "Brindlecombe Gazette", "published": "2024-05",
            "url": "https://example.org/velmora", "author": ""}
    result = ingest_uploads(live, live.library_dir, [note], metadata=[form])
    assert result.indexed == [("note.txt", "Velmora lighthouse opens")] and result.failed == []
    record = {d.doc_id: d for d in live.documents()}["note"]
    assert (record.source, record.published, record.url) == ("Brindlecombe Gazette", "2024-05", "https://example.org/velmora")
    assert (live.library_dir / "note.meta.json").exists()  # kept with the file: a rebuild reads it again
    rebuilt = RAG.build(corpus_copy, live.index_dir, embedder=live.embedder, progress=False)
    assert {d.doc_id: d.source for d in rebuilt.documents()}["note"] == "Brindlecombe Gazette"


def test_a_bad_date_in_the_upload_form_is_refused_before_anything_is_written(live, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("The Velmora tidal lighthouse was designed by the engineer Maria Keswick, officials said.",
                    encoding="utf-8")
    generation = (live.index_dir / "CURRENT").read_text()
    result = ingest_uploads(live, live.library_dir, [note], metadata=[{"published": "2024-13-40"}])
    assert result.indexed == [] and result.failed[0][0] == "note.txt" and "2024-13-40" in result.failed[0][1]
    assert not any(live.library_dir.glob("note*")) and (live.index_dir / "CURRENT").read_text() == generation


def test_a_build_report_names_each_failed_file_with_its_reason(live, tmp_path):
    good = tmp_path / "good.html"
    good.write_text(ARTICLE_HTML, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    report = live.add([good, empty])
    assert report.failures == {str(empty): "is empty; add article text or remove the file"}
    assert report.errors == [f"{empty}: is empty; add article text or remove the file"]  # what the CLI prints


def test_every_page_fragment_comes_from_an_autoescaping_template():
    from rag.views import templates

    env = templates()
    assert env.autoescape is True
    assert sorted(env.list_templates()) == ["answer.html", "card.html", "library.html", "meta.html", "retrieved.html",
                                            "turn.html"]
    evil = "<img src=x onerror=alert(1)>"
    cited = passage(title=evil, source=evil, text=f"{evil} said so.")
    answer = make_answer(question=evil, citations=[cited], passages=[cited, passage(doc_id="other", text=evil, n=None)],
                         notes=[evil], dropped=[Claim(evil, None, "doc", 0, 1, 0.0, reason=evil)])
    for fragment in (render_turn(1, evil, evil, answer), render_answer(answer, 1),
                     render_answer(dataclasses.replace(answer, abstained=True, abstain_reason="low-score"), 1)):
        assert "<img" not in fragment and "&lt;img" in fragment


def test_chat_text_keeps_its_quote_marks_and_a_refusal_without_passages_points_to_none():
    html_text = render_answer(make_answer(text="France's top diplomat said \"no\" [1]"), 1)
    assert "France's top diplomat said \"no\"" in html_text and "&#x27;" not in html_text and "&quot;" not in html_text
    nothing = make_answer(text="", citations=[], claims=[], abstained=True, passages=[], abstain_reason="no-passages")
    assert "closest passages" not in render_answer(nothing, 1)
    assert "closest passages" in render_answer(dataclasses.replace(nothing, passages=[passage()]), 1)


def test_a_bad_date_in_the_form_names_the_field_not_a_file(live, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("The Velmora tidal lighthouse was designed by the engineer Maria Keswick, officials said.",
                    encoding="utf-8")
    result = ingest_uploads(live, live.library_dir, [note], metadata=[{"published": "April 2, 2025"}])
    reason = result.failed[0][1]
    assert "Published date" in reason and ".meta.json" not in reason


@pytest.mark.integration  # loads the model (or builds the wheel) itself
def test_the_package_ships_its_subpackages_and_templates(tmp_path):
    import subprocess
    import sys
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path),
                    str(REPO)], check=True, capture_output=True)
    names = zipfile.ZipFile(next(tmp_path.glob("*.whl"))).namelist()
    assert "rag/answer/extractive.py" in names and "rag/templates/card.html" in names and "rag/store/stories.py" in names
    assert "rag/store/writer.py" in names and "rag/lexicon/words.py" in names
