# The two commands of the setup contract: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint test-deps test-sqlite test-postgres install clean bench \
        prod prod-migrate prod-web prod-worker prod-beat bench-scale

$(STAMP): pyproject.toml
	@scripts/ensure-venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@$(PY) manage.py migrate --noinput
	@$(PY) manage.py seed_demo --if-empty
	@$(PY) manage.py collectstatic --noinput -v0
	@echo ""
	@echo "  Settle is starting on http://$(HOST):$(PORT)/"
	@echo "  Log in as: bookkeeper / settle-demo   (admin: admin / settle-demo: Configure in the top bar)"
	@echo "  Web, Celery worker and beat run together; Ctrl-C stops all."
	@echo "  A client's pay-now page (every reminder carries such a link):"
	@SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(PY) manage.py pay_link --demo | sed 's/^/    /'
	@echo ""
	@SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} VENV=$(VENV) HOST=$(HOST) PORT=$(PORT) scripts/serve

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run -v0 || \
	  (echo "Models and migrations disagree: run manage.py makemigrations" && false)

test-sqlite: $(STAMP)
	@echo "==================== test suite on SQLite ===================="
	env -u DATABASE_URL $(VENV)/bin/pytest $(PYTEST_ARGS)

# The browser tests (marker e2e) run in the SQLite pass only: they test pages, not the
# database, and the suite must stay under 15 minutes on 2 cores.
test-postgres: $(STAMP)
	@echo "==================== test suite on PostgreSQL ================"
	@echo "(browser tests ran in the SQLite pass: -m 'not e2e' here)"
	scripts/with-postgres $(VENV)/bin/pytest -m "not e2e" $(PYTEST_ARGS)

test-deps:
	@scripts/ensure-packages

test: lint test-deps test-sqlite test-postgres
	@echo "All checks passed: lint, SQLite run, PostgreSQL run."

# Production without Docker: the services docker-compose.yml runs, from this checkout. Settings
# come from .env (see .env.example): DATABASE_URL (PostgreSQL), CELERY_BROKER_URL and
# CACHE_URL (Redis), SECRET_KEY, ALLOWED_HOSTS, SITE_URL. Run web, worker and exactly one beat.
PROD := DJANGO_SETTINGS_MODULE=config.settings.production
WEB_WORKERS ?= 3

prod-migrate: $(STAMP)
	$(PROD) $(PY) manage.py migrate --noinput
	$(PROD) $(PY) manage.py collectstatic --noinput -v0
	$(PROD) $(PY) manage.py check --deploy

prod-web: $(STAMP)
	$(PROD) $(VENV)/bin/gunicorn config.wsgi:application --bind $(HOST):$(PORT) \
	  --workers $(WEB_WORKERS) --access-logfile -

prod-worker: $(STAMP)
	$(PROD) $(VENV)/bin/celery -A config worker --loglevel=INFO --concurrency=2

prod-beat: $(STAMP)
	$(PROD) $(VENV)/bin/celery -A config beat --loglevel=INFO \
	  --schedule=$${SETTLE_VAR_DIR:-var}/celerybeat-schedule

prod: prod-migrate
	$(PROD) VENV=$(VENV) HOST=$(HOST) PORT=$(PORT) WEB_WORKERS=$(WEB_WORKERS) scripts/serve-production

bench: $(STAMP)
	bench/run

# The scale benchmark (bench/scale.py): 10,000 clients, 1,000,000 invoices on a throwaway
# PostgreSQL; SCALE_ARGS="--clients 500 --invoices 50000 ..." runs it smaller.
SCALE_ARGS ?=
bench-scale: $(STAMP)
	nice -n 10 scripts/with-postgres $(PY) bench/scale.py $(SCALE_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
