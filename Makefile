# The two commands of the setup contract: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint lock test-deps test-sqlite test-postgres install clean bench \
        prod prod-migrate prod-web prod-worker prod-beat bench-scale bench-dispatch

LOCK     := requirements-dev.lock
LOCK_RUN := requirements.lock

# Installs exactly the locked versions (every file checked against its hash); reinstalls when
# the lock changes. The app runs from the checkout: the project itself is not installed.
$(STAMP): $(LOCK)
	@scripts/ensure-venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(LOCK)
	@touch $(STAMP)

# The word catalogues (locale/*/LC_MESSAGES/django.po) compiled with Babel: no msgfmt needed.
MESSAGES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))
$(MESSAGES): %.mo: %.po $(STAMP)
	@$(PY) scripts/compile-messages

install: $(STAMP) $(MESSAGES)

# Re-resolve both locks from pyproject.toml (newest versions its ranges allow). To upgrade one
# package only: make lock LOCK_ARGS="--upgrade-package babel". The dev lock is resolved first;
# the runtime lock is constrained to it, so both name the same versions.
LOCK_ARGS ?=
UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --quiet --custom-compile-command "make lock"
# The ESP extras (ses, postal, resend: what anymail needs for those providers) are in both
# locks, so the image and the tests can use every ESP the README names.
ESP_EXTRAS = --extra ses --extra postal --extra resend
lock: $(STAMP)
	$(UV_COMPILE) --extra dev $(ESP_EXTRAS) $(LOCK_ARGS) -o $(LOCK)
	$(UV_COMPILE) $(ESP_EXTRAS) -c $(LOCK) -o $(LOCK_RUN)
	@echo "Locks written: $(LOCK) (runtime + dev) and $(LOCK_RUN) (runtime, for the image)."

# The URL printed is the one served: HOST and PORT reach every step through SITE_URL.
run: export SITE_URL := $(or $(SITE_URL),http://$(HOST):$(PORT))
run: $(STAMP) $(MESSAGES)
	@$(PY) manage.py migrate --noinput
	@$(PY) manage.py seed_demo --if-empty
	@$(PY) manage.py collectstatic --noinput -v0
	@echo "One scheduler tick before serving (plans next reminders, fills Today's work):"
	@$(PY) manage.py reminders_tick | sed 's/^/    /'
	@echo ""
	@echo "  Settle is starting on $$SITE_URL/"
	@echo "  Log in as: bookkeeper / settle-demo   (admin: admin / settle-demo: Configure in the top bar)"
	@echo "  Web, Celery worker and beat run together (a stopped worker or beat is restarted);"
	@echo "  Ctrl-C stops all."
	@echo "  A client's pay-now page (every reminder carries such a link):"
	@$(PY) manage.py pay_link --demo | sed 's/^/    /'
	@echo ""
	@VENV=$(VENV) HOST=$(HOST) PORT=$(PORT) $(PY) scripts/serve

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) scripts/check-private-access
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run -v0 || \
	  (echo "Models and migrations disagree: run manage.py makemigrations" && false)

test-sqlite: $(STAMP) $(MESSAGES)
	@echo "==================== test suite on SQLite ===================="
	env -u DATABASE_URL $(VENV)/bin/pytest $(PYTEST_ARGS)

# The browser tests (marker e2e) run in the SQLite pass only: they test pages, not the
# database, and the suite must stay under 15 minutes on 2 cores.
test-postgres: $(STAMP) $(MESSAGES)
	@echo "==================== test suite on PostgreSQL ================"
	@echo "(browser tests ran in the SQLite pass: -m 'not e2e' here)"
	scripts/with-postgres $(VENV)/bin/pytest -m "not e2e" $(PYTEST_ARGS)

test-deps:
	@scripts/ensure-packages

# The two passes run side by side, one per core (each pass is one process; together they
# keep `make test` under 15 minutes on 2 cores). --output-sync keeps each pass's output in
# one piece: it is printed when that pass ends. `make test-sqlite` / `make test-postgres`
# run one pass alone.
test: lint test-deps
	@echo "Running the SQLite and PostgreSQL passes side by side; each prints when it ends."
	@$(MAKE) --no-print-directory --output-sync=target -j2 test-sqlite test-postgres
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

# Dispatch with 1, 2 and 4 worker processes next to bare sends, 100 ms ESP latency (issue 19;
# bench/dispatch_workers.py): DISPATCH_ARGS="--reminders 2000" runs it smaller.
bench-dispatch: $(STAMP)
	scripts/with-postgres $(PY) bench/dispatch_workers.py $(DISPATCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
