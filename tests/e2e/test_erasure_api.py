"""An erased person's open entries, through every entry point: each step is refused with a clear error
(API, CLI, pages in Greek, import), nothing is half-written, and every read, rebuild, replay and
gateway run goes on with the figures as they were. Last, the same over random histories (hypothesis)."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import select
from typer.testing import CliRunner

from domain.identifiers import make_amka
from gateways.cli import app as cli
from gateways.http.app import create_app
from gateways.kafka.gateway import DirectSink, Gateway
from infra.bootstrap import bootstrap
from infra.settings import Settings
from infra.vault import SqlVault, subject_keys
from projections.queries import PROGRAMMES, esf_indicators, indicators
from projections.replay import replay
from services.casework import read_log
from services.importing import LAYOUTS, Importer, Problem
from tests.conftest import TEST_MASTER_KEY, Clock
from tests.e2e.conftest import PASSWORD, USERS, Api, intake_body
from tests.e2e.test_web import sign_in
from tests.e2e.test_web_forms import form, post

TENANT = "/api/v1/tenants/sofades"
YEAR = (date(2024, 1, 1), date(2024, 12, 31))
ENTRY_DAY, STEP_DAY = "2024-05-02", "2024-06-01"


def figures(api: Api) -> list[Any]:
    """The tenant's indicators and ESF indicators of 2024, from its live views."""
    views = api.kentra.views("sofades")
    views.catch_up()
    with views.engine.connect() as conn:
        return [indicators(conn, *YEAR, None)] + [esf_indicators(conn, p, *YEAR, None) for p in PROGRAMMES]


def regional(api: Api) -> dict[str, Any]:
    """The gateway run in process (as without Kafka), and the Region's copy of the tenant's indicators."""
    Gateway(api.kentra, DirectSink(api.kentra)).catch_up("sofades")
    with api.kentra.regional("sofades").engine.connect() as conn:
        return indicators(conn, *YEAR, None)


def register(api: Api, n: int, **special: str) -> str:
    answers = {"disability": "no", "minority": "no", "other_disadvantage": "no", **special}
    body = intake_body(
        occurred_on="2024-05-01",
        personal__amka=make_amka(date(1970, 1, 1), n),
        personal__last_name=f"Αναστασίου{n}",
        **{f"special__{k}": v for k, v in answers.items()},
    )
    response = api.post("coord.sof", "/beneficiaries", body)
    assert response.status_code == 201, response.text
    return str(response.json()["entry_id"])


OPENS: dict[str, tuple[str, dict[str, Any]]] = {
    "request": ("/requests", {"category": "gmi", "agency": "opeka", "notes": "Αίτηση ΕΕΕ"}),
    "visit": ("/home-visits", {"purpose": "living_conditions", "follow_up_due": "2024-06-02", "findings": "Υγρασία"}),
    "referral": ("/referrals", {"destination": "opeka", "notes": "Επείγον"}),
    "session": ("/activities", {"kind": "counselling_session"}),
}


def open_entry(api: Api, kind: str, people: list[str]) -> Any:
    path, fields = OPENS[kind]
    who = {"beneficiary_ids": people} if kind == "session" else {"beneficiary_id": people[0]}
    return api.post("coord.sof", path, {"structure": "centre", "occurred_on": ENTRY_DAY, **who, **fields})


NOTE = {"notes": "Σημείωση για το πρόσωπο"}
STEPS: dict[str, list[tuple[str, dict[str, Any]]]] = {  # every step each kind of entry takes, as the API spells it
    "request": [
        ("/agency-status", {"agency": "opeka", "reference": "ΟΠΕΚΑ/2024/77", "status": "submitted"}),
        ("/progress", {}),
        ("/resolution", NOTE),
        ("/closure", NOTE),
        ("/withdrawal", {}),
    ],
    "visit": [("/follow-up", NOTE)],
    "referral": [("/acceptance", {}), ("/refusal", NOTE), ("/outcome", {"outcome": "served", **NOTE})],
    "session": [],
}
PATHS = {"request": "/requests/", "visit": "/home-visits/", "referral": "/referrals/", "session": "/activities/"}
CORRECTIONS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "request": [("amend", {"changes": {"category": "housing_benefit"}, "reason_note": "Λάθος κατηγορία"})],
    "visit": [("amend", {"changes": {"purpose": "residence_confirmation"}})],
    "referral": [("amend", {"changes": {"destination": "dypa"}})],
    "session": [("amend", {"changes": {"participants": 4}})],
    "beneficiary": [
        ("amend", {"changes": {}, "special": {"disability": "yes"}}),
        ("amend", {"changes": {}, "personal": {"phone": "6900000000"}}),
    ],
}


def step(api: Api, kind: str, entry: str, which: int) -> Any:
    """The ``which``-th step or correction an entry of this kind takes (modulo how many there are)."""
    options = [("step", s) for s in STEPS.get(kind, [])] + [("fix", c) for c in CORRECTIONS[kind]] + [("void", None)]
    how, what = options[which % len(options)]
    if how == "step":
        path, fields = what  # type: ignore[misc]
        return api.post("coord.sof", f"{PATHS[kind]}{entry}{path}", {"occurred_on": STEP_DAY, **fields})
    if how == "fix":
        action, fields = what  # type: ignore[misc]
        return api.client.post(
            f"{TENANT}/corrections",
            params={"action": action},
            json={"entry_id": entry, "reason": "typing_error", **fields},
            headers=api.headers("coord.sof"),
        )
    return api.client.post(
        f"{TENANT}/corrections",
        params={"action": "void"},
        json={"entry_id": entry, "reason": "duplicate_entry", "reason_note": "Διπλή"},
        headers=api.headers("coord.sof"),
    )


def every_step(api: Api, kind: str, entry: str) -> list[Any]:
    count = len(STEPS.get(kind, [])) + len(CORRECTIONS[kind]) + 1
    return [step(api, kind, entry, which) for which in range(count)]


def erase(api: Api, person: str) -> Any:
    return api.client.post(
        f"{TENANT}/beneficiaries/{person}/erasure",
        json={"reason": "ζήτησε διαγραφή", "legal_ground": "ΓΚΠΔ άρθρο 17(1)(α)"},
        headers=api.headers("coord.sof"),
    )


def reads(api: Api, person: str, entries: dict[str, str]) -> list[Any]:
    """Every read that concerns the person: their record, their entries, lists, figures, audit, Region."""
    get = api.client.get
    coord, auditor, analyst = (api.headers(u) for u in ("coord.sof", "auditor.sof", "analyst.thessaly"))
    year = {"from": "2024-01-01", "to": "2024-12-31"}
    answers = [
        get(f"{TENANT}/beneficiaries/{person}", headers=coord),
        get(f"{TENANT}/beneficiaries/{person}/subject-access", headers=coord),
        get(f"{TENANT}/beneficiaries/{person}/erasure-date", headers=coord),
        *(get(f"{TENANT}{PATHS[kind]}{entry}", headers=coord) for kind, entry in entries.items()),
        *(get(f"{TENANT}{path}", headers=coord) for path in ("/requests", "/referrals", "/home-visits", "/activities")),
        get(f"{TENANT}/indicators", params=year, headers=coord),
        get(f"{TENANT}/esf-indicators", params={**year, "programme": "2021-2027"}, headers=coord),
        get(f"{TENANT}/caseload", headers=coord),
        get(f"{TENANT}/audit/indicators", params={**year, "as_of": "2024-06-28"}, headers=auditor),
        get(f"{TENANT}/audit/drilldown", params={**year, "cell": "requests/total/total"}, headers=auditor),
        get("/api/v1/regions/thessaly/indicators", params=year, headers=analyst),
    ]
    return answers


def keys_of(api: Api, people: list[str]) -> list[Any]:
    vault = api.kentra.casework("sofades").vault
    assert isinstance(vault, SqlVault)
    wanted = [UUID(p) for p in people]
    with vault._engine.connect() as conn:  # the test looks for a key made after the erasure
        return list(conn.execute(select(subject_keys.c.subject_id).where(subject_keys.c.subject_id.in_(wanted))))


def head(api: Api) -> int:
    return api.kentra.casework("sofades").recorder.max_notification_id() or 0


# ---------------------------------------------------------------------------------------- each entry point
def test_every_step_on_an_erased_persons_entries_is_refused_over_the_api_and_every_read_still_answers(
    api: Api,
) -> None:
    her, other = register(api, 1, disability="yes"), register(api, 2)
    entries = {kind: open_entry(api, kind, [her]).json()["entry_id"] for kind in OPENS}
    meeting = open_entry(api, "session", [her, other]).json()["entry_id"]
    before, region = figures(api), regional(api)
    assert erase(api, her).status_code == 200
    recorded = head(api)

    for kind, entry in {**entries, "beneficiary": her}.items():
        for answer in every_step(api, kind, entry):
            assert answer.status_code == 409, (kind, answer.text)
            assert answer.json()["error"] == "BeneficiaryErasedError"
            assert "was erased: nothing more is recorded about them" in answer.json()["detail"]
    assert head(api) == recorded  # nothing half-written: not even a command record
    assert keys_of(api, [her]) == []

    for answer in reads(api, her, entries):
        assert answer.status_code == 200, (answer.url, answer.text)
    assert (
        api.client.get(f"{TENANT}/beneficiaries/{her}", headers=api.headers("coord.sof")).json()["state"]["sealed"]
        == "[erased]"
    )
    assert figures(api) == before
    assert regional(api) == region
    # A meeting with someone else is sealed under its own key and stays correctable.
    assert step(api, "session", meeting, 0).status_code == 201


def test_the_command_line_refuses_a_step_on_an_erased_persons_request(api: Api, tmp_path: Path) -> None:
    her = register(api, 3)
    request = open_entry(api, "request", [her]).json()["entry_id"]
    assert erase(api, her).status_code == 200
    recorded = head(api)
    document = {
        "command": "resolve_request",
        "command_id": "cli-erased-0001",
        "recorded_by": "coord.sof",
        "request_id": request,
        "occurred_on": STEP_DAY,
        "notes": "Εγκρίθηκε",
    }
    env = {
        "KENTRA_DATA_DIR": str(api.kentra.settings.data_dir),
        "KENTRA_MASTER_KEY": TEST_MASTER_KEY,
        "KENTRA_DATABASE_URL": None,
        "KENTRA_TENANTS_FILE": None,
    }
    result = CliRunner().invoke(cli, ["record", "--tenant", "sofades"], input=json.dumps(document), env=env)
    assert result.exit_code == 1
    assert f"beneficiary {her} was erased: nothing more is recorded about them" in result.stdout + result.stderr
    assert head(api) == recorded


def test_the_pages_show_an_erased_person_and_refuse_a_new_entry_for_them_in_greek(api: Api) -> None:
    her = register(api, 4)
    assert erase(api, her).status_code == 200
    recorded = head(api)
    sign_in(api, "coord.sof")
    page = api.client.get(f"/t/sofades/people/{her}")
    assert page.status_code == 200
    key = form(api, "/t/sofades/record/request", beneficiary=her)
    refused = post(
        api,
        "/t/sofades/record/request",
        {"command_id": key, "beneficiary_id": her, "structure": "centre", "occurred_on": ENTRY_DAY, "category": "gmi"},
    )
    assert refused.status_code == 422
    assert "Τα προσωπικά δεδομένα αυτού του ωφελούμενου έχουν διαγραφεί" in refused.text
    assert head(api) == recorded + 1  # only the page's look at her, which is logged


def test_an_import_refuses_a_correction_of_an_erased_persons_record_and_their_rows(api: Api) -> None:
    casework = api.kentra.casework("sofades")
    problems: list[Problem] = []
    amka = make_amka(date(1972, 2, 2), 5)
    person = {
        "ref": "B-1",
        "occurred_on": "2024-03-04",
        "structure": "centre",
        "first_name": "Σοφία",
        "last_name": "Ζαχαροπούλου",
        "birth_date": "1972-02-02",
        "amka": amka,
        "gender": "female",
        "employment_status": "employed",
        "isced_level": "3",
        "household_situation": "couple_without_children",
        "residence_area": "rural",
        "foreign_background": "όχι",
        "third_country_national": "όχι",
        "homeless": "όχι",
        "disability": "no",
        "minority": "no",
        "other_disadvantage": "no",
    }
    request = {"ref": "R-1", "beneficiary_amka": amka, "category": "gmi", "structure": "centre"}

    def run(kind: str, row: dict[str, str]) -> Any:
        return Importer(casework, on_problem=problems.append).run(
            LAYOUTS[kind], [(2, row)], source=f"{kind}.csv", checksum="0" * 64, dry_run=False
        )

    assert run("beneficiaries", person).recorded == 1
    assert run("requests", {**request, "occurred_on": "2024-04-01"}).recorded == 1
    her = casework.find_by_amka(amka)
    assert her is not None
    casework.erase(her, reason="ζήτησε", legal_ground="ΓΚΠΔ 17", erased_by="coord.sof")
    recorded = head(api)
    problems.clear()
    corrected = run("beneficiaries", {**person, "occurred_on": "2024-03-05"})
    assert (corrected.corrected, corrected.rejected) == (0, 1)
    assert problems[-1].el == "τα στοιχεία του ωφελούμενου έχουν διαγραφεί"
    again = run("requests", {**request, "occurred_on": "2024-04-02"})
    assert (again.recorded, again.rejected) == (0, 1)  # erasure removed the ΑΜΚΑ's link: she is not found
    assert "δεν βρέθηκε ωφελούμενος" in problems[-1].el
    assert head(api) == recorded


# ---------------------------------------------------------------------------------------- random histories
@dataclass
class History:
    """What a generated history has made so far, and what it expects."""

    api: Api
    people: list[str] = field(default_factory=list)
    erased: set[str] = field(default_factory=set)
    entries: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (kind, id, people)

    def about_an_erased_person(self, kind: str, entry: str, people: list[str]) -> bool:
        if kind == "beneficiary":
            return entry in self.erased
        return len(people) == 1 and people[0] in self.erased  # a meeting of several has a key of its own


def settings_for(data: Path) -> Settings:
    return Settings(data_dir=data, master_key=SecretStr(TEST_MASTER_KEY))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A provisioned platform with the three users, copied for each example (provisioning and password
    hashing would otherwise take most of each example's time)."""
    data = tmp_path_factory.mktemp("erasure-template")
    kentra = bootstrap(settings_for(data), today=Clock())
    kentra.provision_platform()
    kentra.provision("sofades")
    for name in ("coord.sof", "auditor.sof", "analyst.thessaly"):
        kentra.accounts.add(USERS[name], PASSWORD)
    kentra.close()
    return data


@contextmanager
def fresh_api(template: Path) -> Iterator[Api]:
    with tempfile.TemporaryDirectory(prefix="kentra-erasure-") as data:
        shutil.copytree(template, data, dirs_exist_ok=True)
        kentra = bootstrap(settings_for(Path(data)), today=Clock())
        api = Api(kentra, TestClient(create_app(kentra), raise_server_exceptions=False))
        for name in ("coord.sof", "auditor.sof", "analyst.thessaly"):
            api.tokens[name] = kentra.sessions.open(USERS[name])  # signing in is tested elsewhere
        try:
            with api.client:
                yield api
        finally:
            kentra.close()


OPERATIONS = st.one_of(
    st.tuples(st.just("register"), st.sampled_from(["no", "yes", "refused"])),
    st.tuples(
        st.just("open"), st.sampled_from(["request", "visit", "referral", "session", "meeting"]), st.integers(0, 99)
    ),
    st.tuples(st.just("step"), st.integers(0, 99), st.integers(0, 9)),
    st.tuples(st.just("erase"), st.integers(0, 99)),
    st.tuples(st.just("read"), st.integers(0, 99)),
    st.tuples(st.sampled_from(["rebuild", "replay", "gateway"])),
)


def play(history: History, operation: tuple[Any, ...]) -> None:
    api = history.api
    name = operation[0]
    if name == "register":
        history.people.append(register(api, len(history.people) + 10, disability=operation[1]))
        history.entries.append(("beneficiary", history.people[-1], [history.people[-1]]))
    elif name == "open" and history.people:
        kind, n = operation[1], operation[2]
        people = [history.people[n % len(history.people)]]
        if kind == "meeting":
            people = list(dict.fromkeys([*people, history.people[(n + 1) % len(history.people)]]))
        answer = open_entry(api, "session" if kind == "meeting" else kind, people)
        if any(p in history.erased for p in people):
            assert (answer.status_code, answer.json()["error"]) == (409, "BeneficiaryErasedError"), answer.text
        elif answer.status_code == 201:
            history.entries.append(("session" if kind == "meeting" else kind, answer.json()["entry_id"], people))
        else:  # a person voided by an earlier correction
            assert (answer.status_code, answer.json()["error"]) == (409, "EntryVoidedError"), answer.text
    elif name == "step" and history.entries:
        kind, entry, people = history.entries[operation[1] % len(history.entries)]
        answer = step(api, kind, entry, operation[2])
        assert answer.status_code < 500, answer.text
        if history.about_an_erased_person(kind, entry, people):
            assert answer.status_code == 409, answer.text
            assert answer.json()["error"] == "BeneficiaryErasedError"
    elif name == "erase" and history.people:
        person = history.people[operation[1] % len(history.people)]
        before, region = figures(api), regional(api)
        assert erase(api, person).status_code == 200
        history.erased.add(person)
        assert figures(api) == before  # erasure changes no figure, here or in the Region
        assert regional(api) == region
    elif name == "read" and history.people:
        person = history.people[operation[1] % len(history.people)]
        mine = {kind: entry for kind, entry, people in history.entries if people == [person] and kind != "beneficiary"}
        for answer in reads(api, person, mine):
            assert answer.status_code < 500, (answer.url, answer.text)
    elif name == "rebuild":
        before = figures(api)
        api.kentra.views("sofades").rebuild()
        assert figures(api) == before
    elif name == "replay":
        casework = api.kentra.casework("sofades")
        replayed = replay(casework, casework.vault, date(2030, 1, 1))
        with replayed.now.connect() as conn:
            live = figures(api)
            assert [indicators(conn, *YEAR, None)] + [esf_indicators(conn, p, *YEAR, None) for p in PROGRAMMES] == live
        replayed.close()
    elif name == "gateway":
        assert regional(api) == figures(api)[0]  # every event published, the Region's copy equal to the tenant's


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OPERATIONS, min_size=4, max_size=16))
def test_erasures_among_random_steps_reads_rebuilds_replays_and_gateway_runs_never_fail_nor_move_a_figure(
    template: Path, operations: list[tuple[Any, ...]]
) -> None:
    with fresh_api(template) as api:
        history = History(api)
        history.people.append(register(api, 1, disability="yes"))  # someone to act on from the start
        history.entries.append(("beneficiary", history.people[0], [history.people[0]]))
        for operation in operations:
            play(history, operation)
        for kind, entry, people in history.entries:  # at the end, every step on an erased person's entry
            if history.about_an_erased_person(kind, entry, people):
                assert {answer.status_code for answer in every_step(api, kind, entry)} == {409}
        assert keys_of(api, sorted(history.erased)) == []
        before = figures(api)
        api.kentra.views("sofades").rebuild()
        assert figures(api) == before
        assert regional(api) == before[0]
        assert [type(e).__qualname__ for e in read_log(api.kentra.casework("sofades"))].count(
            "Beneficiary.Erased"
        ) == len(history.erased)
