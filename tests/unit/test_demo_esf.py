"""The demo's ESF history as planned (demo/esf.py, demo/esf_day.py): the history untouched, each
delivery cut where its period's records are in, exits after the last contact, the correction after
every delivery, and the returning people's follow-ups due on the demo's day."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from demo.cast import CASEWORKER, DAY_TENANT, USERS_BY_NAME
from demo.esf import CONTACTS, RESTATED, SUBMISSIONS, DemoEsf, Segment, participants
from demo.esf_day import RETURNED_LEFT_DAYS_AGO, returning
from demo.history import DemoHistory
from domain.esf import follow_up_due
from domain.tenants import TenantRegistry
from services import commands as c
from services.access import may_assign_case, may_record_casework

TODAY = date(2026, 12, 1)
ESF_KINDS = (c.ChangeSituation, c.LeaveOperation, c.RecordLongTermResult, c.CorrectOperationRecord)


@pytest.fixture(scope="module")
def histories(real_registry: TenantRegistry) -> dict[str, list[c.AnyCommand]]:
    wanted = (DAY_TENANT, "pylaia-chortiatis")
    return {tid: list(DemoHistory(real_registry.tenant(tid), TODAY).commands()) for tid in wanted}


@pytest.fixture(scope="module")
def plans(real_registry: TenantRegistry, histories: dict[str, list[c.AnyCommand]]) -> dict[str, list[Segment]]:
    return {tid: DemoEsf(real_registry.tenant(tid), TODAY, h).segments() for tid, h in histories.items()}


def is_esf(cmd: c.AnyCommand) -> bool:
    return isinstance(cmd, ESF_KINDS) or cmd.command_id.startswith("demo-esf-")


def test_the_history_is_recorded_whole_and_in_its_order_with_the_esf_records_between(
    histories: dict[str, list[c.AnyCommand]], plans: dict[str, list[Segment]]
) -> None:
    for tid, segments in plans.items():
        kept = [cmd for segment in segments for cmd in segment.commands if not is_esf(cmd)]
        assert kept == histories[tid], tid
        assert any(is_esf(cmd) for segment in segments for cmd in segment.commands), tid


def test_each_delivery_comes_after_every_entry_of_its_period_and_before_any_later_one(
    plans: dict[str, list[Segment]],
) -> None:
    for tid, segments in plans.items():
        delivered = [s.submission for s in segments if s.submission is not None]
        assert delivered == sorted(SUBMISSIONS[tid], key=lambda s: s.end)
        for i, segment in enumerate(segments[:-1]):
            assert segment.submission is not None
            end = segment.submission.end
            before = [cmd for s in segments[: i + 1] for cmd in s.commands]
            after = [cmd for s in segments[i + 1 :] for cmd in s.commands]
            dated = (c.RegisterBeneficiary, *CONTACTS, c.LeaveOperation, c.ChangeSituation, c.RecordLongTermResult)
            assert all(cmd.occurred_on <= end for cmd in before if isinstance(cmd, dated)), (tid, end)
            assert all(cmd.occurred_on > end for cmd in after if isinstance(cmd, dated)), (tid, end)
            assert segment.submission.submitted_on > end


def test_a_participant_leaves_after_the_last_contact_and_is_followed_up_six_months_later(
    real_registry: TenantRegistry, histories: dict[str, list[c.AnyCommand]], plans: dict[str, list[Segment]]
) -> None:
    for tid, segments in plans.items():
        tenant = real_registry.tenant(tid)
        last = {p.id: p.last for p in participants(tenant, histories[tid])}
        order = [cmd for segment in segments for cmd in segment.commands]
        left: dict[UUID, date] = {}
        for cmd in order:
            if isinstance(cmd, c.LeaveOperation):
                assert cmd.occurred_on > last[cmd.beneficiary_id]
                assert cmd.beneficiary_id not in left
                operation = tenant.operation(cmd.operation or "")
                assert (operation.operations_to or date.max) >= cmd.occurred_on
                left[cmd.beneficiary_id] = cmd.occurred_on
            if isinstance(cmd, c.RecordLongTermResult):
                assert cmd.occurred_on >= follow_up_due(left[cmd.beneficiary_id])  # left earlier in the order
        statuses = {tuple(cmd.status.model_dump().values()) for cmd in order if isinstance(cmd, c.LeaveOperation)}
        assert len(statuses) >= 5, tid  # job searching, education, a qualification, employed, none
        due = [b for b, day in left.items() if follow_up_due(day) <= TODAY]
        followed = {cmd.beneficiary_id for cmd in order if isinstance(cmd, c.RecordLongTermResult)}
        assert followed, tid  # some followed up
        assert set(due) - followed, tid  # some still due


def test_the_correction_comes_after_every_delivery_and_is_of_the_restated_period_only(
    real_registry: TenantRegistry, histories: dict[str, list[c.AnyCommand]], plans: dict[str, list[Segment]]
) -> None:
    segments = plans[RESTATED.tenant]
    people = {p.id: p for p in participants(real_registry.tenant(RESTATED.tenant), histories[RESTATED.tenant])}
    corrections = [cmd for cmd in segments[-1].commands if isinstance(cmd, (c.AmendEntry, c.CorrectOperationRecord))]
    assert {type(cmd).__name__ for cmd in corrections} == {"AmendEntry", "CorrectOperationRecord"}
    assert segments[-1].submission is None
    for cmd in corrections:
        person = people[cmd.entry_id if isinstance(cmd, c.AmendEntry) else cmd.beneficiary_id]
        assert RESTATED.start <= person.intake
        assert person.last <= RESTATED.end
    others = [cmd for s in plans["pylaia-chortiatis"] for cmd in s.commands]
    assert not any(isinstance(cmd, (c.AmendEntry, c.CorrectOperationRecord)) for cmd in others)


def test_the_esf_history_is_the_same_whatever_day_the_demo_runs(
    real_registry: TenantRegistry, histories: dict[str, list[c.AnyCommand]]
) -> None:
    """A run on a day when some follow-ups are not yet due records fewer of them, and the same rest."""
    tenant = real_registry.tenant(DAY_TENANT)
    first = DemoEsf(tenant, TODAY, histories[DAY_TENANT]).records()
    early = DemoEsf(tenant, date(2023, 6, 1), histories[DAY_TENANT]).records()
    assert [r for r in early if not isinstance(r, c.RecordLongTermResult)] == [
        r for r in first if not isinstance(r, c.RecordLongTermResult)
    ]
    assert len(early) < len(first)
    assert set(map(str, early)) <= set(map(str, first))


def test_the_returning_people_enter_the_second_operation_and_some_follow_ups_are_due_on_the_day(
    real_registry: TenantRegistry, histories: dict[str, list[c.AnyCommand]]
) -> None:
    tenant = real_registry.tenant(DAY_TENANT)
    commands = returning(TODAY, tenant, histories[DAY_TENANT])
    assert commands == returning(TODAY, tenant, histories[DAY_TENANT])
    dated = [cmd.occurred_on for cmd in commands if hasattr(cmd, "occurred_on")]
    assert min(dated) >= date(2024, 1, 1)
    assert max(dated) <= TODAY
    left = {cmd.beneficiary_id: cmd for cmd in commands if isinstance(cmd, c.LeaveOperation)}
    assert len(left) == len(RETURNED_LEFT_DAYS_AGO)
    assert {cmd.operation for cmd in left.values()} == {"2021-2027"}
    followed = {cmd.beneficiary_id for cmd in commands if isinstance(cmd, c.RecordLongTermResult)}
    due = {b for b, cmd in left.items() if follow_up_due(cmd.occurred_on) <= TODAY} - followed
    assert followed
    assert len(due) >= 3
    given = {cmd.beneficiary_id for cmd in commands if isinstance(cmd, c.AssignCase) and cmd.worker == CASEWORKER}
    assert due <= given
    for cmd in commands:  # each one its recorder may record, as the pages would take it
        user = USERS_BY_NAME[cmd.recorded_by]
        if isinstance(cmd, c.AssignCase):
            may_assign_case(user, DAY_TENANT, "kl.papadaki")
        else:
            may_record_casework(user, DAY_TENANT, "centre")
