"""Where documents' bytes are kept (issue 23): the tenant's own store, or an S3-compatible bucket.

Both are ``services.ports.DocumentStore``. The bytes reach them already sealed under their subject's key
(``PersonalDataVault.seal_bytes``: AES-256-GCM, the subject's id as associated data), so neither store
can read them, and an erasure (the key destroyed) leaves nothing readable even in a copy; ``forget``
deletes them too, as an erasure deletes every mutable row about the person.

- ``SqlDocumentStore``: table ``vault_documents`` beside the vault's keys (``infra/vault_tables.py``): on
  SQLite in ``vault.sqlite`` (``secure_delete``), on PostgreSQL in the tenant's schema under the
  tenant's role. Compacted with the vault after an erasure (``TenantStorage.compact_vault``), and in
  every backup of the vault.
- ``S3DocumentStore``: objects at ``<tenant>/<subject>/<document>`` in one bucket
  (``KENTRA_DOCUMENT_STORE=s3``). The bucket is backed up apart (docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from infra.errors import DocumentStoreUnavailableError
from infra.settings import Settings, SettingsError
from infra.vault_tables import documents

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["S3DocumentStore", "SqlDocumentStore", "documents", "s3_client"]


class SqlDocumentStore:
    """Sealed documents in table ``vault_documents`` of the tenant's store: one row a document, the
    sealed bytes whole (a bytea on PostgreSQL, a BLOB on SQLite; the documents' service caps their size)."""

    def __init__(self, engine: Engine, schema: str | None = None) -> None:
        self._engine = engine.execution_options(schema_translate_map={None: schema}) if schema else engine

    def put(self, subject_id: UUID, document_id: UUID, sealed: bytes) -> None:
        """Store (or replace) one document's sealed bytes."""
        dialect = pg_insert if self._engine.dialect.name == "postgresql" else sqlite_insert
        row = {
            "subject_id": subject_id,
            "document_id": document_id,
            "sealed": sealed,
            "size": len(sealed),
            "created_at": datetime.now(UTC),
        }
        statement = dialect(documents).values(row)
        statement = statement.on_conflict_do_update(
            index_elements=[documents.c.subject_id, documents.c.document_id],
            set_={"sealed": statement.excluded.sealed, "size": statement.excluded.size},
        )
        with self._engine.begin() as conn:
            conn.execute(statement)

    def get(self, subject_id: UUID, document_id: UUID) -> bytes | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(documents.c.sealed).where(
                    documents.c.subject_id == subject_id, documents.c.document_id == document_id
                )
            ).first()
        return None if row is None else bytes(row[0])

    def delete(self, subject_id: UUID, document_id: UUID) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                delete(documents).where(documents.c.subject_id == subject_id, documents.c.document_id == document_id)
            )

    def forget(self, subject_id: UUID) -> int:
        """Every document of the subject goes, in one transaction; how many there were."""
        with self._engine.begin() as conn:
            removed = conn.execute(delete(documents).where(documents.c.subject_id == subject_id)).rowcount
        return int(removed)

    def count(self, subject_id: UUID) -> int:
        """How many documents the subject has here (for operators and tests)."""
        with self._engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(documents).where(documents.c.subject_id == subject_id)
                ).scalar_one()
            )


def s3_client(settings: Settings) -> S3Client:
    """A client for the configured S3-compatible store (path-style addressing, which every such server
    serves; checksums only where the API requires them, which not every server understands)."""
    import boto3  # noqa: PLC0415 - only a process configured for S3 pays for importing boto3
    from botocore.config import Config  # noqa: PLC0415

    if not settings.s3_endpoint_url or not settings.s3_bucket:
        raise SettingsError("KENTRA_DOCUMENT_STORE=s3 needs KENTRA_S3_ENDPOINT_URL and KENTRA_S3_BUCKET")
    key = settings.s3_access_key_id
    secret = settings.s3_secret_access_key
    client: S3Client = boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=key.get_secret_value() if key else None,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
        config=Config(
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=10,
            read_timeout=60,
        ),
    )
    return client


@contextmanager
def _answering() -> Iterator[None]:
    """The S3 server unreachable, timing out or failing (5xx) is DocumentStoreUnavailableError (a 503 the
    client may retry); a refusal (4xx: credentials, a missing bucket) stays the client's error."""
    from botocore import exceptions as boto_errors  # noqa: PLC0415

    try:
        yield
    except (boto_errors.ConnectionError, boto_errors.HTTPClientError) as error:
        raise DocumentStoreUnavailableError(type(error).__name__) from error
    except boto_errors.ClientError as error:
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        if status >= 500:
            raise DocumentStoreUnavailableError(f"S3 answered {status}") from error
        raise


class S3DocumentStore:
    """Sealed documents as objects ``<tenant>/<subject>/<document>`` in one bucket of an S3-compatible
    store. Tenants share the bucket and the credentials: the prefix keeps them apart here, and each
    object opens only with its subject's key in its own tenant's vault."""

    def __init__(self, client: S3Client, bucket: str, tenant_id: str) -> None:
        self._client = client
        self._bucket = bucket
        self._tenant = tenant_id

    def __repr__(self) -> str:  # never the client's credentials
        return f"S3DocumentStore(bucket={self._bucket!r}, tenant={self._tenant!r})"

    def _prefix(self, subject_id: UUID) -> str:
        return f"{self._tenant}/{subject_id}/"

    def _key(self, subject_id: UUID, document_id: UUID) -> str:
        return f"{self._prefix(subject_id)}{document_id}"

    def put(self, subject_id: UUID, document_id: UUID, sealed: bytes) -> None:
        with _answering():
            self._client.put_object(
                Bucket=self._bucket,
                Key=self._key(subject_id, document_id),
                Body=sealed,
                ContentType="application/octet-stream",
            )

    def get(self, subject_id: UUID, document_id: UUID) -> bytes | None:
        with _answering():
            try:
                response = self._client.get_object(Bucket=self._bucket, Key=self._key(subject_id, document_id))
            except self._client.exceptions.NoSuchKey:
                return None
            body: Any = response["Body"]
            try:
                data: bytes = body.read()
            finally:
                body.close()
        return data

    def delete(self, subject_id: UUID, document_id: UUID) -> None:
        with _answering():
            self._client.delete_object(Bucket=self._bucket, Key=self._key(subject_id, document_id))

    def keys(self, subject_id: UUID) -> list[str]:
        """Every object under the subject's prefix, however many pages the listing takes."""
        found: list[str] = []
        with _answering():
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self._bucket, Prefix=self._prefix(subject_id)):
                found.extend(item["Key"] for item in page.get("Contents", []) if "Key" in item)
        return found

    def forget(self, subject_id: UUID) -> int:
        """Delete every object under the subject's prefix; how many there were. One request each:
        ``DeleteObjects`` needs a checksum header that not every S3-compatible server takes, and a
        person has few documents. Listed again until none is left (an upload finishing meanwhile)."""
        removed = 0
        for _ in range(3):
            keys = self.keys(subject_id)
            if not keys:
                break
            with _answering():
                for key in keys:
                    self._client.delete_object(Bucket=self._bucket, Key=key)
            removed += len(keys)
        return removed

    def count(self, subject_id: UUID) -> int:
        return len(self.keys(subject_id))
