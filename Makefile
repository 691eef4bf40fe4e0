# The two commands of the README: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lint messages

$(STAMP): pyproject.toml
	@# The PDF report (WeasyPrint) needs Pango, HarfBuzz's subsetter and a font: Debian
	@# packages, installed where missing.
	@(ldconfig -p | grep -q libpango-1.0 && ldconfig -p | grep -q libharfbuzz-subset) || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core) || \
		echo "Pango is missing and could not be installed: no PDF reports"
	@# The translation tests read the catalogues with GNU gettext.
	@command -v xgettext >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext) || \
		echo "gettext is missing and could not be installed: the translation tests will fail"
	@# The browser tests drive Debian's Chromium.
	@command -v chromium >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) || \
		echo "Chromium is missing and could not be installed: the browser tests will fail"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Install, migrate, load the demo data and serve on http://127.0.0.1:8000/, with a Celery worker
## and beat beside the web server (reminders, exports); Ctrl-C stops them all
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py serve 127.0.0.1:8000

## Install and run the whole test suite, with lint and the migrations check
test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -m "not browser"
	$(PY) -m pytest -m browser

## Gather the marked strings into the French and German catalogues, and compile them
messages: $(STAMP)
	$(PY) manage.py makemessages -l fr -l de --no-location --no-obsolete \
		--ignore=.venv --ignore=bench --ignore=staticfiles --ignore=tests --ignore=media \
		--ignore=docs
	$(PY) manage.py compilemessages -l fr -l de --ignore=.venv
