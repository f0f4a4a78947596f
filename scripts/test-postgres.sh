#!/usr/bin/env bash
# A throwaway PostgreSQL server for the job engine's tests (Debian's packages; installed when
# missing). Usage:
#   scripts/test-postgres.sh start DIR   # creates a cluster in DIR, starts it on a free
#                                        # loopback port, prints its URL (trust auth, user zkinfer)
#   scripts/test-postgres.sh stop DIR    # stops it (DIR can then be deleted)
# As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
set -euo pipefail
cmd="${1:?start|stop}"
dir="${2:?the cluster directory}"

bindir() {
    local initdb
    initdb="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || true)"
    if [[ -z "$initdb" ]]; then
        echo "installing PostgreSQL (Debian's postgresql package)" >&2
        local sudo=""
        [[ $(id -u) -ne 0 ]] && sudo="sudo"
        $sudo apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
        initdb="$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)"
    fi
    dirname "$initdb"
}

as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$cmd" in
start)
    bin="$(bindir)"
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres "$dir"
        if ! runuser -u postgres -- test -w "$dir"; then
            echo "$dir: the postgres user cannot reach it (a parent directory is private);" \
                "use a directory such as one from: mktemp -d; chmod 755 on it" >&2
            exit 1
        fi
    fi
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U zkinfer >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
    }
    # A free port: ask the kernel for one.
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" \
        start >/dev/null || {
        cat "$dir/server.log" >&2
        exit 1
    }
    echo "postgres://zkinfer@127.0.0.1:$port/postgres"
    ;;
stop)
    bin="$(bindir)"
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
    fi
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
