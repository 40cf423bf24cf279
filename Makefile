# cunrong — the two commands: `make demo` and `make test`. Both set up everything they need.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
CUNRONG := $(BIN)/cunrong
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

.PHONY: demo test system browser qgis venv db sample lint bench clean-db help

help:
	@echo "make demo   set up PostGIS + venv, load the sample town, serve http://127.0.0.1:8000"
	@echo "make test   set up the same, then run the whole test suite against a real PostGIS"
	@echo "make lint   ruff format --check, ruff check, mypy on geo, service and scoring"

## System packages: PostgreSQL + PostGIS (skipped when DATABASE_URL points elsewhere).
system:
	@if [ -n "$$DATABASE_URL" ]; then echo "DATABASE_URL is set: using that database"; exit 0; fi; \
	if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && \
	   ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
	  echo "PostgreSQL + PostGIS are missing: install them (e.g. brew install postgis)," \
	       "or set DATABASE_URL, or run docker compose up" >&2; exit 1; fi; \
	echo "Installing PostgreSQL + PostGIS (apt-get)…"; \
	$(APT) update -qq && $(APT) install -y -qq postgresql postgresql-postgis >/dev/null

## Headless Chromium and CJK fonts: the browser tests and the monthly bulletin (月度通报);
## poppler-utils (pdftotext, pdftoppm) reads the bulletin back in the tests.
browser:
	@if command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi "noto.*cjk" && \
	   command -v pdftotext >/dev/null; then exit 0; fi; \
	echo "Installing chromium, CJK fonts and poppler-utils (apt-get)…"; \
	$(APT) update -qq && $(APT) install -y -qq chromium fonts-noto-cjk poppler-utils >/dev/null

## QGIS (Debian's python3-qgis + providers), run headless by the OGC API tests with the
## system python3: they open the /ogc layers and the `cunrong qgis-project` file.
qgis:
	@if /usr/bin/python3 -c "import qgis.core" 2>/dev/null; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
	  echo "QGIS is missing: install python3-qgis (the OGC API tests run it headless)" >&2; exit 1; fi; \
	echo "Installing QGIS (python3-qgis, qgis-providers; apt-get, a few minutes)…"; \
	$(APT) update -qq && $(APT) install -y -qq --no-install-recommends python3-qgis qgis-providers >/dev/null

$(BIN)/python:
	@if ! $(PY) -m venv --help >/dev/null 2>&1 || ! $(PY) -c "import ensurepip" 2>/dev/null; then \
	  echo "Installing python3-venv (apt-get)…"; \
	  $(APT) update -qq && $(APT) install -y -qq python3-venv python3-dev >/dev/null; fi
	$(PY) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

venv: $(VENV)/.installed

db: system venv
	@if [ -z "$$DATABASE_URL" ]; then $(CUNRONG) db start; fi
	$(CUNRONG) db upgrade

sample: db browser
	$(CUNRONG) sample load --if-empty
	$(CUNRONG) tiles refresh

demo: sample
	@CUNRONG_ENVIRONMENT=development $(CUNRONG) sample users
	@echo ""
	@echo "村容 cunrong — sample town 大张庄镇 (synthetic data)"
	@echo "  sign in    http://127.0.0.1:8000/login   (demo users above; reading is open in development)"
	@echo "  dashboard  http://127.0.0.1:8000/"
	@echo "  ranking    http://127.0.0.1:8000/maps/ranking"
	@echo "  issue map  http://127.0.0.1:8000/maps/issues?village=DZZ07"
	@echo "  API docs   http://127.0.0.1:8000/docs"
	@echo "  health     http://127.0.0.1:8000/health"
	@echo "  villages   http://127.0.0.1:8000/villages"
	@echo "  issues     http://127.0.0.1:8000/issues?status=open&village=DZZ01"
	@echo ""
	CUNRONG_ENVIRONMENT=development $(CUNRONG) serve --host 127.0.0.1 --port 8000

test: system browser qgis venv
	@if [ -z "$$DATABASE_URL" ]; then $(CUNRONG) db start; fi
	$(BIN)/python -m pytest -rs -q -p no:cacheprovider $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy geo service scoring

bench: db browser
	$(BIN)/python -m benchmarks.ingest
	$(BIN)/python -m benchmarks.maps
	$(BIN)/python -m benchmarks.scoring

clean-db:
	-$(CUNRONG) db stop
	rm -rf data/pgdata
