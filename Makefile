# The README's commands. `make install` once on a fresh machine; then
# `make demo` runs a demo ballot and `make test` runs every check CI runs.
# The distribution's CPython 3.11 when there is one: it is built with PGO and LTO and
# runs the matcher about 11% faster than a plain source build such as pyenv's default
# (bench/match.py at 200,000 electors, same machine, same code).
PY ?= $(firstword $(wildcard /usr/bin/python3.11) python3.11)
VENV := .venv
BIN := $(VENV)/bin
MEMBERS ?= 2000
SEED ?= 11

.PHONY: axe install demo test lint typecheck unit integration faults e2e bench clean

$(BIN)/rollcall: pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

install: $(BIN)/rollcall

demo: install
	$(BIN)/rollcall demo --members $(MEMBERS) --seed $(SEED) --report var/demo-report.json

lint: install
	$(BIN)/ruff check rollcall rollcall_cli rollcall_tools services gateway tests bench
	$(BIN)/ruff format --check rollcall rollcall_cli rollcall_tools services gateway tests bench
	$(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy rollcall/config.py rollcall/db.py rollcall/audit.py rollcall/sealing.py \
	  rollcall/formats.py rollcall/preflight.py rollcall/intake rollcall/messaging rollcall/runtime.py rollcall/entrypoints.py rollcall/spreadsheet.py rollcall/retention.py rollcall/ordering.py \
	  services/codes/codeformat.py services/codes/issuing.py services/codes/slowing.py \
	  services/registration/rows.py services/registration/ledger.py \
	  services/registration/ledger_writer.py services/registration/contacts.py \
	  services/registration/eligibility.py services/matching/erasing.py services/mailer/letters.py services/mailer/printing.py services/mailer/outcomes.py services/mailer/reminding.py services/mailer/claiming.py \
	  services/mailer/bounces.py services/mailer/reporting.py services/mailer/erasing.py \
	  services/tally/counting services/tally/ballotfiles \
	  services/tally/bulletin.py services/tally/certificate.py services/tally/contests.py services/tally/repeats.py \
	  services/tally/report.py services/tally/report_pdf.py \
	  services/matching/matcher

test: lint typecheck axe
	$(BIN)/pytest -q tests

# axe-core, from the npm registry, for the browser test of the voting page (tests/integration/gateway/test_browser.py).
AXE_VERSION := 4.11.0
axe: var/axe/node_modules/axe-core/axe.min.js

var/axe/node_modules/axe-core/axe.min.js:
	npm install --silent --no-audit --no-fund --prefix var/axe axe-core@$(AXE_VERSION)

unit: install
	$(BIN)/pytest -q tests/unit

integration: install
	$(BIN)/pytest -q tests/integration

faults: install
	$(BIN)/pytest -q tests/faults

e2e: install
	$(BIN)/pytest -q tests/e2e

bench: install
	$(BIN)/python bench/pipeline.py

clean:
	rm -rf var/demo var/db
