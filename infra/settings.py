"""Settings, from the environment (prefix ``KENTRA_``). Unsafe values are refused outside development."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from pathlib import Path
from typing import Literal

import limits
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

DEFAULT_TENANTS_FILE = Path(__file__).parent / "data" / "tenants.toml"


class SettingsError(Exception):
    """A setting is missing or unsafe; the message says what to set."""


# Values printed in Kentra's own examples, tests and harness: never acceptable in production.
PUBLISHED_SECRETS = frozenset(
    {
        "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",  # tests' master key
        "change-me-to-32-or-more-random-characters",  # deploy/.env.example
    }
)
PUBLISHED_PASSWORDS = frozenset({"kentra", "postgres", "password", "change-me", "kentra_app", "kentra_owner"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KENTRA_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: SecretStr | None = None
    database_owner_url: SecretStr | None = None
    # Where workers LISTEN for new events: straight to PostgreSQL when KENTRA_DATABASE_URL is a PgBouncer
    # in transaction mode, which cannot keep a LISTEN (default: KENTRA_DATABASE_URL).
    database_listen_url: SecretStr | None = None
    kafka_bootstrap_servers: str | None = None
    kafka_topic: str = "kentra.events.v1"
    kafka_checkpoint_topic: str = "kentra.checkpoints.v1"
    tenants_file: Path = DEFAULT_TENANTS_FILE
    master_key: SecretStr | None = None
    master_key_file: Path | None = None
    previous_master_key: SecretStr | None = None  # only while rotating: `kentra keys rotate`
    previous_master_key_file: Path | None = None
    # A directory of ``<region>.key`` files (base64 of 32 bytes): each Region's linkage key, which its
    # municipalities share and its roll-up never holds. Unset: made under the data dir in development
    # on the embedded store; elsewhere no links are published (docs/regions.md).
    region_link_keys: Path | None = None
    token_secret: SecretStr | None = None
    token_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
    # Issue 25: how long what a caseworker took onto her device for field work stays there at most.
    field_device_hours: int = Field(default=12, ge=1, le=72)
    oidc_issuer: str | None = None
    oidc_jwks_url: str | None = None
    oidc_audience: str = "kentra"
    # An external issuer's token living longer than this (exp - iat) is refused, whatever it claims.
    oidc_max_token_lifetime_seconds: int = Field(default=3600, ge=60, le=86_400)
    # Failed sign-ins allowed per account and per client address in a moving window (`limits` notation);
    # the next attempt is answered 429 with Retry-After. Storage is per process unless shared (redis://...).
    sign_in_limit_per_account: str = "5/15 minutes"
    sign_in_limit_per_client: str = "30/15 minutes"
    rate_limit_storage: str = "memory://"
    # `kentra serve` serves /metrics here, never on the API's port; loopback unless the host is set.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    max_body_bytes: int = Field(default=1_000_000, ge=10_000)
    max_import_bytes: int = Field(default=200_000_000, ge=10_000)
    # A document's file (issue 23: documents), checked as it is read; its upload path has this limit.
    document_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    max_import_unpacked_bytes: int = Field(default=256_000_000, ge=100_000)
    max_import_rows: int = Field(default=1_000_000, ge=1)
    import_report_retention_hours: int = Field(default=72, ge=1)
    checkpoint_interval_seconds: int = Field(default=3600, ge=1)
    audit_witness_dir: Path | None = None  # default: <data dir>/witness
    # Requests using the database at once in one API process: no more than a tenant's connection pool
    # holds (2 + 4 overflow), so a request never waits on one pool while holding the other's last
    # connection. Others wait their turn in the event loop.
    http_threads: int = Field(default=6, ge=1, le=64)
    # Issue 24: `kentra serve` runs this many API processes on one port (unset: one per core, os.cpu_count()).
    serve_workers: int | None = Field(default=None, ge=1, le=64)
    # Issue 24: indicator answers kept per API process by log position (services/answers.py); 0 keeps none.
    answer_cache_entries: int = Field(default=512, ge=0, le=100_000)
    health_port: int | None = Field(default=None, ge=1, le=65535)
    # Issue 22: hundreds of tenants. A process's PostgreSQL connections are bounded by these, not by
    # the number of tenants: one pool for the application's login role, the tenant's role taken per
    # transaction (SET LOCAL ROLE), so PgBouncer in transaction mode can share them.
    db_pool_size: int = Field(default=4, ge=1, le=64)
    db_max_overflow: int = Field(default=4, ge=0, le=64)
    # Workers share tenants through leases in the platform schema: held this long, renewed at a third.
    worker_lease_seconds: float = Field(default=10.0, ge=2.0, le=600.0)
    # A durable job (an import) whose worker stopped renewing it this long is taken by another worker.
    job_lease_seconds: float = Field(default=30.0, ge=5.0, le=3600.0)
    # `kentra serve` takes and runs jobs in a thread too (the embedded demo, a single process); off where
    # a `kentra jobs run` Deployment runs them.
    serve_runs_jobs: bool = True
    # API and workers run no DDL: they wait this long for `kentra migrate` to bring the schema they need.
    schema_wait_seconds: float = Field(default=300.0, ge=0.0, le=86_400.0)
    # `kentra kafka init`: topics as production runs them (3 and 2 in the production manifests).
    kafka_partitions: int = Field(default=12, ge=1, le=1000)
    kafka_replication_factor: int = Field(default=1, ge=1, le=7)
    kafka_min_insync_replicas: int = Field(default=1, ge=1, le=7)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Issue 23: where documents' sealed bytes are kept: the tenant's own store (database) or an
    # S3-compatible bucket (s3, with the endpoint and bucket below). Never a pod's disk.
    document_store: Literal["database", "s3"] = "database"
    s3_endpoint_url: str | None = None
    s3_bucket: str | None = None
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_region: str = "us-east-1"

    @field_validator(
        "database_url",
        "database_owner_url",
        "database_listen_url",
        "master_key",
        "kafka_bootstrap_servers",
        "master_key_file",
        "previous_master_key",
        "previous_master_key_file",
        "region_link_keys",
        "s3_endpoint_url",
        "s3_bucket",
        "s3_access_key_id",
        "s3_secret_access_key",
        mode="before",
    )
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("sign_in_limit_per_account", "sign_in_limit_per_client")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        try:
            limits.parse(value)
        except ValueError:
            raise ValueError(f"not a rate such as '5/15 minutes': {value!r}") from None
        return value

    @classmethod
    def load(cls) -> Settings:
        """From the environment, and from files named like the settings in ``KENTRA_SECRETS_DIR``.

        A container's secrets are mounted as files (``/run/secrets/kentra_database_url`` holds the
        value of KENTRA_DATABASE_URL), so passwords and keys stay out of the environment and the
        manifests. The environment wins where both give a value.
        """
        secrets = os.environ.get("KENTRA_SECRETS_DIR")
        if secrets and not Path(secrets).is_dir():
            raise SettingsError(f"KENTRA_SECRETS_DIR names no directory: {secrets}")
        return cls(_secrets_dir=secrets) if secrets else cls()

    @model_validator(mode="after")
    def _s3_complete(self) -> Settings:
        """S3 chosen without where to put the documents: refused at start, not at the first upload."""
        if self.document_store == "s3":
            missing = [
                name
                for name, value in (
                    ("KENTRA_S3_ENDPOINT_URL", self.s3_endpoint_url),
                    ("KENTRA_S3_BUCKET", self.s3_bucket),
                )
                if not value
            ]
            if missing:
                raise SettingsError(f"KENTRA_DOCUMENT_STORE=s3 needs {' and '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _safe_outside_development(self) -> Settings:
        """Outside development, refuse what is only good enough on a laptop; each message says what to set."""
        if self.environment == "development":
            return self
        where = f"KENTRA_ENVIRONMENT={self.environment}"
        if self.database_url is None:
            raise SettingsError(f"{where} needs PostgreSQL: set KENTRA_DATABASE_URL (the embedded store is for trying)")
        if self.master_key is None and self.master_key_file is None:
            raise SettingsError(f"{where} needs a master key: set KENTRA_MASTER_KEY_FILE (or KENTRA_MASTER_KEY)")
        if self.token_secret is None:
            raise SettingsError(f"{where} needs KENTRA_TOKEN_SECRET (32+ random characters)")
        secrets = [self.token_secret.get_secret_value()]
        if self.master_key is not None:
            secrets.append(self.master_key.get_secret_value())
        if any(value.strip() in PUBLISHED_SECRETS for value in secrets):
            raise SettingsError("a secret is one published in Kentra's examples or tests: generate your own")
        for name, url in (
            ("KENTRA_DATABASE_URL", self.database_url),
            ("KENTRA_DATABASE_OWNER_URL", self.database_owner_url),
        ):
            if url is not None and make_url(url.get_secret_value()).password in PUBLISHED_PASSWORDS:
                raise SettingsError(f"{name} uses a published example password: set the database role's real one")
        if self.oidc_issuer is not None and not self.oidc_issuer.startswith("https://"):
            raise SettingsError(f"KENTRA_OIDC_ISSUER must be an https:// URL with {where}")
        if self.oidc_jwks_url is not None and not self.oidc_jwks_url.startswith("https://"):
            raise SettingsError(f"KENTRA_OIDC_JWKS_URL must be an https:// URL with {where}")
        return self

    @property
    def embedded(self) -> bool:
        """No database URL: each tenant's log is a SQLite file under the data directory."""
        return self.database_url is None

    def owner_url(self) -> str:
        url = self.database_owner_url or self.database_url
        if url is None:
            raise SettingsError("set KENTRA_DATABASE_URL (and KENTRA_DATABASE_OWNER_URL for migrations)")
        return url.get_secret_value()

    def master_key_bytes(self) -> bytes:
        """The 32-byte master key. In development on the embedded store one is made on first use."""
        given = _key_from(self.master_key, self.master_key_file, "KENTRA_MASTER_KEY")
        if given is not None:
            return given
        if self.environment == "production" or not self.embedded:
            raise SettingsError(
                "no master key: set KENTRA_MASTER_KEY (base64 of 32 random bytes) or KENTRA_MASTER_KEY_FILE"
            )
        key_file = self.data_dir / "keys" / "master.key"
        _make_key_file(key_file)
        return _decode_key(key_file.read_text().strip(), str(key_file))


def region_link_key_bytes(settings: Settings, region: str) -> bytes | None:
    """A Region's 32-byte linkage key, or None if none is configured for it.

    From ``KENTRA_REGION_LINK_KEYS/<region>.key``. Without that setting, development on the embedded
    store makes one under ``<data dir>/keys/region-links`` on first use (as it does the master key).
    """
    directory = settings.region_link_keys
    if directory is None:
        if settings.environment != "development" or not settings.embedded:
            return None
        directory = settings.data_dir / "keys" / "region-links"
        _make_key_file(directory / f"{region}.key")
    elif not directory.is_dir():
        raise SettingsError(f"KENTRA_REGION_LINK_KEYS names no directory: {directory}")
    key_file = directory / f"{region}.key"
    if not key_file.is_file():
        return None
    return _decode_key(key_file.read_text().strip(), f"KENTRA_REGION_LINK_KEYS/{region}.key")


def _make_key_file(key_file: Path) -> None:
    """32 random bytes, base64, in a new file only its owner reads; an existing file is kept."""
    if key_file.exists():
        return
    key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it meanwhile: theirs is the key
        return
    with os.fdopen(descriptor, "w") as handle:
        handle.write(base64.b64encode(os.urandom(32)).decode() + "\n")


def previous_master_key_bytes(settings: Settings) -> bytes | None:
    """The master key being rotated away from, if one is set (KENTRA_PREVIOUS_MASTER_KEY[_FILE])."""
    return _key_from(settings.previous_master_key, settings.previous_master_key_file, "KENTRA_PREVIOUS_MASTER_KEY")


def _key_from(value: SecretStr | None, file: Path | None, name: str) -> bytes | None:
    """A key given in the setting ``name`` or in the file ``name``_FILE names; None if neither is set."""
    if value is not None:
        return _decode_key(value.get_secret_value(), name)
    if file is None:
        return None
    if not file.is_file():
        raise SettingsError(f"{name}_FILE names no file: {file}")
    return _decode_key(file.read_text().strip(), f"{name}_FILE")


def token_secret(settings: Settings, master_key: bytes) -> str:
    """The HMAC secret for Kentra's own tokens. Development derives one; elsewhere it must be set."""
    if settings.token_secret is not None:
        secret = settings.token_secret.get_secret_value()
        if len(secret) < 32:
            raise SettingsError("KENTRA_TOKEN_SECRET must be at least 32 characters")
        return secret
    if settings.environment != "development":
        raise SettingsError("set KENTRA_TOKEN_SECRET (32+ random characters) outside development")
    return hmac.new(master_key, b"kentra/token-secret/v1", hashlib.sha256).hexdigest()


def _decode_key(text: str, source: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(f"{source} is not base64") from None
    if len(key) != 32:
        raise SettingsError(f"{source} must decode to 32 bytes, not {len(key)}")
    return key
