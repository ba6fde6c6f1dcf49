"""Households on the pages (issue 23): a person's page shows the household and its steps; the household's
page adds members found by name, changes the head, lets members leave; refusals are said in Greek; other
structures, tenants and roles get nothing."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import Api, intake_body
from tests.e2e.test_web import sign_in
from tests.e2e.test_web_forms import post


def person(api: Api, surname: str, structure: str = "centre") -> str:
    body = intake_body(personal__amka=None, personal__last_name=surname, structure=structure)
    response = api.post("coord.sof", "/beneficiaries", body)
    assert response.status_code == 201, response.text
    return str(response.json()["entry_id"])


def formed(api: Api, head: str) -> str:
    answer = post(api, "/t/sofades/households", {"beneficiary_id": head, "occurred_on": "03/05/2024"})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/t/sofades/people/{head}?done=household_formed#household"
    page = api.client.get(f"/t/sofades/people/{head}").text
    found = re.search(r'id="household-page" href="/t/sofades/households/([0-9a-f-]{36})"', page)
    assert found, page
    return found.group(1)


def added(api: Api, household: str, member: str, relation: str) -> Any:
    fields = {"beneficiary_id": member, "relation": relation, "occurred_on": "04/05/2024"}
    return post(api, f"/t/sofades/households/{household}/members", fields)


def test_a_household_of_three_is_built_from_a_persons_page_and_shown_on_each_members(api: Api) -> None:
    head, spouse, child = person(api, "Καραγιάννης"), person(api, "Καραγιάννη"), person(api, "Καραγιαννάκης")
    sign_in(api, "coord.sof")
    page = api.client.get(f"/t/sofades/people/{head}").text
    assert "Δημιουργία νοικοκυριού με υπεύθυνο/η αυτό το πρόσωπο" in page
    household = formed(api, head)
    assert added(api, household, spouse, "spouse").headers["location"].endswith("?done=added")
    assert added(api, household, child, "child").status_code == 303
    for member in (head, spouse, child):
        shown = api.client.get(f"/t/sofades/people/{member}").text
        assert '<p id="household-size">Μέλη: <strong>3</strong>' in shown
        assert "Σύζυγος / σύντροφος" in shown
        assert "Τέκνο" in shown
    assert f'href="/t/sofades/people/{spouse}"' in api.client.get(f"/t/sofades/people/{head}").text


def test_a_member_is_found_by_name_on_the_households_page_without_the_name_in_the_address(api: Api) -> None:
    head, other = person(api, "Οικονόμου"), person(api, "Ζαχαρίου")
    sign_in(api, "coord.sof")
    household = formed(api, head)
    found = post(api, f"/t/sofades/households/{household}/find", {"name": "Ζαχαρ"})
    assert found.status_code == 303
    assert "Ζαχαρ" not in found.headers["location"]
    page = api.client.get(found.headers["location"]).text
    assert f'name="beneficiary_id" value="{other}"' in page


def test_a_refusal_is_said_in_greek_and_records_nothing(api: Api) -> None:
    one, two, member = person(api, "Αλεξίου"), person(api, "Βασιλείου"), person(api, "Γεωργίου")
    sign_in(api, "coord.sof")
    first, second = formed(api, one), formed(api, two)
    assert added(api, first, member, "child").status_code == 303
    refused = added(api, second, member, "child")
    assert refused.status_code == 409
    assert "Το πρόσωπο ανήκει ήδη σε νοικοκυριό: χρησιμοποιήστε τη μετακίνηση." in refused.text
    no_relation = post(
        api, f"/t/sofades/households/{second}/members", {"beneficiary_id": one, "occurred_on": "04/05/2024"}
    )
    assert no_relation.status_code == 422
    assert "Επιλέξτε τη σχέση" in no_relation.text
    head_leaves = post(
        api, f"/t/sofades/households/{first}/departures", {"beneficiary_id": one, "occurred_on": "05/05/2024"}
    )
    assert "Ο/Η υπεύθυνος/η δεν αποχωρεί" in head_leaves.text
    assert api.client.get(f"/t/sofades/households/{first}").text.count('<a href="/t/sofades/people/') == 2


def test_a_member_moves_from_their_page_to_a_household_found_by_a_members_name(api: Api) -> None:
    one, two, member = person(api, "Δημητρίου"), person(api, "Ευαγγέλου"), person(api, "Θεοδώρου")
    sign_in(api, "coord.sof")
    first, second = formed(api, one), formed(api, two)
    added(api, first, member, "child")
    found = post(api, f"/t/sofades/people/{member}/household/find", {"name": "Ευαγγ"})
    page = api.client.get(found.headers["location"]).text
    assert f'action="/t/sofades/households/{second}/moves"' in page
    moved = post(
        api,
        f"/t/sofades/households/{second}/moves",
        {"beneficiary_id": member, "relation": "other", "occurred_on": "05/05/2024"},
    )
    assert moved.headers["location"].endswith("?done=moved")
    assert '<dd id="household-size">2' in api.client.get(f"/t/sofades/households/{second}").text
    assert '<dd id="household-size">1' in api.client.get(f"/t/sofades/households/{first}").text


def test_the_roma_branch_another_tenant_and_an_uncleared_auditor_see_no_household(api: Api) -> None:
    head = person(api, "Κωνσταντίνου")
    sign_in(api, "coord.sof")
    household = formed(api, head)
    for user, status in (("cw.sof.roma", 404), ("coord.kar", 403), ("auditor.sof", 403)):
        sign_in(api, user)
        page = api.client.get(f"/t/sofades/households/{household}")
        assert page.status_code == status, user
        assert "Κωνσταντίνου" not in page.text
    sign_in(api, "cw.sof.roma")
    refused = post(api, "/t/sofades/households", {"beneficiary_id": head, "occurred_on": "03/05/2024"})
    assert refused.status_code == 404


def test_the_dashboard_shows_the_households_served_by_size(api: Api) -> None:
    head = person(api, "Μακρή")
    sign_in(api, "coord.sof")
    formed(api, head)
    page = api.client.get("/t/sofades/dashboard", params={"from": "01/05/2024", "to": "31/05/2024"})
    assert page.status_code == 200, page.text
    assert "<dt>Νοικοκυριά που εξυπηρετήθηκαν</dt><dd>1</dd>" in page.text
    assert '<table id="households-by-size">' in page.text
