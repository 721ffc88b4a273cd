"""The Makefile's clean targets, run for real on a copy of it: what a user added is never removed unasked."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def checkout(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(ROOT / "Makefile", tmp_path)
    (tmp_path / "index" / "library").mkdir(parents=True)
    (tmp_path / "index" / "manifest.json").write_text("{}")
    (tmp_path / "index" / "seg-1").mkdir()
    (tmp_path / "index" / "library" / "upload.txt").write_text("An article a user uploaded.")
    (tmp_path / "index" / "library" / "upload.meta.json").write_text('{"title": "Uploaded"}')
    return tmp_path


def make(folder: Path, target: str) -> str:
    done = subprocess.run(["make", target, f"VENV={folder / 'venv'}"], cwd=folder, capture_output=True, text=True,
                          check=True)
    return done.stdout


def test_make_clean_removes_the_built_index_but_keeps_added_articles_and_says_so(checkout):
    said = make(checkout, "clean")
    assert sorted(p.name for p in (checkout / "index").iterdir()) == ["library"]
    assert (checkout / "index" / "library" / "upload.txt").read_text() == "An article a user uploaded."
    assert "kept the articles you added: 1 file(s) in index/library/" in said and "make distclean" in said


def test_make_clean_without_added_articles_removes_the_index(checkout):
    shutil.rmtree(checkout / "index" / "library")
    make(checkout, "clean")
    assert not (checkout / "index").exists()


def test_make_distclean_removes_added_articles_too(checkout):
    make(checkout, "distclean")
    assert not (checkout / "index").exists()


# ---------------------------------------------------------------- installs that do not drift


def locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def test_every_locked_package_is_installed_at_its_locked_version():
    from importlib.metadata import PackageNotFoundError, version

    pins = locked()
    assert "torch" not in pins and len(pins) > 100  # torch is installed first, at the pyproject pin
    wrong = {}
    for name, pinned in pins.items():
        try:
            found = version(name)
        except PackageNotFoundError:
            found = None
        if found != pinned:
            wrong[name] = (pinned, found)
    assert wrong == {}, "run `make` to install requirements.lock (or `make lock` after changing pyproject.toml)"


def test_the_html_cleaner_the_code_needs_is_declared_and_locked():
    from importlib.metadata import requires

    declared = [r.split(";")[0].replace(" ", "").lower() for r in requires("rag-news")]
    assert any(r.startswith(("lxml_html_clean", "lxml-html-clean", "lxml[html_clean]")) for r in declared)
    assert "lxml-html-clean" in locked()
    import lxml_html_clean  # noqa: F401 - what trafilatura's HTML cleaning imports with lxml >= 5.2
