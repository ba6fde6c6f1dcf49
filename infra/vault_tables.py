"""The vault's tables: the only mutable ones in a tenant's store (see ``infra/vault.py``)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, LargeBinary, MetaData, String, Table, Uuid

metadata = MetaData()

subject_keys = Table(
    "vault_subject_keys",
    metadata,
    Column("subject_id", Uuid, primary_key=True),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("kek_version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

lookup = Table(
    "vault_lookup",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("blind_index", String(64), primary_key=True),
    Column("owner_id", Uuid, nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
)

name_index = Table(
    "vault_name_index",
    metadata,
    Column("blind_index", String(64), primary_key=True),
    Column("owner_id", Uuid, primary_key=True),
)

# Who was erased: the subject's id only (no personal data), written with the key's deletion, never removed.
erased_subjects = Table(
    "vault_erased_subjects",
    metadata,
    Column("subject_id", Uuid, primary_key=True),
)

# After a rotation of the master key: the tenant's rotation-stable secrets, wrapped under the KEK.
tenant_secrets = Table(
    "vault_tenant_secrets",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("wrapped", LargeBinary, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False),
)

# Issue 23: documents' bytes, sealed under their subject's key (``infra/documents.py``). Kept with the
# vault, not the views: mutable, personal, deleted at erasure and compacted with the keys; backed up with
# the vault's file or schema. One row a document: the sealed bytes whole (at most the upload limit).
documents = Table(
    "vault_documents",
    metadata,
    Column("subject_id", Uuid, primary_key=True),
    Column("document_id", Uuid, primary_key=True),
    Column("sealed", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
