"""Staff search through the API and the pages: the start of a surname in either alphabet, the birth
date, the ΑΜΚΑ; what a result shows; and what nobody may learn by searching (the other structure's
people, an erased person, a name since corrected)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from domain.access_log import PersonalDataSearch
from domain.identifiers import make_amka
from gateways.web import people_search
from services.casework import read_log
from services.people_index import SURNAME_PREFIX
from services.people_reindex import reindex
from tests.e2e.conftest import Api, intake_body
from tests.e2e.test_web import csrf, sign_in

T = "/api/v1/tenants/sofades"


def register(api: Api, first: str, last: str, born: str, serial: int, *, structure: str = "centre") -> str:
    """A person registered by the structure's caseworker; their id."""
    amka = make_amka(date.fromisoformat(born), serial)
    personal = {"first_name": first, "last_name": last, "birth_date": born, "amka": amka}
    worker = "cw.sof.centre" if structure == "centre" else "cw.sof.roma"
    response = api.post(worker, "/beneficiaries", intake_body(structure=structure, personal=personal))
    assert response.status_code == 201, response.text
    return str(response.json()["entry_id"])


def found(api: Api, user: str, **params: Any) -> tuple[list[str], Any]:
    """The ids an API search answers, and the response."""
    response = api.client.get(f"{T}/beneficiaries", params=params, headers=api.headers(user))
    assert response.status_code == 200, response.text
    return [m["id"] for m in response.json()], response


def page(api: Api, **fields: str) -> Any:
    """The search page's form posted, as a browser sends it."""
    return api.client.post("/t/sofades/people", data={**fields, "csrf_token": csrf(api, "/t/sofades/people")})


def test_a_greek_surname_is_found_by_its_start_typed_in_latin_or_greek_letters_without_accents(api: Api) -> None:
    papadopoulos = register(api, "Νικόλαος", "Παπαδόπουλος", "1970-01-02", 1)
    register(api, "Γεώργιος", "Οικονόμου", "1971-02-03", 2)
    for typed in ("Papadopoulos", "papadop", "PAPADOPULOS", "Παπαδ", "παπαδοπουλος", "Papadopo", "Nikolaos Papad"):
        assert found(api, "cw.sof.centre", name=typed)[0] == [papadopoulos], typed
    assert found(api, "cw.sof.centre", name="Ikonomou")[0] != []  # Οι typed as I
    assert found(api, "cw.sof.centre", name="Papadakis")[0] == []


def test_a_name_registered_in_latin_letters_is_found_by_greek_letters(api: Api) -> None:
    smith = register(api, "John", "Smith", "1980-05-06", 3)
    assert found(api, "cw.sof.centre", name="Σμιθ")[0] == [smith]
    assert found(api, "cw.sof.centre", name="Σμι")[0] == [smith]


def test_results_show_the_birth_date_a_masked_amka_and_the_last_contact_not_voided(api: Api) -> None:
    person = register(api, "Ελένη", "Καραγιάννη", "1983-02-11", 4)
    on = {"beneficiary_id": person, "category": "gmi", "structure": "centre"}
    api.post("cw.sof.centre", "/requests", {**on, "occurred_on": "2024-05-10"})
    later = api.post("cw.sof.centre", "/requests", {**on, "occurred_on": "2024-06-01"}).json()["entry_id"]
    voided = api.client.post(
        f"{T}/corrections?action=void",
        headers=api.headers("coord.sof"),
        json={"entry_id": later, "reason": "typing_error"},
    )
    assert voided.status_code == 201, voided.text
    amka = make_amka(date(1983, 2, 11), 4)
    [match] = found(api, "cw.sof.centre", name="Karag")[1].json()
    assert (match["birth_date"], match["last_contact"]) == ("1983-02-11", "2024-05-10")
    assert match["amka_masked"] == f"{amka[:4]}•••••{amka[-2:]}"
    sign_in(api, "cw.sof.centre")
    shown = page(api, name="Karag")
    assert shown.status_code == 200
    row = re.search(r"<tr><th scope=\"row\">.*?</tr>", shown.text, re.S)
    assert row is not None
    cells = re.findall(r"<td>([^<]*)</td>", row.group(0))
    assert cells[:3] == ["11/02/1983", f"{amka[:4]}•••••{amka[-2:]}", "10/05/2024"]
    assert amka not in shown.text


def test_results_are_sorted_by_surname_then_first_name_and_a_cut_list_says_how_many(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = {
        first: register(api, first, last, f"1975-03-0{n + 1}", 10 + n)
        for n, (first, last) in enumerate([("Μαρία", "Παππά"), ("Άννα", "Παππά"), ("Ζωή", "Παπάζογλου")])
    }
    order, response = found(api, "cw.sof.centre", name="Pap", limit=2)
    assert order == [ids["Ζωή"], ids["Άννα"]]
    assert response.headers["X-Total-Count"] == "3"
    everyone = [m["first_name"] + " " + m["last_name"] for m in found(api, "cw.sof.centre", name="Pap")[1].json()]
    assert everyone == ["Ζωή Παπάζογλου", "Άννα Παππά", "Μαρία Παππά"]
    monkeypatch.setattr(people_search, "LIMIT", 2)
    sign_in(api, "cw.sof.centre")
    assert "Εμφανίζονται οι πρώτοι 2 από 3" in page(api, name="Παπ").text
    assert "Εμφανίζονται" not in page(api, name="Papaz").text  # one: nothing cut


def test_a_birth_date_finds_alone_or_with_the_start_of_a_surname_typed_as_staff_type_it(api: Api) -> None:
    her = register(api, "Σοφία", "Δήμου", "1990-07-08", 20)
    him = register(api, "Κώστας", "Ράπτης", "1990-07-08", 21)
    register(api, "Σοφία", "Δήμου", "1991-07-08", 22)
    assert sorted(found(api, "cw.sof.centre", birth_date="1990-07-08")[0]) == sorted([her, him])
    assert found(api, "cw.sof.centre", birth_date="1990-07-08", name="Dim")[0] == [her]
    sign_in(api, "cw.sof.centre")
    for typed in ("08/07/1990", "8/7/1990", "1990-07-08"):
        answer = page(api, birth_date=typed, name="Δήμ")
        assert her in answer.text, typed
        assert him not in answer.text
    refused = page(api, birth_date="31/02/1990")
    assert refused.status_code == 422
    assert "Δώστε την ημερομηνία γέννησης ως ηη/μμ/εεεε" in refused.text
    assert 'value="31/02/1990"' in refused.text  # what was typed is kept


def test_a_two_letter_query_is_refused_with_a_clear_greek_message_and_nothing_is_searched(api: Api) -> None:
    register(api, "Νικόλαος", "Παπαδόπουλος", "1970-01-02", 1)
    before = len([e for e in read_log(api.kentra.casework("sofades")) if isinstance(e, PersonalDataSearch.Recorded)])
    answer = api.client.get(f"{T}/beneficiaries", params={"name": "Pa"}, headers=api.headers("cw.sof.centre"))
    assert answer.status_code == 422
    assert answer.json()["field"] == "name"
    sign_in(api, "cw.sof.centre")
    refused = page(api, name="Πα")
    assert refused.status_code == 422
    assert "Δώστε τουλάχιστον 3 γράμματα του επωνύμου." in refused.text
    assert "Παπαδόπουλος" not in refused.text
    after = len([e for e in read_log(api.kentra.casework("sofades")) if isinstance(e, PersonalDataSearch.Recorded)])
    assert after == before


def test_a_roma_branch_person_is_neither_found_nor_counted_by_a_centre_caseworkers_prefix_search(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    roma = register(api, "Σταυρούλα", "Αλεξανδροπούλου", "1990-02-11", 30, structure="roma-branch")
    centre = register(api, "Μαρία", "Αλεξίου", "1985-04-05", 31)
    ids, response = found(api, "cw.sof.centre", name="Alex")
    assert ids == [centre]
    assert response.headers["X-Total-Count"] == "1"
    assert found(api, "cw.sof.centre", birth_date="1990-02-11")[0] == []
    assert found(api, "cw.sof.roma", name="Alex")[0] == [roma]
    assert sorted(found(api, "coord.sof", name="Alex")[0]) == sorted([roma, centre])
    monkeypatch.setattr(people_search, "LIMIT", 1)  # a cut list would count her: it must not be cut
    sign_in(api, "cw.sof.centre")
    shown = page(api, name="Αλεξ")
    assert roma not in shown.text
    assert "Σταυρούλα" not in shown.text
    assert "Εμφανίζονται" not in shown.text
    assert "Υπάρχουν κι άλλοι" not in shown.text


def test_after_erasure_nobody_finds_the_person_by_any_prefix_or_the_birth_date(api: Api) -> None:
    her = register(api, "Ευανθία", "Τσιουρβαλή", "1979-03-04", 40)
    assert found(api, "coord.sof", name="Tsiou")[0] == [her]
    erased = api.client.post(
        f"{T}/beneficiaries/{her}/erasure",
        json={"reason": "ζήτησε διαγραφή", "legal_ground": "ΓΚΠΔ άρθρο 17(1)(α)"},
        headers=api.headers("coord.sof"),
    )
    assert erased.status_code == 200, erased.text
    for user in ("coord.sof", "cw.sof.centre"):
        for k in range(3, len("tsiourvali") + 1):
            assert found(api, user, name="tsiourvali"[:k])[0] == [], k
        assert found(api, user, name="Τσιουρβαλή")[0] == []
        assert found(api, user, birth_date="1979-03-04")[0] == []
    vault = api.kentra.casework("sofades").vault
    prefixes = [vault.blind_index(SURNAME_PREFIX, "tsiurvali"[:k]) for k in range(2, 10)]
    assert UUID(her) not in vault.indexed_any(prefixes)  # the rows are gone, not only filtered out


def test_after_a_name_amendment_the_old_surnames_prefixes_no_longer_find_the_person(api: Api) -> None:
    her = register(api, "Ελένη", "Σταματοπούλου", "1982-09-10", 50)
    amended = api.post(
        "coord.sof",
        "/corrections",
        {"entry_id": her, "reason": "typing_error", "changes": {}, "personal": {"last_name": "Κωνσταντίνου"}},
    )
    assert amended.status_code == 201, amended.text
    assert found(api, "cw.sof.centre", name="Stamat")[0] == []
    assert found(api, "cw.sof.centre", name="Σταματοπούλου")[0] == []
    assert found(api, "cw.sof.centre", name="Konst")[0] == [her]
    vault = api.kentra.casework("sofades").vault
    old = [vault.blind_index(SURNAME_PREFIX, "stamatopulu"[:k]) for k in range(3, 12)]
    assert UUID(her) not in vault.indexed_any(old)  # removed from the index, not only filtered out


def test_an_auditor_without_clearance_may_not_search_and_her_refused_search_is_not_logged(api: Api) -> None:
    register(api, "Νικόλαος", "Παπαδόπουλος", "1970-01-02", 1)
    before = len([e for e in read_log(api.kentra.casework("sofades")) if isinstance(e, PersonalDataSearch.Recorded)])
    for params in ({"name": "Papad"}, {"birth_date": "1970-01-02"}):
        refused = api.client.get(f"{T}/beneficiaries", params=params, headers=api.headers("auditor.sof"))
        assert refused.status_code == 403
        assert "Παπαδόπουλος" not in refused.text
    sign_in(api, "auditor.sof")
    assert api.client.get("/t/sofades/people", params={"name": "Papad"}).status_code == 403
    after = len([e for e in read_log(api.kentra.casework("sofades")) if isinstance(e, PersonalDataSearch.Recorded)])
    assert after == before


def test_every_search_is_logged_by_how_never_what_and_the_form_keeps_it_out_of_the_url(api: Api) -> None:
    her = register(api, "Ευανθία", "Τσιουρβαλή", "1979-03-04", 40)
    found(api, "cw.sof.centre", name="Tsiou", birth_date="1979-03-04")
    sign_in(api, "cw.sof.centre")
    form = api.client.get("/t/sofades/people").text
    assert '<form class="inline" method="post" action="/t/sofades/people"' in form
    token = csrf(api, "/t/sofades/people")
    sent = api.client.post(
        "/t/sofades/people", data={"birth_date": "04/03/1979", "csrf_token": token}, follow_redirects=False
    )
    assert sent.status_code == 303
    address = sent.headers["location"]
    assert address.startswith("/t/sofades/people?q=")
    assert "1979" not in address
    assert her in api.client.get(address).text  # the results page, at an address that says nothing
    logged: list[Any] = [
        e for e in read_log(api.kentra.casework("sofades")) if isinstance(e, PersonalDataSearch.Recorded)
    ]
    assert [(e.by, e.found) for e in logged[-2:]] == [("name_birth_date", 1), ("birth_date", 1)]
    stored = [
        n.state
        for n in api.kentra.casework("sofades").recorder.select_notifications(start=None, limit=100_000)
        if "PersonalDataSearch" in n.topic
    ]
    for state in stored:
        assert b"Tsiou" not in state
        assert b"1979-03-04" not in state
        assert her.encode() not in state


def test_the_backfill_gives_people_registered_before_it_their_indexes_and_a_second_run_changes_nothing(
    api: Api,
) -> None:
    her = register(api, "Ευανθία", "Τσιουρβαλή", "1979-03-04", 40)
    casework, views = api.kentra.casework("sofades"), api.kentra.views("sofades")
    vault = casework.vault
    # As before the upgrade: only the exact-name indexes.
    exact = {vault.blind_index("name", "ΤΣΙΟΥΡΒΑΛΗ"), vault.blind_index("name", "ΕΥΑΝΘΙΑ ΤΣΙΟΥΡΒΑΛΗ")}
    vault.reindex(UUID(her), exact)
    assert found(api, "cw.sof.centre", name="Tsiou")[0] == []
    first = reindex(casework, views)
    assert first["added"] > 0
    assert first["removed"] == 0
    assert found(api, "cw.sof.centre", name="Tsiou")[0] == [her]
    assert reindex(casework, views) == {**first, "added": 0}


def test_a_results_address_opens_in_no_other_session(api: Api) -> None:
    her = register(api, "Ευανθία", "Τσιουρβαλή", "1979-03-04", 40)
    sign_in(api, "cw.sof.centre")
    token = csrf(api, "/t/sofades/people")
    address = api.client.post(
        "/t/sofades/people", data={"name": "Tsiou", "csrf_token": token}, follow_redirects=False
    ).headers["location"]
    assert her in api.client.get(address).text
    api.client.cookies.clear()
    sign_in(api, "cw.sof.centre")  # the same caseworker, another session: the address is only a key's noise
    again = api.client.get(address)
    assert again.status_code == 200
    assert her not in again.text
    assert "Tsiou" not in again.text


def test_a_caseworkers_last_contact_is_her_own_structures_never_a_later_one_of_the_other(api: Api) -> None:
    her = register(api, "Ευανθία", "Τσιουρβαλή", "1979-03-04", 40)
    on = {"beneficiary_id": her, "category": "gmi"}
    assert api.post("cw.sof.centre", "/requests", {**on, "structure": "centre", "occurred_on": "2024-05-03"}).is_success
    later = api.post("coord.sof", "/requests", {**on, "structure": "roma-branch", "occurred_on": "2024-06-20"})
    assert later.status_code == 201, later.text
    [mine] = found(api, "cw.sof.centre", name="Tsiou")[1].json()
    assert mine["last_contact"] == "2024-05-03"  # the Roma branch's later contact would say she is served there
    [everyone] = found(api, "coord.sof", name="Tsiou")[1].json()
    assert everyone["last_contact"] == "2024-06-20"
