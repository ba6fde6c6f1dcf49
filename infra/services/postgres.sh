#!/usr/bin/env bash
# A private PostgreSQL cluster for tests and local work, from Debian's packages.
#   postgres.sh start   install if missing, init if missing, start if not running (idempotent)
#   postgres.sh stop    stop it
#   postgres.sh status  exit 0 if running
#   postgres.sh env     print the KENTRA_TEST_* variables that point at it
# Roles: kentra_owner owns the schemas (migrations) and creates two NOLOGIN roles per tenant
# (kentra_t_<tenant>, rights on its own schema only; kentra_c_<tenant>, its audit chain) granted to
# kentra_app, the one login of the API and workers, which is NOINHERIT: it holds a tenant's rights
# only inside a transaction that ran SET LOCAL ROLE (docs/design.md, issue 22).
set -euo pipefail
PORT=${KENTRA_PG_PORT:-25432}  # below the ephemeral ports, as kafka.sh explains
STATE=${KENTRA_SERVICES_DIR:-/tmp/kentra-services}/postgres-$PORT
DATA=$STATE/data
DB=kentra_test

pg_bin() {
  local ctl
  ctl=$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$ctl" ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "postgres.sh: PostgreSQL is not installed; install Debian's 'postgresql' package or give KENTRA_TEST_DATABASE_URL" >&2
      exit 1
    fi
    echo "postgres.sh: installing PostgreSQL from Debian's packages" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    ctl=$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)
  fi
  dirname "$ctl"
}

as_pg() {  # PostgreSQL refuses to run as root: use the package's postgres user then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

psql_super() {
  as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$STATE" -p "$PORT" -U postgres "$@"
}

status() {
  BIN=$(pg_bin)
  [ -f "$DATA/PG_VERSION" ] && as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

start() {
  BIN=$(pg_bin)
  if status; then echo "postgres: already running on port $PORT"; return 0; fi
  mkdir -p "$STATE"
  [ "$(id -u)" = 0 ] && chown postgres: "$STATE"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$STATE/server.log" -w -t 60 \
    -o "-p $PORT -k $STATE -c listen_addresses=127.0.0.1" start >/dev/null
  psql_super -d postgres <<SQL
SELECT 'CREATE ROLE kentra_owner LOGIN PASSWORD ''kentra_owner'''
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kentra_owner') \gexec
SELECT 'CREATE ROLE kentra_app LOGIN NOINHERIT PASSWORD ''kentra_app'''
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kentra_app') \gexec
ALTER ROLE kentra_app NOINHERIT;
SELECT 'CREATE DATABASE $DB OWNER kentra_owner'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB') \gexec
SQL
  psql_super -d "$DB" -c "REVOKE CREATE ON SCHEMA public FROM PUBLIC" >/dev/null
  # The owner creates each tenant's own login role when it provisions the tenant.
  psql_super -d postgres -c "ALTER ROLE kentra_owner CREATEROLE" >/dev/null
  echo "postgres: started on port $PORT"
}

stop() {
  BIN=$(pg_bin)
  if status; then as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; echo "postgres: stopped"; fi
}

env_vars() {
  echo "export KENTRA_TEST_DATABASE_URL=postgresql://kentra_app:kentra_app@127.0.0.1:$PORT/$DB"
  echo "export KENTRA_TEST_DATABASE_OWNER_URL=postgresql://kentra_owner:kentra_owner@127.0.0.1:$PORT/$DB"
  echo "export KENTRA_TEST_DATABASE_SUPERUSER_URL=postgresql://postgres@127.0.0.1:$PORT/$DB"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) env_vars ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
