"""The participant file's pseudonym: stable for a person across deliveries, and unlinkable to the
Regions' pseudonym, to another tenant's and to another purpose's."""

from __future__ import annotations

import os
from uuid import uuid4

from infra.crypto import TenantKeys
from services.esf import PURPOSE


def test_the_delivery_pseudonym_is_stable_and_not_the_regions_or_another_tenants() -> None:
    master, person = os.urandom(32), uuid4()
    sofades, karditsa = TenantKeys.derive(master, "sofades"), TenantKeys.derive(master, "karditsa")
    delivered = sofades.pseudonym_for(PURPOSE, person)
    assert TenantKeys.derive(master, "sofades").pseudonym_for(PURPOSE, person) == delivered  # an exit links its entry
    assert delivered not in (person, sofades.pseudonym(person))  # not the id, not the Kafka stream's
    assert karditsa.pseudonym_for(PURPOSE, person) != delivered
    assert sofades.pseudonym_for("another-purpose", person) != delivered
    assert sofades.pseudonym_for(PURPOSE, uuid4()) != delivered
