#!/bin/bash
# First start of the compose PostgreSQL: the owner role (migrations, tenant roles), the application
# role (NOINHERIT: it takes a tenant's role per transaction) and the read-only backup role, with
# passwords from the mounted secrets, and the database owned by the owner.
set -euo pipefail
owner_password=$(cat /run/secrets/postgres_owner_password)
app_password=$(cat /run/secrets/postgres_app_password)
backup_password=$(cat /run/secrets/postgres_backup_password)
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$owner_password" -v app_password="$app_password" \
  -v backup_password="$backup_password" <<'SQL'
CREATE ROLE kentra_owner LOGIN CREATEROLE PASSWORD :'owner_password';
CREATE ROLE kentra_app LOGIN NOINHERIT PASSWORD :'app_password';
CREATE ROLE kentra_backup LOGIN PASSWORD :'backup_password' IN ROLE pg_read_all_data;
CREATE DATABASE kentra OWNER kentra_owner;
SQL
