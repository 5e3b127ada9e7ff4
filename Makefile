# Two entry points, both safe to run on a fresh clone: they create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := studio/node_modules/.ci-installed

.PHONY: demo test lint bench clean studio studio-build studio-check studio-e2e studio-screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## Play the EVE Online demo on SQLite with the offline LLM.
	$(BIN)/rataura2 demo --database-url sqlite:///out/demo.db --graph out/demo-graph.png

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(STAMP) lint studio-check  ## Lint, type-check and run the whole test suite (starts PostgreSQL if it is down).
	bash scripts/ensure-postgres.sh
	$(BIN)/pytest -q
	$(MAKE) --no-print-directory studio-e2e

$(NODE_STAMP): studio/package-lock.json
	bash scripts/ensure-node.sh
	cd studio && npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

studio-build: $(STAMP) $(NODE_STAMP)  ## Build the studio into rataura2/studio_dist when it is missing or stale.
	$(BIN)/python scripts/build_studio.py

studio-check: $(NODE_STAMP)  ## The studio's type-check (tsc), lint (eslint) and unit tests (Vitest).
	cd studio && npm run --silent typecheck && npm run --silent lint && npm run --silent test

studio-e2e: studio-build  ## The studio's browser test: Debian's Chromium against the real `rataura2 serve`.
	bash scripts/ensure-chromium.sh
	cd studio && npm run --silent e2e

studio-screenshots: studio-build  ## The browser test, keeping its screenshots in docs/studio/ (docs/studio.md).
	bash scripts/ensure-chromium.sh
	cd studio && STUDIO_SCREENSHOT_DIR=../docs/studio npm run --silent e2e

STUDIO_DB := sqlite:///out/studio.db
studio: studio-build  ## The studio on the EVE demo (seeded once, with one recorded session): http://127.0.0.1:8000
	mkdir -p out
	test -f out/studio.db || { rm -f out/studio-token.txt; $(BIN)/rataura2 demo --database-url $(STUDIO_DB) > out/studio-demo.log; }
	test -s out/studio-token.txt || $(BIN)/rataura2 token create --role admin --name studio -d $(STUDIO_DB) \
		| grep -o 'r2_[A-Za-z0-9_-]*' > out/studio-token.txt
	@echo "Open http://127.0.0.1:8000 and sign in with the token in out/studio-token.txt: $$(cat out/studio-token.txt)"
	$(BIN)/rataura2 serve -d $(STUDIO_DB)

bench: $(STAMP)  ## Benchmarks against peers and the performance budget; writes docs/benchmarks.{md,png}.
	bash scripts/ensure-postgres.sh
	$(BIN)/python -m bench

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
