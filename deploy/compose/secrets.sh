#!/bin/sh
# Writes secrets/ for compose.yaml: a random password for Kontakt's database, the URL Kontakt
# connects with, and the SMTP relay's password (asked for; empty for a relay without login).
# It never overwrites a file that exists.
#
# Compose (without swarm) bind-mounts each secret file as it is on the host, so the files
# must be readable by the containers' users (Kontakt runs as uid 65532): they are mode 0444,
# inside a directory only the owner may enter.
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
chmod 700 secrets
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
chmod 444 secrets/db_password secrets/database_url secrets/smtp_password
echo "secrets/ is ready" >&2
