#!/usr/bin/env bash
# Makes the local PostgreSQL cluster ready for connectd's tests and prints the admin URL.
# Starts the Debian cluster if it is stopped (as root), creates the role `connectd`
# (LOGIN SUPERUSER, password `connectd`) and the database `connectd_test` owned by it, both
# idempotently, and prints postgresql://connectd:connectd@127.0.0.1:PORT/connectd_test on
# stdout (nothing else goes to stdout). The API tests create one database per server from it.
# Env: PG_VERSION / PG_CLUSTER pick the cluster (default: the first one pg_lsclusters lists,
# else 15/main).
set -euo pipefail

log() { echo "pg-test.sh: $*" >&2; }

role=connectd
password=connectd
db=connectd_test

cluster_line="$(pg_lsclusters --no-header 2>/dev/null | head -n1 || true)"
version="${PG_VERSION:-$(awk '{print $1}' <<<"$cluster_line")}"
cluster="${PG_CLUSTER:-$(awk '{print $2}' <<<"$cluster_line")}"
version="${version:-15}"
cluster="${cluster:-main}"

is_root() { [[ "$(id -u)" -eq 0 ]]; }
as_postgres() { su postgres -s /bin/sh -c "$1"; }

if [[ -z "$cluster_line" ]]; then
    if ! is_root; then
        log "no PostgreSQL cluster exists and I am not root; run as root: pg_createcluster $version $cluster"
        exit 1
    fi
    log "creating cluster $version/$cluster"
    pg_createcluster "$version" "$cluster" >&2
fi

port="$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $3}')"
port="${port:-5432}"
status="$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $4}')"

if [[ "$status" != online* ]]; then
    if ! is_root; then
        log "cluster $version/$cluster is $status; start it as root: pg_ctlcluster $version $cluster start"
        exit 1
    fi
    log "starting cluster $version/$cluster"
    pg_ctlcluster "$version" "$cluster" start >&2
fi

for _ in $(seq 1 60); do
    if pg_isready -q -h 127.0.0.1 -p "$port"; then
        break
    fi
    sleep 0.5
done
if ! pg_isready -q -h 127.0.0.1 -p "$port"; then
    log "PostgreSQL does not answer on 127.0.0.1:$port after 30 s"
    exit 1
fi

url="postgresql://$role:$password@127.0.0.1:$port/$db"

# Already set up (a reused machine, or a non-root user whose admin did it)? Then done.
if PGPASSWORD="$password" PGCONNECT_TIMEOUT=5 psql -qAtX -h 127.0.0.1 -p "$port" -U "$role" -d "$db" \
        -c 'select 1' >/dev/null 2>&1; then
    echo "$url"
    exit 0
fi

if ! is_root; then
    log "role '$role' / database '$db' are not set up and I am not root to create them"
    exit 1
fi

as_postgres "psql -qAtX -p $port -v ON_ERROR_STOP=1" >&2 <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
        CREATE ROLE $role LOGIN PASSWORD '$password' SUPERUSER;
    ELSE
        ALTER ROLE $role LOGIN PASSWORD '$password' SUPERUSER;
    END IF;
END
\$\$;
SQL

if [[ "$(as_postgres "psql -qAtX -p $port -c \"SELECT 1 FROM pg_database WHERE datname = '$db'\"")" != 1 ]]; then
    as_postgres "createdb -p $port -O $role $db" >&2
fi

PGPASSWORD="$password" psql -qAtX -h 127.0.0.1 -p "$port" -U "$role" -d "$db" -c 'select 1' >/dev/null
echo "$url"
