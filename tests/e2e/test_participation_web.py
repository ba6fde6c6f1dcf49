"""The ESF participation steps on a person's page and the six-month follow-up worklist (issue 21),
through the application: a return's entry into the 2021-2027 operation, a change of situation, leaving,
the follow-up once due; refused forms that record nothing, and who may not take these steps."""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from domain.clock import athens_today
from domain.esf import follow_up_due
from domain.identifiers import make_amka
from tests.conftest import Clock
from tests.e2e.conftest import Api, intake_body
from tests.e2e.test_case_ownership import hidden, page_client
from tests.e2e.test_erasure_api import erase
from tests.e2e.test_web import csrf

_amkas = itertools.count(7100)
ENTRY = {
    "occurred_on": "12/03/2024",
    "situation.employment_status": "long_term_unemployed",
    "situation.isced_level": "2",
    "situation.household_situation": "single_parent",
    "situation.residence_area": "rural",
    "special.disability": "no",
    "special.minority": "refused",
    "special.other_disadvantage": "no",
}


@pytest.fixture
def esf(api: Api) -> Api:
    """The API with today's date in Athens as the platform's today, so that dates more than six months
    ago are in the past (the conftest's clock stands in June 2024)."""
    clock = api.kentra.today
    assert isinstance(clock, Clock)
    clock.day = athens_today()
    return api


def registered_in_2021(api: Api, structure: str = "centre") -> str:
    """A person registered in 2021, under the 2014-2020 operation, by the structure's caseworker."""
    worker = "cw.sof.centre" if structure == "centre" else "cw.sof.roma"
    amka = make_amka(date(1979, 3, 4), next(_amkas))
    body = intake_body(structure=structure, occurred_on="2021-03-10", personal__amka=amka)
    response = api.post(worker, "/beneficiaries", body)
    assert response.status_code == 201, response.text
    return str(response.json()["entry_id"])


def version(api: Api, person: str) -> int:
    """The person's version: a step recorded about them is a new event on their record."""
    return int(api.kentra.casework("sofades").entry(UUID(person)).version)


def send(client: TestClient, path: str, fields: dict[str, str]) -> Any:
    """Draw the form, then post it with its hidden fields (CSRF token, command id, version) and ``fields``."""
    drawn = client.get(path)
    assert drawn.status_code == 200, drawn.text
    return client.post(path, data={**hidden(drawn.text), **fields}, follow_redirects=False)


def person_page(client: TestClient, person: str) -> str:
    page = client.get(f"/t/sofades/people/{person}")
    assert page.status_code == 200, page.text
    return str(page.text)


def block(text: str) -> str:
    """The «Συμμετοχή σε πράξεις ΕΚΤ» block of a person's page."""
    found = re.search(r'<h2 id="esf-participation">.*?(?=<h2(?! id="esf))', text, re.S)
    assert found, "the person's page has its ESF participation block"
    return found.group(0)


def on_worklist(client: TestClient, person: str) -> bool:
    page = client.get("/t/sofades/work", params={"list": "esf_follow_ups", "worker": "all"})
    assert page.status_code == 200, page.text
    assert "Παρακολούθηση 6 μηνών μετά την έξοδο" in page.text
    return f"/t/sofades/people/{person}" in page.text


def entered(api: Api, client: TestClient, person: str) -> None:
    answer = send(client, f"/t/sofades/people/{person}/operations/2021-2027/entry", ENTRY)
    assert answer.status_code == 303, answer.text


def left(client: TestClient, person: str, day: str = "03/03/2025", **status: str) -> Any:
    return send(
        client,
        f"/t/sofades/people/{person}/operations/2021-2027/exit",
        {"occurred_on": day, **(status if status else {"status.job_searching": "on"})},
    )


def test_a_caseworker_records_a_returns_entry_a_change_an_exit_and_the_follow_up_once_due(esf: Api) -> None:
    person = registered_in_2021(esf)
    centre = page_client(esf, "cw.sof.centre")
    shown = block(person_page(centre, person))
    assert "5002786" in shown
    assert "10/03/2021 (με την εισαγωγή)" in shown
    assert "Δεν έχει εισέλθει" in shown  # the 2021-2027 operation, not entered yet
    form = centre.get(f"/t/sofades/people/{person}/operations/2021-2027/entry")
    assert "Είσοδος σε νέα πράξη" in form.text
    # The situation now, prefilled; the special-category answers as at intake, a refusal among them.
    assert '<option value="long_term_unemployed" selected>' in form.text
    assert "Άρνηση απάντησης" in form.text

    entry = send(centre, f"/t/sofades/people/{person}/operations/2021-2027/entry", ENTRY)
    assert entry.status_code == 303
    assert entry.headers["location"] == f"/t/sofades/people/{person}?done=esf_entry"
    page = centre.get(entry.headers["location"]).text
    assert "Η είσοδος στην πράξη καταχωρίστηκε." in page
    assert "12/03/2024 (επιστροφή)" in block(page)

    situation = centre.get(f"/t/sofades/people/{person}/situation")
    assert "δεν αλλάζει τα στοιχεία εισόδου" in situation.text  # the form says it never rewrites entry data
    changed = send(
        centre,
        f"/t/sofades/people/{person}/situation",
        {
            **{k.replace("situation.", "changes."): v for k, v in ENTRY.items() if k.startswith("situation.")},
            "changes.employment_status": "employed",
            "occurred_on": "02/09/2024",
        },
    )
    assert changed.status_code == 303, changed.text
    assert "Η αλλαγή κατάστασης καταχωρίστηκε." in centre.get(changed.headers["location"]).text

    exit_ = left(centre, person)
    assert exit_.status_code == 303, exit_.text
    page = centre.get(exit_.headers["location"]).text
    assert "03/03/2025: Αναζητά εργασία" in block(page)
    due = follow_up_due(date(2025, 3, 3))
    assert f"οφείλεται από {due:%d/%m/%Y}" in block(page)

    assert on_worklist(centre, person)  # due in September 2025: overdue by today
    assert re.search(r'class="badge">1<', centre.get("/home").text)  # and counted in the header's «σήμερα»
    done = send(
        centre,
        f"/t/sofades/people/{person}/operations/2021-2027/follow-up",
        {"occurred_on": f"{athens_today():%d/%m/%Y}", "status.employed": "on"},
    )
    assert done.status_code == 303, done.text
    assert "Η παρακολούθηση 6 μηνών καταχωρίστηκε." in centre.get(done.headers["location"]).text
    assert not on_worklist(centre, person)


def test_job_searching_and_employed_on_leaving_are_refused_in_greek_and_nothing_is_recorded(esf: Api) -> None:
    person = registered_in_2021(esf)
    centre = page_client(esf, "cw.sof.centre")
    entered(esf, centre, person)
    before = version(esf, person)
    refused = left(centre, person, **{"status.job_searching": "on", "status.employed": "on"})
    assert refused.status_code == 422
    assert "είτε αναζητά εργασία είτε απασχολείται" in refused.text
    assert 'href="#f-status-employed"' in refused.text  # the summary leads to the field
    assert 'value="03/03/2025"' in refused.text  # what was typed is kept
    assert version(esf, person) == before


def test_a_refused_entry_records_nothing_and_keeps_what_was_typed(esf: Api) -> None:
    person = registered_in_2021(esf)
    centre = page_client(esf, "cw.sof.centre")
    before = version(esf, person)
    refused = send(
        centre,
        f"/t/sofades/people/{person}/operations/2021-2027/entry",
        {**ENTRY, "occurred_on": "31/02/2024", "special.minority": ""},
    )
    assert refused.status_code == 422
    assert 'value="31/02/2024"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert version(esf, person) == before


def test_the_follow_up_is_offered_only_once_due(esf: Api) -> None:
    person = registered_in_2021(esf)
    centre = page_client(esf, "cw.sof.centre")
    entered(esf, centre, person)
    recent = athens_today().replace(day=1)
    assert left(centre, person, day=f"{recent:%d/%m/%Y}").status_code == 303
    path = f"/t/sofades/people/{person}/operations/2021-2027/follow-up"
    assert path not in person_page(centre, person)
    assert centre.get(path).status_code == 409
    assert not on_worklist(centre, person)


def test_a_correction_of_an_exit_needs_a_reason_and_then_is_recorded(esf: Api) -> None:
    person = registered_in_2021(esf)
    centre = page_client(esf, "cw.sof.centre")
    entered(esf, centre, person)
    assert left(centre, person).status_code == 303
    path = f"/t/sofades/people/{person}/operations/2021-2027/correct-exit"
    assert path in person_page(centre, person)
    before = version(esf, person)
    unreasoned = send(centre, path, {"changes.status.employed": "on"})
    assert unreasoned.status_code == 422
    assert 'href="#f-reason"' in unreasoned.text  # the reason is what is missing
    assert version(esf, person) == before
    fixed = send(centre, path, {"changes.status.employed": "on", "reason": "typing_error"})
    assert fixed.status_code == 303, fixed.text
    assert "03/03/2025: Απασχολείται" in block(centre.get(fixed.headers["location"]).text)


@pytest.mark.parametrize("user", ["cw.sof.roma", "auditor.sof", "analyst.thessaly", "coord.kar"])
def test_who_may_not_record_for_the_person_can_neither_draw_nor_post_a_step(esf: Api, user: str) -> None:
    person = registered_in_2021(esf)
    before = version(esf, person)
    token = hidden(page_client(esf, "cw.sof.centre").get(f"/t/sofades/people/{person}/situation").text)
    other = page_client(esf, user)
    for path in (f"/t/sofades/people/{person}/operations/2021-2027/entry", f"/t/sofades/people/{person}/situation"):
        drawn = other.get(path)
        assert drawn.status_code in (403, 404), (user, path, drawn.status_code)
        own = csrf(Api(esf.kentra, other))
        posted = other.post(path, data={**token, **ENTRY, "csrf_token": own}, follow_redirects=False)
        assert posted.status_code in (403, 404), (user, path, posted.status_code)
    if user == "cw.sof.roma":  # the other structure's person: not found, as for every other step
        assert other.get(f"/t/sofades/people/{person}/situation").status_code == 404
    assert version(esf, person) == before


def test_an_auditor_sees_the_block_but_no_step(esf: Api) -> None:
    person = registered_in_2021(esf)
    auditor = page_client(esf, "auditor.sof")
    page = auditor.get(f"/t/sofades/people/{person}")
    assert page.status_code == 200
    shown = block(page.text)
    assert "5002786" in shown
    assert "/operations/" not in shown
    assert "/situation" not in shown


def test_an_erased_persons_page_offers_no_step_and_a_step_is_refused(esf: Api) -> None:
    person = registered_in_2021(esf)
    assert erase(esf, person).status_code in (200, 201, 202)
    coordinator = page_client(esf, "coord.sof")
    page = coordinator.get(f"/t/sofades/people/{person}")
    if page.status_code == 200:
        assert "/operations/" not in page.text
        assert f"/people/{person}/situation" not in page.text
    assert coordinator.get(f"/t/sofades/people/{person}/situation").status_code in (404, 409)


def test_the_other_structure_does_not_see_the_follow_up_on_its_worklist(esf: Api) -> None:
    person = registered_in_2021(esf)
    centre = page_client(esf, "cw.sof.centre")
    entered(esf, centre, person)
    assert left(centre, person).status_code == 303
    assert on_worklist(centre, person)
    assert on_worklist(page_client(esf, "coord.sof"), person)
    roma = page_client(esf, "cw.sof.roma")
    assert not on_worklist(roma, person)
    listed = esf.client.get(
        "/api/v1/tenants/sofades/worklists/esf_follow_ups", params={"worker": "all"}, headers=esf.headers("cw.sof.roma")
    )
    assert listed.status_code == 200
    assert person not in listed.text
    mine = esf.client.get("/api/v1/tenants/sofades/worklists/esf_follow_ups", headers=esf.headers("cw.sof.centre"))
    assert mine.status_code == 200, mine.text
    assert [p["beneficiary_id"] for p in mine.json()["participants"]] == [person]


def test_a_sort_the_follow_up_list_does_not_have_is_refused_not_a_server_error(esf: Api) -> None:
    answer = esf.client.get(
        "/api/v1/tenants/sofades/worklists/esf_follow_ups", params={"sort": "count"}, headers=esf.headers("coord.sof")
    )
    assert answer.status_code == 422, answer.text
    page = page_client(esf, "coord.sof").get("/t/sofades/work", params={"list": "esf_follow_ups", "sort": "count"})
    assert page.status_code == 422
    assert "Ένα από τα φίλτρα δεν είναι έγκυρο." in page.text
