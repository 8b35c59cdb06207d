# Settle's production image: Python 3.12 slim with WeasyPrint's system libraries (Pango,
# HarfBuzz, fonts), the app installed from requirements.lock, static files collected at build.
FROM python:3.12-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Exactly the locked runtime versions, each file checked against its hash (make lock writes it).
COPY requirements.lock ./
RUN pip install --upgrade pip && pip install --require-hashes --no-deps -r requirements.lock
COPY . .
# collectstatic needs settings but no secrets or database: a throwaway key for the build only.
RUN python scripts/compile-messages
RUN SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret-xx \
    python manage.py collectstatic --noinput -v0
RUN useradd --create-home --uid 10001 settle && mkdir -p /app/var && chown -R settle /app/var
USER settle
EXPOSE 8000
# gunicorn.conf.py holds the request line and header limits; the body limit is the app's.
CMD ["gunicorn", "config.wsgi:application", "--config", "gunicorn.conf.py", \
     "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
