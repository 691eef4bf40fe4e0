# The two commands of the README: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
APT := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq
# The production server's test runs on a SQLite file of its own whatever DATABASE_URL says: CI's
# second pass (PostgreSQL) leaves it out with PRODUCTION_TEST=no.
PRODUCTION_TEST ?= yes

.PHONY: run serve test install system lint messages screenshots

## Debian packages, checked on every run (cheap) and installed where missing. A failed install
## (e.g. apt's lock held by another install) is only a warning, and is tried again next time.
system:
	@# The PDF report (WeasyPrint) needs Pango, HarfBuzz's subsetter and a font.
	@(ldconfig -p | grep -q libpango-1.0 && ldconfig -p | grep -q libharfbuzz-subset) || \
		(apt-get update -qq && $(APT) libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
		fonts-dejavu-core) || \
		echo "Pango is missing and could not be installed: no PDF reports"
	@# The translation tests read the catalogues with GNU gettext.
	@command -v xgettext >/dev/null || (apt-get update -qq && $(APT) gettext) || \
		echo "gettext is missing and could not be installed: the translation tests will fail"
	@# The browser tests drive Debian's Chromium.
	@command -v chromium >/dev/null || (apt-get update -qq && $(APT) chromium) || \
		echo "Chromium is missing and could not be installed: the browser tests will fail"

# The stamp stands for a successful pip install only.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: system $(STAMP)

## Install, migrate, load the demo data and serve on http://$(HOST):$(PORT)/ (make run PORT=8001),
## with a Celery worker and beat beside the web server (reminders, exports); Ctrl-C stops them all
run: system $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py serve $(HOST):$(PORT)

## Production: gunicorn with DEBUG off, a Celery worker and beat, on http://$(HOST):$(PORT)/ behind
## the TLS-terminating proxy. Needs SECRET_KEY (and ALLOWED_HOSTS, DATABASE_URL, REDIS_URL...: see
## the README's Production section) in the environment.
serve: system $(STAMP)
	DEBUG=false $(PY) manage.py collectstatic --noinput
	DEBUG=false $(PY) manage.py migrate --noinput
	DEBUG=false $(PY) manage.py serve --production $(HOST):$(PORT)

## Install and run the whole test suite, with lint and the migrations check: spread over every
## core (pytest-xdist, each worker with a database of its own), then the production server's test
## and the browser test, each alone
test: system $(STAMP)
	$(PY) -m ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -m "not browser and not production" -n auto
	$(if $(filter yes,$(PRODUCTION_TEST)),$(PY) -m pytest -m production)
	$(PY) -m pytest -m browser

## Refresh the README's screenshots (docs/screenshots/) by running the browser test
screenshots: system $(STAMP)
	SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest -m browser tests/web/test_browser.py \
		tests/web/test_browser_paths.py

## Gather the marked strings into the French and German catalogues, and compile them
messages: $(STAMP)
	$(PY) manage.py makemessages -l fr -l de --no-location --no-obsolete \
		--ignore=.venv --ignore=bench --ignore=staticfiles --ignore=tests --ignore=media \
		--ignore=docs --ignore=templates/rest_framework
	$(PY) manage.py compilemessages -l fr -l de --ignore=.venv
