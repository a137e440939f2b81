#!/usr/bin/env bash
# Usage: scripts/test-services.sh CMD [ARGS...]
#
# Starts a throwaway PostgreSQL cluster and Redis server on 127.0.0.1 (free ports, temp dir),
# exports DATABASE_URL / REDIS_URL / DJANGO_SETTINGS_MODULE / PLAYWRIGHT_CHROMIUM, runs CMD,
# then stops both and removes the temp dir whatever happens. Exits with CMD's status
# (pytest's "no tests ran" status 5 becomes 1).
set -uo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

log() { echo "test-services: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- locate tools -----------------------------------------------------------------------------
pgbin=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
  [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && pgbin=$d
done
[ -n "$pgbin" ] || die "no PostgreSQL server found under /usr/lib/postgresql/*/bin (Debian package: postgresql)"
command -v redis-server >/dev/null 2>&1 || die "redis-server not found (Debian package: redis-server)"
command -v redis-cli >/dev/null 2>&1 || die "redis-cli not found (Debian package: redis-tools)"
command -v python3 >/dev/null 2>&1 || die "python3 not found"
command -v setsid >/dev/null 2>&1 || die "setsid not found (Debian package: util-linux)"

as_pg() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
  id -u postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run PostgreSQL as"
  as_pg() { runuser -u postgres -- "$@"; }
fi

# --- cleanup, installed before anything is started ---------------------------------------------
tmp=""
pg_started=""
redis_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$pg_started" ]; then
    (cd "$tmp" && as_pg "$pgbin/pg_ctl" -D "$tmp/pgdata" stop -m immediate -s >/dev/null 2>&1) || true
  fi
  if [ -n "$redis_pid" ]; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  [ -n "$tmp" ] && rm -rf "$tmp"
  exit "$rc"
}
child=""
# Ctrl-C in a terminal reaches CMD directly (same process group): let it finish its own teardown.
# TERM (e.g. a CI timeout) is forwarded to CMD. A second signal exits at once.
on_signal() {
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    [ "$1" = TERM ] && kill -TERM "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  exit "$2"
}
trap cleanup EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-services.XXXXXX") || die "mktemp failed"
chmod 755 "$tmp" # traversable for the postgres user
mkdir -p "$tmp/pgdata" "$tmp/pgrun" "$tmp/redis"
chmod 700 "$tmp/pgdata"
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$tmp/pgdata" "$tmp/pgrun"
fi

read -r pgport redisport < <(python3 -c '
import socket
socks = []
for _ in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(*(s.getsockname()[1] for s in socks))
')
[ -n "${pgport:-}" ] && [ -n "${redisport:-}" ] || die "could not pick free ports"

# --- PostgreSQL --------------------------------------------------------------------------------
initdb_base=(-D "$tmp/pgdata" -A trust -U postgres --encoding=UTF8)
if ! (cd "$tmp" && as_pg "$pgbin/initdb" "${initdb_base[@]}" --locale=C.UTF-8 >"$tmp/initdb.log" 2>&1); then
  log "initdb with --locale=C.UTF-8 failed, retrying with --no-locale"
  rm -rf "$tmp/pgdata" && mkdir -m 700 "$tmp/pgdata"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$tmp/pgdata"
  if ! (cd "$tmp" && as_pg "$pgbin/initdb" "${initdb_base[@]}" --no-locale >"$tmp/initdb.log" 2>&1); then
    cat "$tmp/initdb.log" >&2
    die "initdb failed"
  fi
fi

pg_started=1
pg_opts="-h 127.0.0.1 -p $pgport -k $tmp/pgrun -c fsync=off -c synchronous_commit=off"
pg_opts+=" -c full_page_writes=off -c max_connections=200"
if ! (cd "$tmp" && as_pg "$pgbin/pg_ctl" -D "$tmp/pgdata" -l "$tmp/pgrun/postgres.log" -w -t 60 \
  -o "$pg_opts" start >/dev/null); then
  cat "$tmp/pgrun/postgres.log" >&2 2>/dev/null
  die "PostgreSQL did not start"
fi
for _ in $(seq 1 60); do
  "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$pgport" -U postgres && break
  sleep 0.5
done
"$pgbin/pg_isready" -q -h 127.0.0.1 -p "$pgport" -U postgres || die "PostgreSQL is not answering on port $pgport"
"$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U postgres -O postgres pension || die "createdb pension failed"

# --- Redis -------------------------------------------------------------------------------------
# own session, so that a Ctrl-C meant for CMD does not shut Redis down before CMD's teardown
setsid redis-server --port "$redisport" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --dir "$tmp/redis" >"$tmp/redis/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 60); do
  [ "$(redis-cli -h 127.0.0.1 -p "$redisport" ping 2>/dev/null)" = "PONG" ] && break
  kill -0 "$redis_pid" 2>/dev/null || break
  sleep 0.25
done
if [ "$(redis-cli -h 127.0.0.1 -p "$redisport" ping 2>/dev/null)" != "PONG" ]; then
  cat "$tmp/redis/redis.log" >&2
  die "Redis did not start"
fi

# --- environment for CMD -----------------------------------------------------------------------
export DATABASE_URL="postgres://postgres@127.0.0.1:$pgport/pension"
export REDIS_URL="redis://127.0.0.1:$redisport/0"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-settings.test}"
export PLAYWRIGHT_CHROMIUM="${PLAYWRIGHT_CHROMIUM:-/usr/bin/chromium}"

log "PostgreSQL $(basename "$(dirname "$pgbin")") on 127.0.0.1:$pgport (db pension), Redis on 127.0.0.1:$redisport"

# --- run ---------------------------------------------------------------------------------------
# CMD runs as a background job so that signals are handled promptly; the subshell restores the
# default SIGINT/SIGQUIT handling (async jobs would otherwise ignore them) and keeps our stdin.
( trap - INT QUIT; exec "$@" ) <&0 &
child=$!
wait "$child"
status=$?
child=""
if [ "$status" -eq 5 ] && [[ "$*" == *pytest* ]]; then
  log "pytest ran no tests (exit status 5) - treating as failure"
  status=1
fi
exit "$status"
