# Casedesk's production image: web (gunicorn), worker and beat all run from it (docker-compose.yml).
# scripts/compose_smoke.py runs this file's `uv sync` and `collectstatic` steps in CI.

# --- build: the locked production dependencies, without the dev group, in /opt/venv --------------
FROM python:3.12-slim AS build
ENV PYTHONDONTWRITEBYTECODE=1 UV_PROJECT_ENVIRONMENT=/opt/venv UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock .python-version ./
RUN uv sync --locked --no-dev --python python3.12

# --- messages: the translations compiled (locale/*/django.po → .mo) with GNU gettext's msgfmt, which
# only this stage installs: the runtime image takes the compiled files and no build tool.
FROM build AS messages
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
COPY . .
RUN SECRET_KEY=compilemessages-only /opt/venv/bin/python manage.py compilemessages -v0

# --- runtime: the venv and the source (.dockerignore keeps out .venv, var/, .git, .env, tests) -----
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH="/opt/venv/bin:$PATH" CASEDESK_VAR_DIR=/app/var
# An unprivileged user with a fixed id (volume ownership survives rebuilds); it owns only what the
# processes write: the var directory (liveness files) and the uploaded-files mount point.
RUN groupadd --system --gid 10001 casedesk \
    && useradd --system --uid 10001 --gid casedesk --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin casedesk
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY . .
COPY --from=messages /app/locale /app/locale
# Static files are collected at build time and served by WhiteNoise (hashed names, compressed).
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v0
# The project's bytecode is compiled into the image (the venv's already is, UV_COMPILE_BYTECODE):
# with PYTHONDONTWRITEBYTECODE every process start (web workers, the worker, beat, `run_job` from
# cron) would otherwise compile every module again.
RUN python -m compileall -q /app
# A new named volume mounted on /data/media starts with this directory's owner, so uploads work.
RUN mkdir -p /data/media && chown casedesk:casedesk /app/var /data/media
USER casedesk
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
