"""Key derivation and authenticated encryption for personal data.

- A master key (32 bytes, outside the database) derives, per tenant and with HKDF, a key-encryption
  key (wraps beneficiary keys), a blind-index key and a fingerprint key.
- Each subject (beneficiary) has a random 256-bit data key; data are sealed with AES-256-GCM, with
  the subject id as associated data so a sealed value cannot be moved to another person.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEAL_VERSION = "s1"
NONCE_BYTES = 12


class SealedDataError(Exception):
    """A sealed value is malformed or fails authentication (tampered, or the wrong key)."""


def _derive(master_key: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(master_key)


@dataclass(frozen=True)
class TenantKeys:
    """The keys of one tenant, derived from the master key; never logged, never stored."""

    tenant_id: str
    kek: bytes
    blind_index_key: bytes
    fingerprint_key: bytes
    database_password: str
    pseudonym_key: bytes
    signing_seed: bytes
    kek_version: int = 1
    previous_kek: bytes | None = None  # during a rotation: the key that wrapped what is not re-wrapped yet
    chain_password: str = ""  # PostgreSQL: the tenant's chain-writer role (audit tables), never the API's

    @classmethod
    def derive(
        cls, master_key: bytes, tenant_id: str, kek_version: int = 1, previous_master_key: bytes | None = None
    ) -> TenantKeys:
        """The tenant's keys from a master key. After a rotation, the secrets other than the KEK and
        the database password are the stored ones (``with_secrets``), not these."""
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes")
        previous = None if previous_master_key is None else cls.derive(previous_master_key, tenant_id).kek
        return cls(
            tenant_id=tenant_id,
            kek=_derive(master_key, f"kentra/{tenant_id}/kek/v{kek_version}"),
            blind_index_key=_derive(master_key, f"kentra/{tenant_id}/blind-index/v1"),
            fingerprint_key=_derive(master_key, f"kentra/{tenant_id}/fingerprint/v1"),
            database_password=_derive(master_key, f"kentra/{tenant_id}/database-role/v1").hex(),
            pseudonym_key=_derive(master_key, f"kentra/{tenant_id}/pseudonym/v1"),
            signing_seed=_derive(master_key, f"kentra/{tenant_id}/checkpoint-signing/v1"),
            kek_version=kek_version,
            previous_kek=previous,
            chain_password=_derive(master_key, f"kentra/{tenant_id}/chain-role/v1").hex(),
        )

    def secrets(self) -> dict[str, bytes]:
        """What must survive a rotation of the master key unchanged (so indexes, pseudonyms and
        signatures made before it still hold): kept in the vault, wrapped under the KEK."""
        return {name: getattr(self, name) for name in ROTATION_STABLE}

    def with_secrets(self, secrets: Mapping[str, bytes]) -> TenantKeys:
        return replace(
            self,
            blind_index_key=secrets["blind_index_key"],
            fingerprint_key=secrets["fingerprint_key"],
            pseudonym_key=secrets["pseudonym_key"],
            signing_seed=secrets["signing_seed"],
        )

    def __repr__(self) -> str:  # keys must never reach a log or a traceback
        return f"TenantKeys(tenant_id={self.tenant_id!r}, kek_version={self.kek_version})"

    def wrap(self, subject_id: UUID, data_key: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + AESGCM(self.kek).encrypt(nonce, data_key, subject_id.bytes)

    def unwrap(self, subject_id: UUID, wrapped: bytes) -> bytes:
        """Under the current KEK, or (mid-rotation) the previous one; InvalidTag if neither wrapped it."""
        try:
            return AESGCM(self.kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], subject_id.bytes)
        except InvalidTag:
            if self.previous_kek is None:
                raise
            return AESGCM(self.previous_kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], subject_id.bytes)

    def wrapped_under_current(self, subject_id: UUID, wrapped: bytes) -> bool:
        try:
            AESGCM(self.kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], subject_id.bytes)
        except InvalidTag:
            return False
        return True

    def blind_index(self, kind: str, value: str) -> str:
        # hmac.digest: OpenSSL's one-shot HMAC, the same value as hmac.new(...).hexdigest() in two thirds
        # of the time (an intake makes a dozen: its ΑΜΚΑ and name indexes; issue 24's import).
        return hmac.digest(self.blind_index_key, f"{kind}\x00{value}".encode(), "sha256").hex()

    def fingerprint(self, data: bytes) -> str:
        return hmac.digest(self.fingerprint_key, data, "sha256").hex()

    def signing_key(self) -> Ed25519PrivateKey:
        """The tenant's checkpoint-signing key (Ed25519); its public half is what auditors hold."""
        return Ed25519PrivateKey.from_private_bytes(self.signing_seed)

    def chain_key(self) -> bytes:
        """The HMAC key of the tenant's audit chain (from the rotation-stable signing seed; in no database)."""
        return _derive(self.signing_seed, f"kentra/{self.tenant_id}/audit-chain/v2")

    def job_file_key(self) -> bytes:
        """The AES-256-GCM key of the tenant's job files (uploads, reports) kept in the platform database."""
        return _derive(self.signing_seed, f"kentra/{self.tenant_id}/job-files/v1")

    def event_seal_key(self) -> bytes:
        """The HMAC key that seals each event Kentra writes, so a row inserted by anyone else is told apart."""
        return _derive(self.signing_seed, f"kentra/{self.tenant_id}/event-seal/v1")

    def pseudonym(self, identifier: UUID) -> UUID:
        """A keyed hash of an id: stable for the region, meaningless without the municipality's key."""
        return UUID(bytes=hmac.new(self.pseudonym_key, identifier.bytes, hashlib.sha256).digest()[:16])

    def pseudonym_for(self, purpose: str, identifier: UUID) -> UUID:
        """A keyed hash of an id for one purpose (e.g. "esf-delivery"): stable across calls, and not
        linkable to ``pseudonym`` (the Regions' stream) or to another purpose's, having its own key."""
        key = _derive(self.pseudonym_key, f"kentra/{self.tenant_id}/pseudonym/{purpose}/v1")
        return UUID(bytes=hmac.new(key, identifier.bytes, hashlib.sha256).digest()[:16])


@dataclass(frozen=True)
class RegionLink:
    """A Region's linkage key, shared by its municipalities and never held by the Region's roll-up.

    ``link(amka)`` is HMAC-SHA256 of the normalised ΑΜΚΑ under it: the same person gets the same link
    in every municipality of the region, and no one without the key can test a guess. ``kid`` (the
    first 8 hex of the key's SHA-256) names the key, so links made under two keys are told apart.
    """

    region: str
    key: bytes

    def __post_init__(self) -> None:
        if len(self.key) != 32:
            raise ValueError("a region's linkage key must be 32 bytes")

    @property
    def kid(self) -> str:
        return hashlib.sha256(self.key).hexdigest()[:8]

    def link(self, amka: str) -> dict[str, str]:
        """``{"kid", "value"}`` for a normalised ΑΜΚΑ, as the envelope carries it."""
        return {"kid": self.kid, "value": hmac.new(self.key, amka.encode(), hashlib.sha256).hexdigest()}

    def __repr__(self) -> str:  # the key must never reach a log or a traceback
        return f"RegionLink(region={self.region!r}, kid={self.kid!r})"


ROTATION_STABLE = ("blind_index_key", "fingerprint_key", "pseudonym_key", "signing_seed")


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(data_key: bytes, subject_id: UUID, data: Mapping[str, Any]) -> str:
    """``s1.<subject hex>.<base64(nonce + ciphertext)>``: self-describing, so it opens anywhere."""
    plaintext = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str).encode()
    nonce = os.urandom(NONCE_BYTES)
    blob = nonce + AESGCM(data_key).encrypt(nonce, plaintext, subject_id.bytes)
    return f"{SEAL_VERSION}.{subject_id.hex}.{base64.urlsafe_b64encode(blob).decode()}"


FILE_SEAL_VERSION = b"f1"


def seal_bytes(data_key: bytes, subject_id: UUID, data: bytes) -> bytes:
    """``f1`` + nonce + AES-GCM ciphertext of a file's bytes, with the subject's id as associated data."""
    nonce = os.urandom(NONCE_BYTES)
    return FILE_SEAL_VERSION + nonce + AESGCM(data_key).encrypt(nonce, data, subject_id.bytes)


def unseal_bytes(data_key: bytes, subject_id: UUID, sealed: bytes) -> bytes:
    head = len(FILE_SEAL_VERSION)
    if sealed[:head] != FILE_SEAL_VERSION:
        raise SealedDataError("not a sealed file")
    try:
        return AESGCM(data_key).decrypt(
            sealed[head : head + NONCE_BYTES], sealed[head + NONCE_BYTES :], subject_id.bytes
        )
    except Exception as error:  # InvalidTag: altered, or sealed under another subject's key
        raise SealedDataError("sealed file does not open with its subject's key") from error


def sealed_subject(token: str) -> UUID:
    try:
        version, subject_hex, _ = token.split(".", 2)
        if version != SEAL_VERSION:
            raise ValueError(version)
        return UUID(hex=subject_hex)
    except ValueError as error:
        raise SealedDataError("not a sealed value") from error


def unseal(data_key: bytes, token: str) -> dict[str, Any]:
    subject_id = sealed_subject(token)
    try:
        blob = base64.urlsafe_b64decode(token.split(".", 2)[2])
        plaintext = AESGCM(data_key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], subject_id.bytes)
    except Exception as error:  # InvalidTag, binascii.Error: all mean "not openable"
        raise SealedDataError("sealed value does not open with its subject's key") from error
    result: dict[str, Any] = json.loads(plaintext)
    return result
