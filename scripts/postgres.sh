#!/bin/sh
# A throwaway PostgreSQL with pgvector on this machine, listening on loopback only.
#
#   scripts/postgres.sh start   install what is missing, start it, print its postgresql:// URL last
#   scripts/postgres.sh stop    stop it and delete its data
#   scripts/postgres.sh pause   stop it, keeping its data (`start` brings it back as it was)
#
# Debian 13 ships pgvector (postgresql-17-pgvector). Debian 12 does not, not even in
# backports: there it is built (~30 s) from Debian's own trixie *source* package against
# postgresql-server-dev-15, through a private apt config so the system's sources stay as they
# are, with OPTFLAGS="" (upstream's -march=native makes a library for this CPU only).
set -eu
DIR=${RAG_PG_DIR:-/tmp/rag-postgres}
PORT=${RAG_PG_PORT:-54329}
export DEBIAN_FRONTEND=noninteractive

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

install_postgres() {
    if [ -z "$(pg_bin)" ]; then
        apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
    fi
    version=$(basename "$(dirname "$(pg_bin)")")
    [ -f "/usr/share/postgresql/$version/extension/vector.control" ] && return
    if apt-get install -y -qq "postgresql-$version-pgvector" >/dev/null 2>&1; then return; fi
    echo "building pgvector for PostgreSQL $version from Debian's source package" >&2
    apt-get install -y -qq "postgresql-server-dev-$version" dpkg-dev make gcc >/dev/null
    apt_dir=$(mktemp -d)
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/sources.list.d"
    echo "deb-src http://deb.debian.org/debian trixie main" > "$apt_dir/sources.list"
    opts="-o Dir::Etc::SourceList=$apt_dir/sources.list -o Dir::Etc::SourceParts=$apt_dir/sources.list.d \
          -o Dir::State::Lists=$apt_dir/lists"
    # shellcheck disable=SC2086
    apt-get $opts update -qq
    (cd "$apt_dir" && apt-get $opts source -qq pgvector >/dev/null 2>&1)
    src=$(ls -d "$apt_dir"/pgvector-*/ | head -1)
    make -s -C "$src" OPTFLAGS="" PG_CONFIG="/usr/lib/postgresql/$version/bin/pg_config" >/dev/null
    make -s -C "$src" install PG_CONFIG="/usr/lib/postgresql/$version/bin/pg_config" >/dev/null
    rm -rf "$apt_dir"
}

as_postgres() {  # the server refuses to run as root
    if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

start() {
    install_postgres
    bin=$(pg_bin)
    if [ ! -f "$DIR/data/PG_VERSION" ]; then
        mkdir -p "$DIR"
        [ "$(id -u)" = 0 ] && chown postgres "$DIR"
        password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
        echo "$password" > "$DIR/password"
        as_postgres "'$bin/initdb' -D '$DIR/data' -U rag --pwfile='$DIR/password' -A scram-sha-256 -E UTF8 \
            --locale=C.UTF-8" >/dev/null
        chmod 600 "$DIR/password"
    fi
    # maintenance_work_mem: an HNSW index of 1M vectors builds in memory (~2 GB) instead of spilling;
    # max_wal_size: bulk loads without a checkpoint every few seconds.
    if ! as_postgres "'$bin/pg_ctl' -D '$DIR/data' status" >/dev/null 2>&1; then
        as_postgres "'$bin/pg_ctl' -D '$DIR/data' -l '$DIR/log' -w -o \"-c listen_addresses=127.0.0.1 -p $PORT \
            -k '$DIR' -c max_connections=200 -c shared_buffers=256MB -c maintenance_work_mem=2GB -c max_wal_size=4GB\" start" >/dev/null
    fi
    password=$(cat "$DIR/password")
    url="postgresql://rag:$password@127.0.0.1:$PORT/postgres"
    PGPASSWORD=$password psql -q -h 127.0.0.1 -p "$PORT" -U rag -d postgres \
        -c "CREATE EXTENSION IF NOT EXISTS vector" >/dev/null
    echo "$url"
}

stop() {
    bin=$(pg_bin)
    if [ -f "$DIR/data/PG_VERSION" ]; then
        as_postgres "'$bin/pg_ctl' -D '$DIR/data' -m fast stop" >/dev/null 2>&1 || true
    fi
    rm -rf "$DIR"
}

pause() {
    as_postgres "'$(pg_bin)/pg_ctl' -D '$DIR/data' -m fast stop" >/dev/null
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    pause) pause ;;
    *) echo "usage: $0 start|stop|pause" >&2; exit 2 ;;
esac
