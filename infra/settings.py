"""Settings, from the environment (prefix ``KENTRA_``). Unsafe values are refused outside development."""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_TENANTS_FILE = Path(__file__).parent / "data" / "tenants.toml"


class SettingsError(Exception):
    """A setting is missing or unsafe; the message says what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KENTRA_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: SecretStr | None = None
    database_owner_url: SecretStr | None = None
    kafka_bootstrap_servers: str | None = None
    tenants_file: Path = DEFAULT_TENANTS_FILE
    master_key: SecretStr | None = None
    master_key_file: Path | None = None

    @field_validator(
        "database_url", "database_owner_url", "master_key", "kafka_bootstrap_servers", "master_key_file", mode="before"
    )
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

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
        if self.master_key is not None:
            return _decode_key(self.master_key.get_secret_value(), "KENTRA_MASTER_KEY")
        if self.master_key_file is not None:
            if not self.master_key_file.is_file():
                raise SettingsError(f"KENTRA_MASTER_KEY_FILE names no file: {self.master_key_file}")
            return _decode_key(self.master_key_file.read_text().strip(), "KENTRA_MASTER_KEY_FILE")
        if self.environment == "production" or not self.embedded:
            raise SettingsError(
                "no master key: set KENTRA_MASTER_KEY (base64 of 32 random bytes) or KENTRA_MASTER_KEY_FILE"
            )
        key_file = self.data_dir / "keys" / "master.key"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(base64.b64encode(os.urandom(32)).decode() + "\n")
        return _decode_key(key_file.read_text().strip(), str(key_file))


def _decode_key(text: str, source: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(f"{source} is not base64") from None
    if len(key) != 32:
        raise SettingsError(f"{source} must decode to 32 bytes, not {len(key)}")
    return key
