#!/usr/bin/env bash
# Contract fuzzing: schemathesis against a live gunicorn on loopback, as a customer, a partner, an
# analyst and (the reports only) a support manager. Needs DATABASE_URL (a PostgreSQL database it may fill) and CELERY_BROKER_URL.
# Fails on any 5xx or schema violation. Usage: scripts/contract_fuzz.sh [max-examples per operation]
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES=${1:-${FUZZ_MAX_EXAMPLES:-20}}
PORT=${FUZZ_PORT:-8765}
REPORT_DIR=${FUZZ_REPORT_DIR:-artifacts/schemathesis}
# CI runs the reproducible phases with deterministic generation (a landing must not depend on luck);
# by hand, the default adds the stateful phase, which follows links between live objects.
PHASES=${FUZZ_PHASES:-examples,coverage,fuzzing,stateful}
EXTRA=()
[ "${FUZZ_DETERMINISTIC:-0}" = 1 ] && EXTRA+=(--generation-deterministic)
mkdir -p "$REPORT_DIR"

export DEBUG=0 SECRET_KEY=${SECRET_KEY:-contract-fuzzing-only} ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 \
  SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 THROTTLE_ANON_RATE=1000000/min THROTTLE_USER_RATE=1000000/min \
  LOGIN_FAILURE_LIMIT=1000000 \
  EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend WHITENOISE_USE_FINDERS=1 \
  INBOUND_EMAIL_SECRET=fuzz-inbound-secret MEDIA_ROOT="$REPORT_DIR/media" \
  PRECOMPILED_QUERIES_CHECK=1

.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py demo_load --no-cases -v0  # fuzz_setup.py makes the cases it names
eval "$(.venv/bin/python manage.py shell < scripts/fuzz_setup.py | grep -E '^[A-Z_]+=[A-Za-z0-9]+$' | sed 's/^/export /')"

.venv/bin/gunicorn config.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 --log-level warning \
  --capture-output --error-logfile "$REPORT_DIR/gunicorn.log" --access-logfile "$REPORT_DIR/access.log" &
GUNICORN=$!
trap 'kill $GUNICORN 2>/dev/null; wait $GUNICORN 2>/dev/null || true' EXIT

# Each worker generates the schema on its first request (then keeps it): ask both before schemathesis
# does, so its 10-second read timeout never meets a busy machine's first generation.
for _ in 1 2; do
  curl -s -o /dev/null --retry 30 --retry-connrefused --retry-delay 1 --max-time 180 "http://127.0.0.1:$PORT/api/schema/" &
  first=$!
  curl -s -o /dev/null --retry 30 --retry-connrefused --retry-delay 1 --max-time 180 "http://127.0.0.1:$PORT/api/schema/" &
  wait $first $! || true
done

status=0
# Revoking tokens would end an actor's own session halfway through its run: those operations are
# fuzzed by TOKEN_OWNER, a user of their own, and only they.
REVOKING='^auth_tokens_revoke'
# The reports answer 403 to everyone above: SUPPORT_MANAGER (every company's reports) fuzzes them
# with answers of 200, and only them (its other operations are the analyst's).
REPORTS='^reports_'
for actor in CUSTOMER PARTNER ANALYST TOKEN_OWNER SUPPORT_MANAGER; do
  case "$actor" in
    TOKEN_OWNER) SELECT=(--include-operation-id-regex "$REVOKING") ;;
    SUPPORT_MANAGER) SELECT=(--include-operation-id-regex "$REPORTS") ;;
    *) SELECT=(--exclude-operation-id-regex "$REVOKING") ;;
  esac
  echo "== schemathesis as $actor ($EXAMPLES examples per operation)"
  .venv/bin/schemathesis run "http://127.0.0.1:$PORT/api/schema/" "${SELECT[@]}" \
    --wait-for-schema 30 \
    --checks all \
    --max-examples "$EXAMPLES" \
    --workers 2 \
    --seed 20261123 \
    --phases "$PHASES" "${EXTRA[@]}" \
    --header "Authorization: Token ${!actor}" \
    --report junit --report-junit-path "$REPORT_DIR/$actor.xml" \
    --no-color || status=1
done
if grep -q "Internal Server Error\|Traceback" "$REPORT_DIR/gunicorn.log"; then
  echo "gunicorn logged server errors:"; grep -A5 "Traceback" "$REPORT_DIR/gunicorn.log" | head -60; status=1
fi
exit $status
