"""The `rag` command: answers with sources, JSON for scripts, one-line errors with non-zero exits."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rag import RAG
from rag.cli import main

from .conftest import REPO


def test_ask_prints_answer_then_numbered_sources(seed_index, capsys):
    code = main(["ask", "Which missile system were Russian personnel trained in Iran to operate?", "--index", str(seed_index)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Fath-360" in out and "[1]" in out
    sources = out.split("Sources:")[1]
    assert "[1] US and Britain Accuse Iran of Supplying Missiles to Russia for Ukraine — Associated Press, 2024-09-10" in sources


def test_ask_json(seed_index, capsys):
    assert main(["ask", "What is the population of Tehran?", "--index", str(seed_index), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["abstained"] is True and data["citations"] == []


def test_search_and_docs_json(seed_index, capsys):
    assert main(["search", "Caspian Sea", "-k", "2", "--mode", "bm25", "--index", str(seed_index), "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 2 and hits[0]["doc_id"] == "002_43f3cc6b7e9ffe8c" and "Caspian Sea" in hits[0]["text"]
    assert main(["docs", "--index", str(seed_index), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 5


def test_search_mmr_option(seed_index, capsys):
    def doc_ids(mmr):
        assert main(["search", "Iran drones Russia", "-k", "5", "--mmr", mmr, "--index", str(seed_index), "--json"]) == 0
        return [h["doc_id"] for h in json.loads(capsys.readouterr().out)]

    assert len(set(doc_ids("0.3"))) > len(set(doc_ids("1")))  # lower spreads passages over more articles
    assert main(["search", "Iran drones Russia", "--mmr", "1.5", "--index", str(seed_index)]) == 2
    assert "mmr_lambda=1.5 is out of range" in capsys.readouterr().err


@pytest.mark.integration  # loads the model (or builds the wheel) itself
def test_build_reports_skipped_files(tmp_path, capsys):
    corpus = tmp_path / "articles"
    corpus.mkdir()
    (corpus / "ok.txt").write_text("Drone deal\n\nIran sent many attack drones to Russia across the Caspian Sea last year.", encoding="utf-8")
    (corpus / "bad.txt").write_bytes(b"\x00\xff\x00")
    assert main(["build", str(corpus), "--index", str(tmp_path / "idx"), "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["embedded"] == ["ok"] and "bad.txt" in report["errors"][0]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, cwd=REPO, timeout=120)


def test_help_shows_examples():
    result = _run("--help")
    assert result.returncode == 0 and "examples:" in result.stdout and "rag ask" in result.stdout


def test_user_errors_are_one_line_and_exit_non_zero(tmp_path):
    result = _run("ask", "anything", "--index", str(tmp_path / "missing"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("error: no index at")
    assert "Traceback" not in result.stderr


MODEL_MODULES = "import sys; from rag.cli import main; code = main({argv!r}); " \
                "print('LOADED' if {{'torch', 'sentence_transformers'}} & set(sys.modules) else 'NO MODEL', code)"


def test_commands_that_need_no_model_load_none(index_copy):
    # Listing, removing and refusing a bad question must not pay for torch and the model (seconds on a busy machine).
    for argv in (["docs", "--index", str(index_copy)], ["ask", "x" * 5000, "--index", str(index_copy)],
                 ["remove", "001_ef6f6a18ba0eff60", "--index", str(index_copy)]):
        out = subprocess.run([sys.executable, "-c", MODEL_MODULES.format(argv=argv)], capture_output=True, text=True,
                             cwd=REPO, timeout=120).stdout
        assert "NO MODEL" in out, (argv, out)
    docs = subprocess.run([sys.executable, "-m", "rag.cli", "docs", "--index", str(index_copy)], capture_output=True,
                          text=True, cwd=REPO, timeout=120).stdout
    assert "001_ef6f6a18ba0eff60" not in docs and "003_0321a4552254fa38" in docs


def test_every_option_of_every_command_says_what_it_does():
    from rag.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction").choices
    for name, command in commands.items():
        for action in command._actions:
            assert action.help, f"`rag {name}` {action.dest} has no help text"


def test_output_cut_short_by_a_pipe_prints_no_error(seed_index):
    # `rag docs | head -1`: the reader closes the pipe early (here `true`, which reads nothing and exits at
    # once); the command must not print a traceback or "Broken pipe".
    command = f"{sys.executable} -m rag.cli docs --index {seed_index} | true; exit ${{PIPESTATUS[0]}}"
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
    assert result.stderr == "", result.stderr
    assert result.returncode in (0, 1)


def test_add_with_metadata_writes_the_sidecar_and_says_what_changed(index_copy, tmp_path, capsys):
    article = tmp_path / "pact.txt"
    article.write_text("Iran and Russia signed a pact.\n\nThe two countries agreed to hold joint drills in the Caspian "
                       "Sea next spring, officials said.\n", encoding="utf-8")
    chunks_before = sum(d["n_chunks"] for d in _docs(index_copy, capsys))
    code = main(["add", str(article), "--title", "Pact signed", "--source", "Test Wire", "--date", "2025-02-03",
                 "--author", "A. Writer", "--index", str(index_copy)])
    out = capsys.readouterr().out
    assert code == 0
    added = next(d for d in _docs(index_copy, capsys) if d["doc_id"] == "pact")
    assert (added["title"], added["source"], added["published"]) == ("Pact signed", "Test Wire", "2025-02-03")
    assert out.strip() == (f"added 1 article ({added['n_chunks']} chunk{'s' if added['n_chunks'] != 1 else ''}); "
                           f"the index now holds {chunks_before + added['n_chunks']} chunks")
    sidecar = json.loads((index_copy / "library" / "pact.meta.json").read_text(encoding="utf-8"))
    assert sidecar["author"] == "A. Writer"
    # a bad date is refused as the upload form refuses it, naming the option, and nothing is added
    assert main(["add", str(article), "--date", "Feb 31", "--index", str(index_copy)]) == 1
    assert "--date" in capsys.readouterr().err
    assert len(_docs(index_copy, capsys)) == 6


def _docs(index, capsys) -> list[dict]:
    assert main(["docs", "--index", str(index), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_ask_no_dates_searches_all_dates(seed_index, capsys):
    question = "What did Iran say about the radar since 2023?"
    assert main(["ask", question, "--index", str(seed_index), "--json"]) == 0
    read = json.loads(capsys.readouterr().out)
    assert main(["ask", question, "--index", str(seed_index), "--json", "--no-dates"]) == 0
    unread = json.loads(capsys.readouterr().out)
    assert read["timeframe"] and read["timeframe"]["date_from"]
    assert not (unread["timeframe"] or {}).get("date_from")


def test_ask_is_answered_by_a_running_app_without_loading_the_model(tmp_path, seed_index, embedder):
    from rag.remote import announced

    from .conftest import running_app

    question = "Which missile system were Russian personnel trained in Iran to operate?"
    with running_app(tmp_path, seed_index, embedder) as (url, _, index):
        alone = subprocess.run([sys.executable, "-m", "rag.cli", "ask", question, "--index", str(index)],
                               capture_output=True, text=True, cwd=REPO, timeout=300)
        assert "loading the model" in alone.stderr  # no app announced: it says so once, then answers itself
        with announced(index, url.rstrip("/")):
            script = MODEL_MODULES.format(argv=["ask", question, "--index", str(index)])
            asked = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO,
                                   timeout=300)
            # A follow-up goes to the app with its earlier question; the app reads it as the engine does.
            follow = ["ask", "What did Iran say in response?", "--follow-up", question, "--index", str(index), "--json"]
            followed = subprocess.run([sys.executable, "-c", MODEL_MODULES.format(argv=follow)], capture_output=True,
                                      text=True, cwd=REPO, timeout=300)
            # `rag search` too: the same passages as searching alone, no model loaded.
            search = ["search", "Fath-360 range", "-k", "3", "--index", str(index)]
            searched = subprocess.run([sys.executable, "-c", MODEL_MODULES.format(argv=search)], capture_output=True,
                                      text=True, cwd=REPO, timeout=300)
            # The app's refusal is printed as its message, as without an app, not as Gradio's JSON.
            refused = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "¿Qué misiles envió Irán a Rusia?",
                                      "--index", str(index)], capture_output=True, text=True, cwd=REPO, timeout=300)
        assert refused.returncode != 0 and "reads as Spanish" in refused.stderr and "{" not in refused.stderr
        assert asked.stdout.strip().endswith("NO MODEL 0"), asked.stdout + asked.stderr
        assert "loading the model" not in asked.stderr
        # the same answer, sources and bylines as answering alone
        assert asked.stdout.rsplit("NO MODEL", 1)[0].strip() == alone.stdout.strip()
        assert followed.stdout.strip().endswith("NO MODEL 0"), followed.stdout + followed.stderr
        assert searched.stdout.strip().endswith("NO MODEL 0") and "loading the model" not in searched.stderr
        searched_here = subprocess.run([sys.executable, "-m", "rag.cli", *search], capture_output=True, text=True,
                                       cwd=REPO, timeout=300)
        assert "loading the model" in searched_here.stderr and "1. " in searched_here.stdout
        assert searched.stdout.rsplit("NO MODEL", 1)[0].strip() == searched_here.stdout.strip()
        here = RAG.load(index, embedder=embedder).ask("What did Iran say in response?", history=[question])
        data = json.loads(followed.stdout.rsplit("NO MODEL", 1)[0])
        assert data["query"] == here.query != data["question"] and data["answer"] == here.text
    assert not (index / "app.json").exists()  # removed when the app stopped announcing


def test_follow_ups_on_the_command_line(seed_index, capsys, monkeypatch):
    """`rag ask --follow-up` and `rag chat` read a question with the conversation before it, as the engine does."""
    import io

    first, follow = "What did Blinken say about the Iranian missiles?", "What did Iran say in response?"
    assert main(["ask", follow, "--follow-up", first, "--index", str(seed_index), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["question"] == follow and "Blinken" in data["query"]
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{first}\n\n{follow}\nWho is Ramin Mehmanparast?\n"))
    assert main(["chat", "--index", str(seed_index)]) == 0
    out = capsys.readouterr().out
    assert out.count("Sources:") == 3  # the blank line is skipped
    # only the follow-up is read with its conversation; the new question after it is left as it is
    assert out.count("(read as:") == 1 and f"(read as: {data['query']})" in out and data["answer"] in out
    assert "Mehmanparast" in out.rsplit("Sources:", 2)[1]
