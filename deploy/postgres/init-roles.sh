#!/bin/bash
# First start of the compose PostgreSQL: the owner role (migrations, tenant roles) and the
# application role (NOINHERIT: it holds a tenant's NOLOGIN role's rights only inside a transaction
# that ran SET LOCAL ROLE, docs/design.md issue 22), with passwords from the mounted secrets, and
# the database owned by the owner.
set -euo pipefail
owner_password=$(cat /run/secrets/postgres_owner_password)
app_password=$(cat /run/secrets/postgres_app_password)
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$owner_password" -v app_password="$app_password" <<'SQL'
CREATE ROLE kentra_owner LOGIN CREATEROLE PASSWORD :'owner_password';
CREATE ROLE kentra_app LOGIN NOINHERIT PASSWORD :'app_password';
CREATE DATABASE kentra OWNER kentra_owner;
SQL
