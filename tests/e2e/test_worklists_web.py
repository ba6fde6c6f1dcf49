"""The worklists page (/t/{tenant}/work) and API (/worklists/{list}), and who gets what: a centre
caseworker never gets nor counts a Roma-branch item whatever she asks, another tenant's user, an
auditor and a regional analyst get no worklist, the caseload's counts lead to their lists."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from domain.access_log import PersonalDataAccess
from domain.identifiers import make_amka
from services.casework import read_log
from tests.e2e.conftest import Api, intake_body
from tests.e2e.test_web import sign_in

LISTS = ("cases", "follow_ups", "referrals", "agency")


@dataclass
class Case:
    person: str
    last_name: str
    referral: str
    visit: str
    request: str


def case(api: Api, worker: str, structure: str, serial: int, last_name: str) -> Case:
    """A person with a referral unanswered since May, an overdue follow-up and a request pending at OPEKA."""
    body = intake_body(structure=structure, personal__last_name=last_name)
    body["personal"]["amka"] = make_amka(date.fromisoformat(body["personal"]["birth_date"]), serial)

    def made(path: str, fields: dict[str, Any]) -> str:
        response = api.post(worker, path, fields)
        assert response.status_code == 201, response.text
        return str(response.json()["entry_id"])

    person = made("/beneficiaries", body)
    on = {"beneficiary_id": person, "structure": structure, "occurred_on": "2024-05-03"}
    request = made("/requests", {**on, "category": "gmi"})
    status = {"occurred_on": "2024-05-04", "agency": "opeka", "reference": "ΟΠΕΚΑ/77/2024", "status": "submitted"}
    assert api.post(worker, f"/requests/{request}/agency-status", status).status_code == 201
    return Case(
        person=person,
        last_name=last_name,
        referral=made("/referrals", {**on, "destination": "opeka"}),
        visit=made("/home-visits", {**on, "purpose": "living_conditions", "follow_up_due": "2024-06-20"}),
        request=request,
    )


@pytest.fixture
def cases(api: Api) -> tuple[Case, Case]:
    return (
        case(api, "cw.sof.centre", "centre", 8101, "Κεντρικού"),
        case(api, "cw.sof.roma", "roma-branch", 8102, "Παραρτηματίδη"),
    )


def total(page: str) -> int:
    found = re.search(r"(?:Σύνολο|Total): (\d+)", page)
    assert found, "the list says its total"
    return int(found.group(1))


def test_a_caseworker_sees_her_four_lists_with_names_greek_labels_and_dates(api: Api, cases: tuple[Case, Case]) -> None:
    centre, roma = cases
    sign_in(api, "cw.sof.centre")
    seen_before = sum(1 for e in read_log(api.kentra.casework("sofades")) if isinstance(e, PersonalDataAccess.Recorded))
    pages = {name: api.client.get("/t/sofades/work", params={"list": name}) for name in LISTS}
    assert all(page.status_code == 200 for page in pages.values())
    for name, page in pages.items():
        text = html.unescape(page.text)
        assert "Οι εργασίες μου" in text
        assert centre.last_name in text, name
        assert f"/t/sofades/people/{centre.person}" in text
        assert roma.last_name not in text
        assert roma.person not in text
        assert total(text) == 1
    assert f"/t/sofades/referrals/{centre.referral}" in pages["referrals"].text
    assert "03/05/2024" in pages["referrals"].text
    assert "ΟΠΕΚΑ" in html.unescape(pages["referrals"].text)
    assert f"/t/sofades/home-visits/{centre.visit}" in pages["follow_ups"].text
    assert "20/06/2024" in pages["follow_ups"].text
    assert "εκπρόθεσμη" in pages["follow_ups"].text
    agency = html.unescape(pages["agency"].text)
    assert f"/t/sofades/requests/{centre.request}" in agency
    assert "Υποβλήθηκε" in agency
    assert "04/05/2024" in agency
    assert "ΟΠΕΚΑ/77/2024" not in agency  # the agency's protocol number is the entry page's, not the list's
    accesses = [e for e in read_log(api.kentra.casework("sofades")) if isinstance(e, PersonalDataAccess.Recorded)]
    assert len(accesses) > seen_before  # each name shown is a look, recorded
    assert {str(getattr(e, "beneficiary_id")) for e in accesses[seen_before:]} == {centre.person}  # noqa: B009


@pytest.mark.parametrize(
    "terms",
    [{}, {"worker": "all"}, {"worker": "cw.sof.roma"}, {"status": "submitted"}, {"days": "0"}, {"worker": "me"}],
)
def test_a_centre_caseworker_never_gets_nor_counts_a_roma_branch_item(
    api: Api, cases: tuple[Case, Case], terms: dict[str, str]
) -> None:
    _centre, roma = cases
    sign_in(api, "cw.sof.centre")
    for name in LISTS:
        page = api.client.get("/t/sofades/work", params={"list": name, **terms})
        assert page.status_code == 200
        assert roma.last_name not in html.unescape(page.text)
        assert roma.person not in page.text
        # Every tab's count too: the Roma branch's item never adds to one.
        assert all(int(n) <= 1 for n in re.findall(r"\((\d+)\)</a></li>", page.text))
        answer = api.client.get(
            f"/api/v1/tenants/sofades/worklists/{name}", params=terms, headers=api.headers("cw.sof.centre")
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["total"] <= 1
        assert roma.person not in answer.text
        assert all(item["structure"] == "centre" for item in body["items"])
        if terms.get("worker") == "cw.sof.roma":
            assert body["total"] == 0


def test_asking_for_the_other_structure_is_refused_and_counts_nothing(api: Api, cases: tuple[Case, Case]) -> None:
    _, roma = cases
    sign_in(api, "cw.sof.centre")
    for name in LISTS:
        page = api.client.get("/t/sofades/work", params={"list": name, "structure": "roma-branch"})
        assert page.status_code == 403
        assert roma.last_name not in page.text
        answer = api.client.get(
            f"/api/v1/tenants/sofades/worklists/{name}",
            params={"structure": "roma-branch"},
            headers=api.headers("cw.sof.centre"),
        )
        assert answer.status_code == 403
        assert "total" not in answer.json()


def test_the_header_counts_what_is_due_today_in_her_own_list_only(api: Api, cases: tuple[Case, Case]) -> None:
    sign_in(api, "cw.sof.centre")
    api.client.get("/t/sofades/work")  # a list catches the views up
    assert re.search(r'class="badge"[^>]*>1<', api.client.get("/home").text)
    sign_in(api, "coord.sof")
    assert re.search(r'class="badge"[^>]*>2<', api.client.get("/home").text)  # the whole municipality


@pytest.mark.parametrize("user", ["coord.kar", "auditor.sof", "auditor.pyl", "analyst.thessaly", "admin"])
def test_no_worklist_for_another_tenant_an_auditor_or_an_analyst(api: Api, cases: tuple[Case, Case], user: str) -> None:
    centre, roma = cases
    sign_in(api, user)
    page = api.client.get("/t/sofades/work")
    assert page.status_code == 403
    assert centre.last_name not in page.text
    assert roma.last_name not in page.text
    home = api.client.get("/home").text
    assert 'href="/t/sofades/work"' not in home  # another tenant's coordinator has her own count, of her own
    assert ('href="/t/karditsa/work"' in home) == (user == "coord.kar")  # her own list (no badge: nothing due)
    assert 'class="badge"' not in home
    answer = api.client.get("/api/v1/tenants/sofades/worklists/cases", headers=api.headers(user))
    assert answer.status_code == 403
    assert centre.person not in answer.text


def test_a_coordinator_picks_a_structure_and_a_worker_and_sorts_and_pages(api: Api, cases: tuple[Case, Case]) -> None:
    centre, roma = cases
    sign_in(api, "coord.sof")
    both = html.unescape(api.client.get("/t/sofades/work", params={"list": "referrals"}).text)
    assert centre.last_name in both
    assert roma.last_name in both
    assert total(both) == 2
    only = html.unescape(
        api.client.get("/t/sofades/work", params={"list": "referrals", "structure": "roma-branch"}).text
    )
    assert roma.last_name in only
    assert centre.last_name not in only
    mine = api.client.get(
        "/api/v1/tenants/sofades/worklists/referrals",
        params={"worker": "cw.sof.roma", "limit": 1},
        headers=api.headers("coord.sof"),
    ).json()
    assert mine["total"] == 1
    assert [i["entry_id"] for i in mine["items"]] == [roma.referral]
    first = api.client.get(
        "/api/v1/tenants/sofades/worklists/referrals", params={"limit": 1}, headers=api.headers("coord.sof")
    ).json()
    second = api.client.get(
        "/api/v1/tenants/sofades/worklists/referrals",
        params={"limit": 1, "offset": 1},
        headers=api.headers("coord.sof"),
    ).json()
    assert first["total"] == second["total"] == 2
    assert {first["items"][0]["entry_id"], second["items"][0]["entry_id"]} == {centre.referral, roma.referral}


def test_the_caseload_counts_lead_to_the_lists_behind_them(api: Api, cases: tuple[Case, Case]) -> None:
    centre, _ = cases
    sign_in(api, "cw.sof.centre")
    caseload = html.unescape(api.client.get("/t/sofades/caseload").text)
    links = re.findall(r'href="(/t/sofades/work\?[^"]+)"', caseload)
    assert links, "every count links to its list"
    referrals = next(link for link in links if "list=referrals" in link)
    followed = html.unescape(api.client.get(referrals).text)
    assert f"/t/sofades/referrals/{centre.referral}" in followed
    assert total(followed) == 1
    overdue = next(link for link in links if "list=follow_ups" in link and "min_age=1" in link)
    assert f"/t/sofades/home-visits/{centre.visit}" in api.client.get(overdue).text


def test_a_bad_number_of_days_is_said_in_greek(api: Api, cases: tuple[Case, Case]) -> None:
    sign_in(api, "cw.sof.centre")
    page = api.client.get("/t/sofades/work", params={"list": "referrals", "days": "δεκαπέντε"})
    assert page.status_code == 422
    assert "ακέραιος αριθμός" in page.text
