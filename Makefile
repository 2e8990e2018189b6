# Every target installs what it needs: a fresh machine needs only python3 (3.11, 3.12 or 3.13).
# PYTHON picks the interpreter; each one gets its own venv (make test PYTHON=python3.12 uses
# .venv-python3.12), so the suite can run on every supported version side by side.
PYTHON ?= python3
VENV   ?= $(if $(filter python3,$(PYTHON)),.venv,.venv-$(notdir $(PYTHON)))
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export BIN
# mkdocs-material's banner about its successor, printed on every build.
export NO_MKDOCS_2_WARNING := 1

.PHONY: install test lint typecheck check-generated generate update-spec pytest docs docs-strict \
	demo bench bench-fhir sandbox clean conformance

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[sandbox,cli,fhir]' --group dev
	@touch $(STAMP)

## make test: lint, types, generated-code drift, the API reference in strict mode, then the whole
## test suite (a few minutes: most of it is the suite).
test: lint typecheck check-generated docs-strict pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts docs
	$(BIN)/ruff format --check src tests benchmarks scripts docs

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

## make docs: the API reference (mkdocs-material + mkdocstrings) from docs/ and the docstrings,
## built into site/. docs-strict (part of make test) fails on a broken reference, a warning, or a
## public name without a docstring.
docs: $(STAMP)
	$(BIN)/mkdocs build --quiet

# Not --quiet: it drops the warnings before --strict counts them (the build could not fail).
docs-strict: $(STAMP)
	@tmp=$$(mktemp -d) && $(BIN)/mkdocs build --strict --site-dir $$tmp/site >$$tmp/log 2>&1; \
	  status=$$?; grep -v '^INFO' $$tmp/log; rm -rf $$tmp; exit $$status

## make generate: delete generated/ and regenerate it from openapi/legit-health.yaml plus our marks
## in openapi/legit-health.overlay.yaml; the sandbox ships the merged contract inside the package
## (a test fails when it differs from base + overlay).
generate: $(STAMP)
	scripts/generate.sh generated
	$(BIN)/python scripts/overlay.py apply > src/legithealth_async/sandbox/openapi.yaml.new
	mv src/legithealth_async/sandbox/openapi.yaml.new src/legithealth_async/sandbox/openapi.yaml

## make update-spec SPEC=path-or-url: take a new Swagger 2.0 / OpenAPI 3.x document (JSON or YAML;
## a path, file:// or https:// URL), convert it (swagger2openapi, installed into the venv on first
## use), normalise it, regenerate and run the contract tests in a temporary folder, and swap the
## result in only when all of that passed; then print what changed (scripts/update_spec.py).
## Our marks (openapi/legit-health.overlay.yaml) are put on the new document first: a mark whose
## target it no longer has stops the update, named; ALLOW_STALE_MARKS=1 goes on anyway.
update-spec: $(STAMP)
	@test -n "$(SPEC)" || { echo "usage: make update-spec SPEC=path-or-file-url" >&2; exit 2; }
	$(BIN)/python scripts/update_spec.py "$(SPEC)" $(if $(ALLOW_STALE_MARKS),--allow-stale-marks)

## make check-generated: fails when generated/ differs from a fresh generation (new files too).
check-generated: $(STAMP)
	@tmp=$$(mktemp -d) && scripts/generate.sh $$tmp && \
	if diff -r generated/_generated $$tmp/_generated; then \
	  echo "generated/ matches openapi/legit-health.yaml + its overlay"; rm -rf $$tmp; \
	else \
	  echo "generated/ is stale or hand-edited: run 'make generate' and commit the result" >&2; \
	  rm -rf $$tmp; exit 1; \
	fi

## make demo: the main job - a bulk sync of 2,000 synthetic patients against the embedded sandbox.
## It needs only the runtime, sandbox and cli extras (a lighter install than the dev tools).
DEMO_STAMP := $(VENV)/.demo-stamp
$(DEMO_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -f $(STAMP) -a $(STAMP) -nt pyproject.toml || \
	  $(BIN)/python -m pip install --quiet -e '.[sandbox,cli]'
	@touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/python -m legithealth_async.demo

## make bench: benchmarks, printed as a table and written to benchmarks/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python -m benchmarks

## make conformance: the client through real servers (docs/conformance.md): nginx in front of the
## sandbox (TLS from a test CA, keep-alive limits, gzip, chunked answers) and squid (basic auth,
## CONNECT), on every transport. Installs nginx and squid with apt-get when missing (root).
conformance: $(STAMP)
	scripts/conformance/install-packages.sh
	$(BIN)/python -m pytest -q -m conformance tests/conformance $(PYTEST_ARGS)

## make bench-fhir: only the FHIR section (issue 23: 10,000 patients end to end, RSS 10k vs 100k).
bench-fhir: $(STAMP)
	$(BIN)/python -m benchmarks --no-write fhir

sandbox: $(DEMO_STAMP)
	$(BIN)/legithealth sandbox --port 8000

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis site
