# Guichet: `make run` serves the demo on SQLite; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench bench-smoke lint assets screenshots wheel wheel-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The design system comes from npm (package-lock.json); the pages use a bundle built from it.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

assets: node_modules/.package-lock.json
	$(PYTHON) -m booking.web.build_assets

# The demo runs in development (its published secret, the demo's staff accounts), on loopback.
run: export GUICHET_ENVIRONMENT ?= development
run: $(STAMP) assets
	$(BIN)/guichet migrate
	$(BIN)/guichet demo --history 6
	$(BIN)/guichet serve

test: $(STAMP) assets
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2  # two processes: the machine's two cores

# Each benchmark prints its figures and ratios; PostgreSQL parts need GUICHET_BENCH_POSTGRES_URL
# (or GUICHET_TEST_POSTGRES_URL). `bench-smoke` runs every one at a small size (CI runs it).
BENCHES := slots_and_booking dispatch dashboard pages release waitlist catalogue

bench: $(STAMP) assets
	for bench in $(BENCHES); do $(BIN)/python -m bench.$$bench || exit 1; done

bench-smoke: $(STAMP) assets
	for bench in $(BENCHES); do $(BIN)/python -m bench.$$bench --smoke || exit 1; done

screenshots: $(STAMP) assets
	$(BIN)/python -m tools.screenshots

wheel: $(STAMP) assets
	rm -rf dist
	$(BIN)/pip wheel --quiet --no-deps --wheel-dir dist .

wheel-check: wheel
	.ci/wheel-check dist/guichet-*.whl

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var .pytest_cache dist build node_modules booking/web/static
