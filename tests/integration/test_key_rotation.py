"""Rotating the master key re-wraps the keys and rewrites no event; afterwards only the new key is needed."""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import date

import pytest
from cryptography.exceptions import InvalidTag
from pydantic import SecretStr

from domain.identifiers import make_amka
from infra.bootstrap import bootstrap
from services.casework import read_log
from tests.conftest import TEST_MASTER_KEY, StoreUnderTest, command, intake


def log_digest(store: StoreUnderTest) -> str:
    digest = hashlib.sha256()
    for stored in store.kentra.audit_chain(store.tenant.id).stored_events():
        digest.update(bytes(stored.state))
    return digest.hexdigest()


def test_rotating_the_master_key_rewrites_no_event_and_keeps_every_key_working(store: StoreUnderTest) -> None:
    amka = make_amka(date(1966, 6, 6), 1)
    her = store.casework.execute(intake(personal__amka=amka, personal__last_name="Καραγιάννη")).entry_id
    store.casework.execute(
        command(
            command="open_request",
            beneficiary_id=str(her),
            category="gmi",
            structure="centre",
            occurred_on="2024-05-02",
        )
    )
    chain = store.kentra.audit_chain(store.tenant.id)
    chain.checkpoint()
    pseudonym = store.kentra.keys(store.tenant).pseudonym(her)
    before = log_digest(store)
    events = len(list(read_log(store.casework)))

    new_key = base64.b64encode(os.urandom(32)).decode()
    rotating = store.settings.model_copy(
        update={"master_key": SecretStr(new_key), "previous_master_key": SecretStr(TEST_MASTER_KEY)}
    )
    during = bootstrap(rotating, registry=store.kentra.registry, today=store.clock)
    assert during.rotate_master_key(store.tenant.id) == 1
    assert during.rotate_master_key(store.tenant.id) == 0  # idempotent: nothing left under the old key
    during.close()

    after = bootstrap(
        store.settings.model_copy(update={"master_key": SecretStr(new_key)}),
        registry=store.kentra.registry,
        today=store.clock,
    )
    try:
        casework = after.casework(store.tenant.id)
        assert casework.describe(her, reveal=True)["state"]["sealed"]["personal"]["last_name"] == "Καραγιάννη"
        assert casework.find_by_amka(amka) == her  # blind indexes still match
        assert after.keys(store.tenant).pseudonym(her) == pseudonym  # the Region's pseudonyms do not change
        assert after.audit_chain(store.tenant.id).verify().ok  # checkpoints signed before still verify
        assert len(list(read_log(casework))) == events
        assert log_digest(store) == before  # not one event rewritten
    finally:
        after.close()

    old_only = bootstrap(store.settings, registry=store.kentra.registry, today=store.clock)  # the old key alone
    try:
        with pytest.raises(InvalidTag):
            old_only.casework(store.tenant.id).describe(her, reveal=True)
    finally:
        old_only.close()
