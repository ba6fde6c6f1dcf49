"""Seals on the events Kentra writes: the library's mapper, plus an HMAC after each stored state.

The seal key is handed to the event store as its "cipher" (the one slot of the library's mapper
that carries a secret); the cipher itself changes nothing. Reading strips the seal without judging
it: ``kentra audit verify`` is where a missing or wrong seal is reported (a read that refused would
take the tenant down over one forged row).
"""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Cipher, Mapper, StoredEvent
from eventsourcing.utils import Environment

from projections.audit import seal_state, unsealed_state

SEAL_KEY = "EVENT_SEAL_KEY"


def seal_env(key: bytes) -> dict[str, str]:
    """What to add to an application's environment so that its events are sealed with ``key``."""
    return {
        "MAPPER_TOPIC": "infra.event_seal:SealingMapper",
        "CIPHER_TOPIC": "infra.event_seal:SealKey",
        SEAL_KEY: base64.b64encode(key).decode(),
    }


class SealKey(Cipher):
    """Carries the seal key to the mapper; encrypts nothing."""

    def __init__(self, environment: Environment) -> None:
        self.key = base64.b64decode(environment.get(SEAL_KEY) or "")
        if len(self.key) != 32:
            raise ValueError(f"{SEAL_KEY} must be 32 bytes (base64)")

    def encrypt(self, plaintext: bytes) -> bytes:
        return plaintext

    def decrypt(self, ciphertext: bytes) -> bytes:
        return ciphertext


class SealingMapper(Mapper[UUID]):
    def _key(self) -> bytes:
        if not isinstance(self.cipher, SealKey):
            raise TypeError("SealingMapper needs CIPHER_TOPIC=infra.event_seal:SealKey")
        return self.cipher.key

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        stored = super().to_stored_event(domain_event)
        sealed = seal_state(self._key(), stored.originator_id, stored.originator_version, stored.topic, stored.state)
        return StoredEvent(stored.originator_id, stored.originator_version, stored.topic, sealed)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        state = unsealed_state(bytes(stored_event.state))
        return super().to_domain_event(
            StoredEvent(stored_event.originator_id, stored_event.originator_version, stored_event.topic, state)
        )
