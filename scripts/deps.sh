#!/usr/bin/env bash
# Installs what `make dev` and `make test` need on a Debian or Ubuntu machine, idempotently,
# or stops with a one-line explanation of what is missing.
set -euo pipefail

need_apt=()

if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
  echo "deps: Go 1.26 or newer is required (https://go.dev/doc/install), put it on PATH" >&2
  exit 1
fi

pg_bin=""
if command -v initdb >/dev/null 2>&1; then
  pg_bin=$(dirname "$(readlink -f "$(command -v initdb)")")
else
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  need_apt+=(postgresql postgresql-contrib)
else
  share=$("$pg_bin/pg_config" --sharedir 2>/dev/null || true)
  if [ -n "$share" ] && [ ! -f "$share/extension/unaccent.control" ]; then
    need_apt+=(postgresql-contrib)
  fi
fi

# make test also drives a real CardDAV client.
if [ "${1:-}" = "test" ] && ! command -v vdirsyncer >/dev/null 2>&1; then
  need_apt+=(vdirsyncer)
fi

# make test drives the web app in Debian's Chromium (web/browser_test.go; no browser download).
if [ "${1:-}" = "test" ] && [ ! -x /usr/bin/chromium ]; then
  need_apt+=(chromium)
fi

# make test validates deploy/compose with `docker-compose config` (no Docker engine needed).
if [ "${1:-}" = "test" ] && ! command -v docker-compose >/dev/null 2>&1; then
  need_apt+=(docker-compose)
fi

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: please install ${need_apt[*]} (e.g. sudo apt-get install -y ${need_apt[*]}) and run again" >&2
    exit 1
  fi
  echo "deps: installing ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # Kontakt runs its own private clusters; the package's default cluster is not needed.
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters -h 2>/dev/null | while read -r ver name _; do
      pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true
    done
  fi
fi

if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  echo "deps: running as root needs the 'postgres' system user (from the postgresql package) to run PostgreSQL" >&2
  exit 1
fi
