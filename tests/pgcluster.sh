#!/bin/sh
# A throwaway PostgreSQL cluster for tests: initdb in a temporary directory as an
# unprivileged user (PostgreSQL refuses to run as root), on a random free loopback port with
# its socket in that directory, trust authentication for the superuser "ferry".
#
#   tests/pgcluster.sh start        prints "DIR URL" (URL: postgresql://ferry@127.0.0.1:PORT/postgres)
#   tests/pgcluster.sh stop DIR     stops the cluster and removes DIR
#   tests/pgcluster.sh pause DIR    stops the server (the database goes away for a while)
#   tests/pgcluster.sh resume DIR   starts it again on the same port
#   tests/pgcluster.sh run CMD...   runs CMD with FERRY_TEST_PG=URL, then stops the cluster
#                                   (exit 77, a skip, when PostgreSQL is not installed)
#
# fsync is off: the tests kill ferry, never the database server, and a throwaway cluster
# need not survive a power cut (FERRY_PG_FSYNC=on turns it on, for benchmarks). The user is "postgres" (Debian's package makes it), else
# "nobody".
set -eu

bindir() {
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

as_user() {
  if [ "$(id -u)" = 0 ]; then
    u=postgres
    id "$u" >/dev/null 2>&1 || u=nobody
    runuser -u "$u" -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

server_flags() {
  echo "-k $1 -c listen_addresses=127.0.0.1 -c fsync=${FERRY_PG_FSYNC:-off} -c full_page_writes=off -c max_connections=300 -c shared_buffers=32MB"
}

start() {
  bin=$(bindir) || { echo "pgcluster: PostgreSQL is not installed (tools/deps.sh)" >&2; return 77; }
  dir=$(mktemp -d /tmp/ferry-pg-XXXXXX)
  chmod 755 "$dir"
  if [ "$(id -u)" = 0 ]; then
    u=postgres
    id "$u" >/dev/null 2>&1 || u=nobody
    chown "$u" "$dir"
  fi
  as_user "$bin/initdb" -D "$dir/db" -U ferry --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; rm -rf "$dir"; return 1; }
  i=0
  while :; do
    port=$(free_port)
    if as_user "$bin/pg_ctl" -D "$dir/db" -l "$dir/server.log" -w -t 30 \
        -o "-p $port $(server_flags "$dir")" \
        start >/dev/null 2>&1; then
      echo "$port" >"$dir/port"
      break
    fi
    i=$((i + 1))
    if [ $i -ge 5 ]; then
      cat "$dir/server.log" >&2
      rm -rf "$dir"
      return 1
    fi
  done
  echo "$dir postgresql://ferry@127.0.0.1:$port/postgres"
}

stop() {
  dir=$1
  bin=$(bindir) || return 0
  [ -d "$dir/db" ] && as_user "$bin/pg_ctl" -D "$dir/db" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
start) start ;;
pause) as_user "$(bindir)/pg_ctl" -D "$2/db" -m fast -w stop >/dev/null ;;
resume) as_user "$(bindir)/pg_ctl" -D "$2/db" -l "$2/server.log" -w -t 30 -o "-p $(cat "$2/port") $(server_flags "$2")" start >/dev/null ;;
stop) stop "$2" ;;
run)
  shift
  set +e
  out=$(start)
  rc=$?
  [ $rc = 0 ] || exit $rc
  dir=${out%% *}
  url=${out#* }
  FERRY_TEST_PG=$url "$@"
  rc=$?
  stop "$dir"
  exit $rc
  ;;
*)
  echo "usage: $0 start | stop DIR | run CMD..." >&2
  exit 2
  ;;
esac
