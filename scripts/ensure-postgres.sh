#!/bin/sh
# Make sure a PostgreSQL server binary (initdb + postgres) is on this machine for the tests.
#
# Called by `make test` before pytest. The tests start their own throwaway cluster from
# /usr/lib/postgresql/<version>/bin (see tests/pgcluster.py); this script only installs the
# binaries. It is idempotent and silent when they are already there.
#
#   - binaries present            -> exit 0, print nothing
#   - missing, running as root    -> apt-get install postgresql (non-interactive)
#   - missing, not root           -> one line saying the PostgreSQL tests will be skipped, exit 0
#
# Note: on Debian, installing the package also creates (and, where services may start, starts)
# the distribution's default "main" cluster on port 5432. The tests do not use it.
set -eu

have_pg() {
    for dir in /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then
            return 0
        fi
    done
    return 1
}

if have_pg; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-postgres: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin and cannot install them (need root and apt-get); the PostgreSQL tests will be skipped." >&2
    exit 0
fi

echo "ensure-postgres: installing PostgreSQL server binaries with apt-get ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql >/dev/null

if ! have_pg; then
    echo "ensure-postgres: apt-get install postgresql finished but no initdb/postgres found under /usr/lib/postgresql/*/bin" >&2
    exit 1
fi
