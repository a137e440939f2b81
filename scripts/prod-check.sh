#!/usr/bin/env bash
# Usage: scripts/prod-check.sh   (or `make prod-check`)
#
# The production settings, locally, without Docker: on a throwaway PostgreSQL + Redis
# (scripts/test-services.sh) it runs settings.prod with real-looking environment values,
# `migrate`, `check --deploy` (warnings fail), `collectstatic`, then gunicorn on a free loopback
# port and one Celery worker, and polls GET /health/ until it answers 200 (60 s at most). It shows
# the JSON and the HTTPS behaviour (http → https redirect, HSTS and the other headers), then stops
# everything it started. Exit status 0 only if every step passed.
set -euo pipefail

cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
BIN=$(dirname "$PY")

# Outer call: start the services, then run this script again inside them.
if [ -z "${PROD_CHECK_INNER:-}" ]; then
  export PROD_CHECK_INNER=1 DJANGO_SETTINGS_MODULE=settings.prod PY
  exec bash scripts/test-services.sh bash "$0" "$@"
fi

log() { echo "prod-check: $*" >&2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/prod-check.XXXXXX")
web_pid=""
worker_pid=""
stop() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in $web_pid $worker_pid; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $web_pid $worker_pid; do
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$rc" -ne 0 ]; then
    for f in "$work"/gunicorn.log "$work"/worker.log; do
      [ -f "$f" ] && { log "--- last lines of $(basename "$f")"; tail -n 30 "$f" >&2; }
    done
  fi
  rm -rf "$work"
  [ "$rc" -eq 0 ] && log "PASSED" || log "FAILED (exit $rc)"
  exit "$rc"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- production environment (DATABASE_URL and REDIS_URL come from test-services.sh) -------------
export DJANGO_SETTINGS_MODULE=settings.prod
DJANGO_SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
export DJANGO_SECRET_KEY
export DJANGO_ALLOWED_HOSTS=127.0.0.1
export DJANGO_STATIC_ROOT="$work/static"
export DJANGO_MEDIA_ROOT="$work/media"
export DJANGO_LOG_LEVEL=WARNING
# SECURE_SSL_REDIRECT stays on, as in production: requests below say they came through the TLS
# proxy (X-Forwarded-Proto: https); /health/ is exempt from the redirect anyway.
mkdir -p "$DJANGO_MEDIA_ROOT"

log "settings.prod, DATABASE_URL=${DATABASE_URL}, REDIS_URL=${REDIS_URL}"
log "migrate"
"$PY" manage.py migrate --noinput -v 0
log "check --deploy"
"$PY" manage.py check --deploy --fail-level WARNING
log "collectstatic"
"$PY" manage.py collectstatic --noinput -v 0

port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

log "gunicorn on $base (2 workers) and one Celery worker"
"$BIN/gunicorn" settings.wsgi:application --bind "127.0.0.1:$port" --workers 2 \
  --access-logfile - >"$work/gunicorn.log" 2>&1 &
web_pid=$!
"$BIN/celery" -A settings.celery worker --pool solo --concurrency 1 -n "prod-check@%h" \
  -l WARNING >"$work/worker.log" 2>&1 &
worker_pid=$!

# --- /health/ until 200 ------------------------------------------------------------------------
deadline=$((SECONDS + 60))
status=""
while [ "$SECONDS" -lt "$deadline" ]; do
  kill -0 "$web_pid" 2>/dev/null || { log "gunicorn exited"; exit 1; }
  kill -0 "$worker_pid" 2>/dev/null || { log "the Celery worker exited"; exit 1; }
  status=$(curl -s -o "$work/health.json" -w '%{http_code}' --max-time 5 \
    -H 'X-Forwarded-Proto: https' "$base/health/" || true)
  [ "$status" = "200" ] && break
  sleep 0.5
done
if [ "$status" != "200" ]; then
  log "GET /health/ did not answer 200 within 60 s (last: ${status:-no answer})"
  cat "$work/health.json" 2>/dev/null >&2 || true
  exit 1
fi
echo "GET /health/ → $status $(cat "$work/health.json")"

# --- HTTPS behaviour ---------------------------------------------------------------------------
plain=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 5 "$base/login/")
echo "GET /login/ over plain http → $plain"
[ "$plain" = "301 https://127.0.0.1:$port/login/" ] || { log "expected a redirect to https"; exit 1; }
echo "GET /login/ via the TLS proxy → headers:"
curl -s -D - -o /dev/null --max-time 5 -H 'X-Forwarded-Proto: https' "$base/login/" \
  | tr -d '\r' | grep -iE '^(HTTP/|strict-transport|x-frame|x-content-type|referrer-policy|set-cookie)' \
  | sed -E 's/(csrftoken=)[^;]+/\1…/' | sed 's/^/  /'
hsts=$(curl -s -D - -o /dev/null --max-time 5 -H 'X-Forwarded-Proto: https' "$base/login/" \
  | tr -d '\r' | grep -ci '^strict-transport-security: max-age=31536000' || true)
[ "$hsts" = "1" ] || { log "no HSTS header"; exit 1; }
