"""An erasure over the API removes the person's documents' sealed bytes from the tenant's store and says
how many (issue 23: storage); a second erasure (after a crash) removes what was left."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from domain.identifiers import make_amka
from infra.documents import SqlDocumentStore
from tests.e2e.conftest import Api, intake_body

TENANT = "/api/v1/tenants/sofades"


def register(api: Api, n: int) -> UUID:
    body = intake_body(occurred_on="2024-05-01", personal__amka=make_amka(date(1971, 2, 3), n))
    response = api.post("coord.sof", "/beneficiaries", body)
    assert response.status_code == 201, response.text
    return UUID(str(response.json()["entry_id"]))


def erase(api: Api, person: UUID) -> dict[str, object]:
    response = api.client.post(
        f"{TENANT}/beneficiaries/{person}/erasure",
        json={"reason": "ζήτησε διαγραφή", "legal_ground": "ΓΚΠΔ άρθρο 17(1)(α)"},
        headers=api.headers("coord.sof"),
    )
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


def test_an_erasure_over_the_api_removes_the_persons_documents_and_says_how_many(api: Api) -> None:
    her, him = register(api, 1), register(api, 2)
    casework = api.kentra.casework("sofades")
    store = casework.documents
    assert isinstance(store, SqlDocumentStore)
    for data in (b"first file", b"second file"):
        store.put(her, uuid4(), casework.vault.seal_bytes(her, data))
    his = uuid4()
    store.put(him, his, casework.vault.seal_bytes(him, b"his file"))
    answer = erase(api, her)
    assert answer["documents_removed"] == 2
    assert store.count(her) == 0
    sealed = store.get(him, his)
    assert sealed is not None
    assert casework.vault.unseal_bytes(him, sealed) == b"his file"
    # a crash had left one behind (put after the key went, by a process that sealed it before)
    store.put(her, uuid4(), b"f1" + bytes(40))
    again = erase(api, her)
    assert (again["already"], again["documents_removed"]) == (True, 1)
    assert store.count(her) == 0
