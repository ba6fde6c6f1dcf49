"""The demo's own recent day at Sofades (demo/today.py), as `kentra demo --no-serve` leaves it.

Read from a copy of the session's demo data (tests/integration/conftest.py builds it once), through
the use cases the pages call, as the demo users who sign in to them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from pydantic import SecretStr

from demo.cast import CASEWORKER, CASEWORKER2, COORDINATOR, DAY_TENANT, MEDIATOR, P1, USERS_BY_NAME
from demo.plan import plan_for
from demo.today import DemoDay, entry_of, first_recorded_on, record_day
from domain.errors import EntryNotFoundError
from infra.bootstrap import Kentra, bootstrap
from infra.settings import Settings
from services import commands as c
from services.access import may_assign_case, may_record_casework, sees_structure
from services.casework import Casework
from services.lists import ListQuery, list_entries
from services.people import person, show, visible_entry
from services.reporting import indicators
from tests.conftest import Clock
from tests.integration.demo import demo_platform

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(demo_data: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kentra]:
    kentra = demo_platform(demo_data[0], tmp_path_factory.mktemp("demo-day") / "data")
    yield kentra
    kentra.close()


@pytest.fixture(scope="module")
def casework(demo: Kentra) -> Casework:
    return demo.casework(DAY_TENANT)


@pytest.fixture(scope="module")
def day(casework: Casework) -> date:
    """The day the demo's day is dated from (the day `kentra demo` first recorded it)."""
    recorded = first_recorded_on(casework, casework.today())
    assert recorded <= casework.today(), "the day was recorded by the session's `kentra demo`"
    return recorded


def state(casework: Casework, name: str, *, as_user: str = CASEWORKER, kind: str = "request") -> dict[str, Any]:
    return show(casework, USERS_BY_NAME[as_user], entry_of(name), kind, "test").state


def timeline(casework: Casework, name: str, *, as_user: str = CASEWORKER, kind: str = "request") -> list[Any]:
    return show(casework, USERS_BY_NAME[as_user], entry_of(name), kind, "test").history


def listed(demo: Kentra, user: str, kind: str, *, status: str | None = None) -> set[UUID]:
    query = ListQuery(
        limit=500, offset=0, status=status, structure=None, beneficiary_id=None, occurred_from=None, occurred_to=None
    )
    page = list_entries(demo.views(DAY_TENANT), USERS_BY_NAME[user], kind, None, query)
    return {row["entry_id"] for row in page.rows if row["recorded_by"] in {CASEWORKER, CASEWORKER2, MEDIATOR}}


def test_the_caseworkers_requests_are_open_and_one_has_waited_at_opeka_for_more_than_30_days(
    demo: Kentra, casework: Casework, day: date
) -> None:
    pending = state(casework, "p1-disability")
    assert pending["status"] == "opened"
    assert (pending["agency"], pending["agency_status"]) == ("opeka", "submitted")
    submitted = [e for e in timeline(casework, "p1-disability") if e["event"] == "CaseRequest.AgencyStatusRecorded"]
    assert [date.fromisoformat(e["attributes"]["occurred_on"]) for e in submitted] == [day - timedelta(days=40)]
    assert pending["agency_reference"].startswith("ΟΠΕΚΑ/")
    open_ones = listed(demo, CASEWORKER, "request", status="opened") | listed(
        demo, CASEWORKER, "request", status="in_progress"
    )
    assert {
        entry_of(n) for n in ("p1-disability", "p2-counselling", "p3-housing", "p4-elderly", "p6-food")
    } <= open_ones


def test_a_referral_of_hers_has_awaited_an_answer_for_20_days(casework: Casework, day: date) -> None:
    referral = state(casework, "p2-referral", kind="referral")
    assert referral["status"] == "sent"
    assert date.fromisoformat(referral["occurred_on"]) == day - timedelta(days=20)
    assert [e["event"] for e in timeline(casework, "p2-referral", kind="referral")] == ["Referral.Sent"]


def test_one_follow_up_of_hers_is_overdue_and_one_is_due_on_the_demos_day(casework: Casework, day: date) -> None:
    overdue = state(casework, "p1-visit", kind="home_visit")
    due = state(casework, "p3-visit", kind="home_visit")
    assert date.fromisoformat(overdue["follow_up_due"]) < day
    assert date.fromisoformat(due["follow_up_due"]) == day
    assert overdue["follow_up_done_on"] is None
    assert due["follow_up_done_on"] is None


def test_the_prosecutor_ordered_investigation_names_its_order_and_a_deadline_ahead(
    casework: Casework, day: date
) -> None:
    ordered = state(casework, "p4-investigation", kind="home_visit")
    assert ordered["purpose"] == "prosecutor_ordered"
    assert ordered["sealed"]["order_reference"]  # sealed with the findings: it names her file at the prosecutor's
    assert date.fromisoformat(ordered["order_deadline"]) > day


def test_the_reopened_request_keeps_its_resolution_and_shows_the_reopening_with_its_reason(
    casework: Casework, day: date
) -> None:
    reopened = state(casework, "p3-housing")
    assert reopened["status"] == "in_progress"
    events = timeline(casework, "p3-housing")
    steps = [e["event"] for e in events]
    assert steps[-2:] == ["CaseRequest.Closed", "CaseRequest.Reopened"]
    reopening = events[-1]["attributes"]
    assert date.fromisoformat(reopening["occurred_on"]) == day - timedelta(days=3)
    assert reopening["sealed_reason"]["reason"]  # staff read why it is open again


def test_each_correction_keeps_its_reason_a_wrong_date_a_change_of_situation_and_a_duplicate(
    casework: Casework, day: date
) -> None:
    amended = timeline(casework, "p4-elderly")[-1]
    assert (amended["event"], amended["attributes"]["reason"]) == ("CaseEntry.Amended", "wrong_date")
    assert state(casework, "p4-elderly")["occurred_on"] == (day - timedelta(days=35)).isoformat()

    moved = timeline(casework, "p3", kind="beneficiary")[-1]
    assert (moved["event"], moved["attributes"]["reason"]) == ("CaseEntry.Amended", "change_of_situation")
    address = person(casework, USERS_BY_NAME[CASEWORKER], entry_of("p3"))["address"]
    registered = timeline(casework, "p3", kind="beneficiary")[0]["attributes"]["sealed"]["personal"]["address"]
    assert address != registered

    voided = state(casework, "p5-birth-again")
    assert voided["voided"] is True
    void = timeline(casework, "p5-birth-again")[-1]
    assert (void["event"], void["attributes"]["reason"]) == ("CaseEntry.Voided", "duplicate_entry")
    assert state(casework, "p5-birth")["voided"] is False  # the one kept


def test_cases_given_to_her_are_hers_and_the_one_sent_to_the_roma_branch_is_the_mediators_only(
    casework: Casework,
) -> None:
    for name in ("p1", "p6", "p8"):
        assert casework.entry(entry_of(name)).responsible == CASEWORKER, name  # type: ignore[attr-defined]
    sent = casework.entry(entry_of("p7"))
    assert (sent.responsible, sent.structure) == (MEDIATOR, "roma-branch")  # type: ignore[attr-defined]
    assert visible_entry(casework, USERS_BY_NAME[MEDIATOR], entry_of("p7")).id == entry_of("p7")
    with pytest.raises(EntryNotFoundError):
        visible_entry(casework, USERS_BY_NAME[CASEWORKER], entry_of("p7"))
    given = [e for e in timeline(casework, "p6", kind="beneficiary") if e["event"] == "Beneficiary.CaseAssigned"]
    assert [(e["attributes"]["worker"], e["attributes"]["recorded_by"]) for e in given] == [(CASEWORKER, CASEWORKER2)]
    assert given[0]["attributes"]["sealed_reason"]["reason"]


def test_the_centres_caseworker_lists_none_of_the_roma_branchs_day_and_the_mediator_lists_it(demo: Kentra) -> None:
    roma = {entry_of(n) for n in ("r1-food", "r2-electricity", "p7-mediation")}
    assert roma <= listed(demo, MEDIATOR, "request")
    assert not roma & listed(demo, CASEWORKER, "request")
    assert entry_of("r1-referral") in listed(demo, MEDIATOR, "referral", status="sent")
    assert entry_of("r1-referral") not in listed(demo, CASEWORKER, "referral")
    assert entry_of("p2-referral") not in listed(demo, MEDIATOR, "referral")
    assert entry_of("r1-visit") in listed(demo, MEDIATOR, "home_visit")


def test_the_published_figures_come_back_exactly_and_nothing_of_the_day_is_dated_in_the_history(
    demo: Kentra, casework: Casework, day: date
) -> None:
    tenant = demo.registry.tenant(DAY_TENANT)
    months = [f for f in tenant.reported if f.metric == "beneficiaries_per_month"]
    assert months
    figures = indicators(demo.views(DAY_TENANT), date(2022, 1, 1), date(2022, 12, 31), None)
    served = {m["month"]: (m["total"], m["female"], m["male"]) for m in figures["beneficiaries_served"]["per_month"]}
    assert {f.period: served[f.period] for f in months} == {f.period: (f.value, f.female, f.male) for f in months}
    history_ends = plan_for(tenant, day).end
    dated = [getattr(cmd, "occurred_on", None) for cmd in DemoDay(day).commands()]
    assert min(d for d in dated if d is not None) > history_ends


def test_kentra_demo_tells_the_visitor_what_to_try_and_prints_the_published_figures_unchanged(
    demo: Kentra, demo_data: tuple[Path, Path]
) -> None:
    printed = (demo_data[0].parent / "demo-output.txt").read_text(encoding="utf-8")
    assert "demo.caseworker" in printed
    assert "«Οι εργασίες μου»" in printed
    for figure in [f for f in demo.registry.tenant(DAY_TENANT).reported if f.metric == "beneficiaries_per_month"]:
        row = next(line for line in printed.splitlines() if line.strip("│ ").startswith(figure.period))
        assert row.count(f"{figure.value} ({figure.female}/{figure.male})") == 2  # published, and Kentra's count


def test_a_second_run_on_a_later_day_records_nothing_new(
    demo_data: tuple[Path, Path], tmp_path: Path, day: date
) -> None:
    shutil.copytree(demo_data[0], tmp_path / "data")
    key = (tmp_path / "data" / "keys" / "master.key").read_bytes().strip().decode()
    later = bootstrap(
        Settings(data_dir=tmp_path / "data", master_key=SecretStr(key)), today=Clock(day + timedelta(days=9))
    )
    try:
        casework = later.casework(DAY_TENANT)
        before = casework.recorder.max_notification_id()
        outcomes = record_day(later)
        assert outcomes
        assert all(outcome.replayed for outcome in outcomes)
        assert casework.recorder.max_notification_id() == before
    finally:
        later.close()


def test_every_command_of_the_day_is_one_its_recorder_may_record() -> None:
    """The day goes straight to the use case; each command must still be one the pages would take from
    that user: her structure, and a case handed over only by its worker or the coordinator."""
    responsible: dict[UUID, str] = {}
    structure_of: dict[UUID, str] = {}
    for cmd in DemoDay(date(2026, 6, 1)).commands():
        user = USERS_BY_NAME[cmd.recorded_by]
        if isinstance(cmd, c.RegisterBeneficiary):
            created = entry_of(cmd.command_id.removeprefix(f"demo-day-{DAY_TENANT}-"))
            responsible[created], structure_of[created] = cmd.recorded_by, cmd.structure
        if isinstance(cmd, c.AssignCase):
            assert sees_structure(user, structure_of[cmd.beneficiary_id])
            may_assign_case(user, DAY_TENANT, responsible[cmd.beneficiary_id])
            responsible[cmd.beneficiary_id] = cmd.worker
            structure_of[cmd.beneficiary_id] = cmd.structure or USERS_BY_NAME[cmd.worker].structure or ""
            continue
        subject = getattr(cmd, "beneficiary_id", None)
        structure = getattr(cmd, "structure", None) or (structure_of.get(subject) if subject else None)
        if structure is not None:
            may_record_casework(user, DAY_TENANT, structure)
    assert responsible[entry_of(P1.key)] == CASEWORKER
    assert COORDINATOR in {cmd.recorded_by for cmd in DemoDay(date(2026, 6, 1)).commands()}
