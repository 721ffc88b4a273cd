"""Every code block in the README runs as written, so the README cannot drift from the tool.

Shell lines run through the real CLI in a folder laid out like a clone (seeds/, examples/, a built index/);
the Python blocks run there too, the HTTP one against a running app. Two kinds of line only have their
arguments checked here: `make` targets (`make -n`: running them is what CI does) and the commands that start
a server and block (`rag serve`, `rag llm`: started for real in tests/test_llm_server.py and the app tests).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess

import pytest

from rag.cli import build_parser, main

from .conftest import REPO, SEEDS, running_app

README = (REPO / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.S)
BLOCKING = ("serve", "llm")


def shell_lines(kind: str) -> list[list[str]]:
    """The commands of the README's shell blocks, as argument lists (comments dropped)."""
    return [shlex.split(line, comments=True) for lang, body in BLOCKS if lang == kind
            for line in body.splitlines() if shlex.split(line, comments=True)]


@pytest.fixture
def clone(tmp_path, seed_index, monkeypatch):
    """A working folder like a fresh clone after `make run`: seeds/, examples/ and the built index/."""
    (tmp_path / "seeds").symlink_to(SEEDS)
    (tmp_path / "examples").symlink_to(REPO / "examples")
    shutil.copytree(seed_index, tmp_path / "index")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_is_for_users():
    assert len(README.encode()) <= 8 * 1024
    assert not re.search(r"path/to|issue-\d+|\bdev\b|held-out", README)  # no placeholders, no evaluation internals
    assert [lang for lang, _ in BLOCKS].count("bash") >= 3 and [lang for lang, _ in BLOCKS].count("python") == 2


def test_the_two_commands_are_make_targets():
    commands = [args for args in shell_lines("bash") if args[0] == "make"]
    assert [args[1] for args in commands] == ["run", "test"]
    for args in commands:
        subprocess.run(["make", "-n", *args[1:]], cwd=REPO, check=True, capture_output=True, timeout=60)


def test_every_rag_command_runs(clone, capsys):
    commands = [args for args in shell_lines("bash") if args[0] == "rag"]
    assert len(commands) >= 9
    outputs = {}
    for args in commands:
        if args[1] in BLOCKING:
            build_parser().parse_args(args[1:])  # its options exist and parse
            continue
        assert main(args[1:]) == 0, args
        outputs[shlex.join(args)] = capsys.readouterr().out
    asked = next(out for cmd, out in outputs.items() if "file types" in cmd)
    assert "sample_article" in asked or "Sample article" in asked  # the added article answers
    follow = next(out for cmd, out in outputs.items() if "--follow-up" in cmd)
    assert "(read as:" in follow and "denied providing ballistic missiles" in follow
    assert main(["docs", "--json"]) == 0  # added again last, with the title given on the command line
    added = [d for d in json.loads(capsys.readouterr().out) if d["doc_id"] == "sample_article"]
    assert [(d["title"], d["source"], d["published"]) for d in added] == [("Sample article", "Example Wire", "2026-12-01")]


def test_the_python_blocks_run(clone, seed_index, embedder, tmp_path_factory, capsys):
    local, http = [body for lang, body in BLOCKS if lang == "python"]
    exec(compile(local, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "Fath-360" in out and "Associated Press" in out and "75 miles" in out
    with running_app(tmp_path_factory.mktemp("readme-app"), seed_index, embedder) as (url, _, _):
        exec(compile(http.replace("http://127.0.0.1:7860/", url), "README.md", "exec"), {})
    assert "[1]" in capsys.readouterr().out
