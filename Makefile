# Entitle: `make run` starts the embedded stack, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PACKAGES := contracts services/servicekit opskit devkit services/identity services/subscriptions \
            services/seats services/notifications services/billing services/portal clients/python
STAMP  := $(VENV)/.installed

.PHONY: run demo test unit system lint bench install clean docs contracts-docs screenshots

$(STAMP): Makefile requirements-dev.txt tools/kcat $(addsuffix /pyproject.toml,$(PACKAGES))
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(addprefix -e ,$(PACKAGES)) -r requirements-dev.txt
	install -m 755 tools/kcat $(VENV)/bin/kcat
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m devkit.devstack

demo: $(STAMP)
	$(VENV)/bin/entitle demo

unit: $(STAMP)
	$(PY) -m pytest contracts services opskit devkit bench clients/python/tests -q

# Two workers: each backend's system tests stay on one worker, which starts that backend's
# stack once (tests/conftest.py groups them), so the SQLite and PostgreSQL stacks run side by side.
PARALLEL := -n 2 --dist loadgroup

system: $(STAMP)
	$(PY) -m pytest tests -q $(PARALLEL)

test: $(STAMP)
	$(PY) -m pytest contracts services opskit devkit bench clients/python/tests tests -q $(PARALLEL)

# Static checks: style, import order and likely bugs (ruff), types (mypy, configured in the
# root pyproject.toml), and the package layering (import-linter: the runtime names no service
# and imports neither the operator command nor the dev kit; no service imports another;
# domain packages are pure).
MYPY_PACKAGES := contracts servicekit opskit devkit identity subscriptions seats notifications billing portal bench \
                 entitle_client desktop_product
IMPORT_PATH := contracts:services/servicekit:opskit:devkit:services/identity:services/subscriptions:services/seats:services/notifications:services/billing:services/portal

# The portal's pictures in docs/portal/, taken by the browser tests as they walk the journeys.
screenshots: $(STAMP)
	ENTITLE_SCREENSHOTS=$(CURDIR)/docs/portal $(PY) -m pytest tests/browser -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy $(addprefix -p ,$(MYPY_PACKAGES))
	PYTHONPATH=$(IMPORT_PATH) $(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf var .pytest_cache

docs: contracts-docs  ## every generated document: contracts and the configuration reference
	$(PY) -m devkit.settingsdoc

contracts-docs: $(STAMP)  ## JSON Schemas, envelope and AsyncAPI of the events into docs/contracts/
	$(PY) -m contracts.export

.PHONY: migration
migration: $(STAMP)  ## the next schema revision: make migration SERVICE=seats MESSAGE="add seat notes"
	@test -n "$(SERVICE)" -a -n "$(MESSAGE)" || { echo 'usage: make migration SERVICE=<service or servicekit> MESSAGE="..."'; exit 2; }
	$(PY) -m devkit.revision $(SERVICE) -m "$(MESSAGE)"
