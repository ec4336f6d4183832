# Village Points: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run dev test lint messages clean system-packages fonts stack stack-stop stack-packages

$(PY):
	$(PYTHON) -m venv $(VENV) || { apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# The embedded default: SQLite in ./var, Celery tasks eager, gunicorn serving with WhiteNoise.
run: $(VENV)/.runtime fonts
	$(PY) manage.py migrate --noinput
	$(PY) manage.py loaddemo
	$(VENV)/bin/gunicorn config.wsgi --bind 127.0.0.1:8000 --workers 2 --threads 4 --access-logfile -

# Django's development server, with DEBUG on and code reloading.
dev: $(VENV)/.runtime fonts
	$(PY) manage.py migrate --noinput
	$(PY) manage.py loaddemo
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# PostgreSQL (the owner migrates, the app runs as the restricted village_app) + Redis + Celery
# worker and beat + gunicorn on 127.0.0.1:8000 (see scripts/stack).
stack: $(VENV)/.runtime stack-packages fonts
	scripts/stack start

stack-stop:
	scripts/stack stop

stack-packages:
	@command -v redis-server >/dev/null && command -v psql >/dev/null && command -v curl >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server postgresql-client curl >/dev/null; }
	@command -v initdb >/dev/null || { echo "PostgreSQL's server programs (initdb, pg_ctl, postgres) must be on the PATH;" \
	  "on Debian: apt-get install postgresql and add /usr/lib/postgresql/15/bin to PATH." >&2; exit 1; }

# Certificates embed WenQuanYi Micro Hei (ReportLab's built-in CJK fonts are not embedded).
fonts:
	@test -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; }

system-packages:
	@missing=""; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	test -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || missing="$$missing fonts-wqy-microhei"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The whole suite on SQLite (the embedded default), then again on a throwaway PostgreSQL cluster.
test: $(VENV)/.dev system-packages lint
	$(PY) manage.py makemigrations --check --dry-run >/dev/null
	@echo "== SQLite =="
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-thorough} $(VENV)/bin/pytest -n 2 -p no:cacheprovider
	@echo "== PostgreSQL =="
	scripts/with-postgres $(VENV)/bin/pytest -n 2 -p no:cacheprovider

# After changing user-facing strings: update the catalogues, translate, then compile.
messages: $(VENV)/.dev
	$(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete --no-location \
	  --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'
	$(PY) manage.py compilemessages --ignore '.venv/*' --ignore 'var/*'

clean:
	rm -rf $(VENV) var test-artifacts
