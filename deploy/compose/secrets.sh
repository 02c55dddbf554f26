#!/bin/sh
# Writes secrets/ for compose.yaml: a random password for Kontakt's database, the URL Kontakt
# connects with, and the SMTP relay's password (asked for; empty for a relay without login).
# It never overwrites a file that exists.
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
if [ ! -s secrets/db_password ]; then
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > secrets/db_password
fi
if [ ! -s secrets/database_url ]; then
  printf 'postgres://kontakt:%s@db:5432/kontakt?sslmode=disable' "$(cat secrets/db_password)" > secrets/database_url
fi
if [ ! -e secrets/smtp_password ]; then
  printf 'SMTP relay password (empty for none): ' >&2
  stty -echo 2>/dev/null || true
  read -r pw || pw=
  stty echo 2>/dev/null || true
  printf '\n' >&2
  printf '%s' "$pw" > secrets/smtp_password
fi
echo "secrets/ is ready" >&2
