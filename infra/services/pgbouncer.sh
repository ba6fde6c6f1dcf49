#!/usr/bin/env bash
# A private PgBouncer in transaction mode in front of postgres.sh's cluster, from Debian's package:
# the pooler production runs (CloudNativePG's Pooler), to prove Kentra keeps no session state.
#   pgbouncer.sh install  install Debian's 'pgbouncer' package if missing (as root; idempotent)
#   pgbouncer.sh start    write its configuration and start it if not running (idempotent)
#   pgbouncer.sh stop     stop it
#   pgbouncer.sh status   exit 0 if running
#   pgbouncer.sh env      print KENTRA_TEST_PGBOUNCER_URL, the application's URL through it
# Only kentra_app passes through it (the owner's migrations go straight to PostgreSQL). The server
# side authenticates as postgres.sh's cluster does (trust on 127.0.0.1), so the userlist only names
# the role; a few server connections make every tenant's transactions share them.
set -euo pipefail
PORT=${KENTRA_PGBOUNCER_PORT:-26432}
PG_PORT=${KENTRA_PG_PORT:-25432}
STATE=${KENTRA_SERVICES_DIR:-/tmp/kentra-services}/pgbouncer-$PORT
DB=${KENTRA_PG_DB:-kentra_test}
BIN=/usr/sbin/pgbouncer

install() {
  [ -x "$BIN" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "pgbouncer.sh: PgBouncer is not installed; install Debian's 'pgbouncer' package" >&2
    exit 1
  fi
  echo "pgbouncer.sh: installing PgBouncer from Debian's packages" >&2
  apt-get update -qq >&2
  # policy-rc.d 101: the package's own service is not started (this script runs its own instance).
  # One already there is the machine's: kept as it is.
  local made=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >&2 || rc=$?
  [ -n "$made" ] && rm -f /usr/sbin/policy-rc.d
  return "$rc"
}

as_pg() {  # PgBouncer refuses to run as root: use PostgreSQL's postgres user then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

status() {
  [ -f "$STATE/pgbouncer.pid" ] && kill -0 "$(cat "$STATE/pgbouncer.pid")" 2>/dev/null
}

start() {
  [ -x "$BIN" ] || { echo "pgbouncer.sh: not installed: run '$0 install' as root" >&2; exit 1; }
  if status; then echo "pgbouncer: already running on port $PORT"; return 0; fi
  mkdir -p "$STATE"
  cat >"$STATE/pgbouncer.ini" <<INI
[databases]
$DB = host=127.0.0.1 port=$PG_PORT dbname=$DB
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = trust
auth_file = $STATE/userlist.txt
pool_mode = transaction
default_pool_size = 3
max_client_conn = 200
ignore_startup_parameters = extra_float_digits
logfile = $STATE/pgbouncer.log
pidfile = $STATE/pgbouncer.pid
INI
  echo '"kentra_app" ""' >"$STATE/userlist.txt"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$STATE"
  as_pg "$BIN" -d -q "$STATE/pgbouncer.ini"
  for _ in $(seq 50); do status && break; sleep 0.1; done
  status || { echo "pgbouncer: did not start; see $STATE/pgbouncer.log" >&2; exit 1; }
  echo "pgbouncer: started on port $PORT (transaction mode)"
}

stop() {
  if status; then kill "$(cat "$STATE/pgbouncer.pid")"; echo "pgbouncer: stopped"; fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) echo "export KENTRA_TEST_PGBOUNCER_URL=postgresql://kentra_app:kentra_app@127.0.0.1:$PORT/$DB" ;;
  *) echo "usage: $0 install|start|stop|status|env" >&2; exit 2 ;;
esac
