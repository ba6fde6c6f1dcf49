"""The entry's timeline as its page shows it, on the in-memory store: a correction's old values are
the entry's just before it, sealed values open only when revealed, special-category answers never."""

from __future__ import annotations

from domain.catalogue import AgencyApplicationStatus
from services.access import Principal, Role
from services.timeline import HIDDEN, SEALED, Change, steps_for, timeline
from tests.conftest import command, intake, open_request
from tests.unit.test_casework_service import Service, service

__all__ = ["service"]  # the fixture, used by name
READER = Principal("coord", Role.COORDINATOR, frozenset({"sofades"}))  # sees every structure's history


def test_an_amendments_old_value_is_the_entrys_just_before_it_not_its_first(service: Service) -> None:
    casework = service.casework
    person = casework.execute(intake()).entry_id
    request = casework.execute(open_request(person, agency="opeka")).entry_id
    status = {"agency": "efka", "status": AgencyApplicationStatus.SUBMITTED.value, "occurred_on": "2024-05-03"}
    casework.execute(command(command="record_agency_status", request_id=str(request), **status))
    amend = {"entry_id": str(request), "changes": {"agency": "dypa"}, "reason": "typing_error"}
    casework.execute(command(command="amend_entry", **amend, reason_note="Λάθος φορέας"))
    rows = timeline(casework, READER, casework.entry(request), reveal=True)
    assert [row.event for row in rows] == ["Opened", "AgencyStatusRecorded", "Amended"]
    assert rows[-1].changes == (Change("agency", "efka", "dypa"),)  # efka since the status step, not opeka
    assert (rows[-1].reason, rows[-1].reason_note) == ("typing_error", "Λάθος φορέας")
    assert ("agency_status", "submitted") in rows[1].facts
    hidden = timeline(casework, READER, casework.entry(request), reveal=False)
    assert hidden[-1].reason_note == SEALED


def test_a_persons_correction_shows_her_details_old_and_new_and_a_special_answer_only_as_changed(
    service: Service,
) -> None:
    casework = service.casework
    person = casework.execute(intake()).entry_id
    amend = {"entry_id": str(person), "reason": "typing_error"}
    casework.execute(
        command(command="amend_entry", **amend, personal={"phone": "6999999999"}, special={"minority": "no"})
    )
    (changed,) = [
        row for row in timeline(casework, READER, casework.entry(person), reveal=True) if row.event == "Amended"
    ]
    assert Change("personal.phone", "6912345678", "6999999999") in changed.changes
    assert Change("special.minority", HIDDEN, HIDDEN) in changed.changes
    assert all(c.old != "refused" for c in changed.changes)
    (sealed,) = [
        row for row in timeline(casework, READER, casework.entry(person), reveal=False) if row.event == "Amended"
    ]
    assert sealed.changes == (Change("personal", SEALED, SEALED),)


def test_only_the_steps_the_state_allows_are_offered_and_none_to_who_may_not_record_there(service: Service) -> None:
    casework = service.casework
    tenant = service.tenant.id
    person = casework.execute(intake()).entry_id
    request = casework.execute(open_request(person)).entry_id
    coordinator = Principal("coord", Role.COORDINATOR, frozenset({tenant}))
    roma = Principal("roma", Role.CASEWORKER, frozenset({tenant}), structure="roma-branch")
    auditor = Principal("auditor", Role.AUDITOR, frozenset({tenant}))
    entry = casework.entry(request)
    opened = steps_for(coordinator, tenant, entry, erased=False)
    assert opened == ("agency-status", "progress", "resolve", "close", "withdraw", "amend", "void")
    assert steps_for(roma, tenant, entry, erased=False) == ()
    assert steps_for(auditor, tenant, entry, erased=False) == ()
    assert steps_for(coordinator, tenant, entry, erased=True) == ()
    casework.execute(command(command="resolve_request", request_id=str(request), occurred_on="2024-05-20"))
    resolved = steps_for(coordinator, tenant, casework.entry(request), erased=False)
    assert resolved == ("agency-status", "reopen", "amend", "void")
