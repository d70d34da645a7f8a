#!/usr/bin/env bash
# Make a PostgreSQL server answer on 127.0.0.1:5432 for the service tests, from Debian's packages.
# Prints the URL to put in CHARTERPLAN_TEST_PG_URL. Touches the server's configuration only when it cannot
# connect (a fresh CI machine), and then only to trust connections from this machine to a throwaway server.
set -euo pipefail
url="postgresql://postgres@127.0.0.1:5432/test"
can_connect() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -tAc "SELECT 1" >/dev/null 2>&1; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
version=$(ls /etc/postgresql | sort -V | tail -1)
if ! can_connect; then
  conf=/etc/postgresql/$version/main/pg_hba.conf
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' > "$conf"
  pg_ctlcluster "$version" main start >&2 2>/dev/null || pg_ctlcluster "$version" main reload >&2
  for _ in $(seq 1 30); do can_connect && break; sleep 1; done
fi
can_connect || { echo "PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1; then
  psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE test" >&2
fi
echo "$url"
