# Two entry points, both safe to run on a fresh clone: they create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := studio/node_modules/.ci-installed

.PHONY: demo test lint bench clean studio studio-build studio-check studio-e2e

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

$(NODE_STAMP): studio/package-lock.json
	bash scripts/ensure-node.sh
	cd studio && npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

studio-build: $(STAMP) $(NODE_STAMP)  ## Build the studio into rataura2/studio_dist when it is missing or stale.
	$(BIN)/python scripts/build_studio.py

studio-check: $(NODE_STAMP)  ## The studio's type-check (tsc), lint (eslint) and unit tests (Vitest).
	cd studio && npm run --silent typecheck && npm run --silent lint && npm run --silent test

bench: $(STAMP)  ## Benchmarks against peers and the performance budget; writes docs/benchmarks.{md,png}.
	bash scripts/ensure-postgres.sh
	$(BIN)/python -m bench

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
