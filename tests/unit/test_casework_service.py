"""The casework service on the library's in-memory store with a fake vault: no database, no broker.

Built through the composition root's parameters, as any other set-up would be, so these also show
that ``bootstrap`` takes its parts instead of picking them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.popo import POPOApplicationRecorder
from pydantic import ValidationError

from domain.errors import (
    BeneficiaryErasedError,
    CommandIdReusedError,
    DateOrderError,
    DuplicateBeneficiaryError,
    EntryVoidedError,
    ErasureNotDueError,
    InvalidTransitionError,
    InvalidValueError,
)
from domain.home_visits import HomeVisit
from domain.identifiers import make_amka
from domain.tenants import Tenant, TenantRegistry
from infra.bootstrap import Kentra
from services.casework import Casework, read_log
from services.commands import AnyCommand
from tests.conftest import Clock, command, in_memory_kentra, intake, isolated_registry, open_request
from tests.fakes import InMemoryVault


@dataclass
class Service:
    kentra: Kentra
    tenant: Tenant
    vault: InMemoryVault
    clock: Clock

    @property
    def casework(self) -> Casework:
        return self.kentra.casework(self.tenant.id)

    def events(self) -> int:
        return sum(1 for _ in read_log(self.casework))


@pytest.fixture
def service(tmp_path: Path, real_registry: TenantRegistry) -> Iterator[Service]:
    tenants, tenant = isolated_registry(real_registry)
    vault = InMemoryVault()
    clock = Clock()

    kentra = in_memory_kentra(tmp_path, tenants, vault, today=clock)
    kentra.provision(tenant.id)
    yield Service(kentra, tenant, vault, clock)
    kentra.close()


def test_the_service_runs_on_the_in_memory_store_with_the_vault_it_was_given(service: Service) -> None:
    assert isinstance(service.casework.recorder, POPOApplicationRecorder)
    assert service.casework.vault is service.vault


def test_an_intake_seals_the_person_under_their_own_key_and_reads_back(service: Service) -> None:
    outcome = service.casework.execute(intake())
    state = service.casework.describe(outcome.entry_id, reveal=True)["state"]
    assert state["profile"]["age_at_entry"] == 45
    assert state["sealed"]["personal"]["last_name"] == "Τσιουρβαλή"
    assert service.casework.describe(outcome.entry_id)["state"]["sealed"] == "[sealed]"
    assert outcome.entry_id in service.vault.keys


def test_a_retry_with_the_same_command_id_is_answered_from_its_record_and_records_nothing(service: Service) -> None:
    first = service.casework.execute(intake("retry-0001"))
    before = service.events()
    again = service.casework.execute(intake("retry-0001"))
    assert (again.entry_id, again.version, again.replayed) == (first.entry_id, first.version, True)
    assert service.events() == before
    with pytest.raises(CommandIdReusedError):
        service.casework.execute(intake("retry-0001", occurred_on="2024-05-03"))


def test_a_second_intake_with_the_same_amka_is_refused_naming_who_holds_it(service: Service) -> None:
    first = service.casework.execute(intake())
    with pytest.raises(DuplicateBeneficiaryError) as refused:
        service.casework.execute(intake(personal__first_name="Ευανθούλα"))
    assert refused.value.existing_id == first.entry_id
    assert service.casework.find_by_amka(make_amka(date(1979, 3, 4), 4242)) == first.entry_id


def test_a_request_is_opened_and_each_step_kept_in_its_history(service: Service) -> None:
    person = service.casework.execute(intake()).entry_id
    request = service.casework.execute(open_request(person, agency="opeka")).entry_id
    service.casework.execute(
        command(
            command="record_agency_status",
            request_id=str(request),
            agency="opeka",
            reference="ΟΠΕΚΑ/2024/55555",
            status="submitted",
            occurred_on="2024-05-03",
        )
    )
    service.casework.execute(command(command="resolve_request", request_id=str(request), occurred_on="2024-05-20"))
    history = service.casework.history(request)
    assert [h["event"] for h in history] == [
        "CaseRequest.Opened",
        "CaseRequest.AgencyStatusRecorded",
        "CaseRequest.Closed",
    ]
    assert history[2]["attributes"]["status"] == "resolved"


def test_a_referral_is_sent_accepted_and_its_outcome_recorded(service: Service) -> None:
    person = service.casework.execute(intake()).entry_id
    referral = service.casework.execute(
        command(
            command="send_referral",
            beneficiary_id=str(person),
            destination="mental_health_unit",
            structure="centre",
            occurred_on="2024-05-06",
        )
    ).entry_id
    service.casework.execute(command(command="accept_referral", referral_id=str(referral), occurred_on="2024-05-07"))
    service.casework.execute(
        command(
            command="record_referral_outcome", referral_id=str(referral), occurred_on="2024-06-10", outcome="served"
        )
    )
    history = service.casework.history(referral)
    assert [h["event"] for h in history] == ["Referral.Sent", "Referral.Answered", "Referral.OutcomeRecorded"]
    assert history[2]["attributes"]["outcome"] == "served"


def test_a_home_visit_is_recorded_with_its_findings_sealed_and_its_follow_up_completed(service: Service) -> None:
    person = service.casework.execute(intake()).entry_id
    visit = service.casework.execute(
        command(
            command="record_home_visit",
            beneficiary_id=str(person),
            purpose="living_conditions",
            structure="centre",
            occurred_on="2024-05-08",
            follow_up_due="2024-06-08",
            findings="Κατοικία χωρίς θέρμανση",
        )
    ).entry_id
    assert service.casework.describe(visit)["state"]["sealed"] == "[sealed]"
    service.casework.execute(
        command(command="complete_home_visit_follow_up", visit_id=str(visit), occurred_on="2024-06-08")
    )
    assert service.casework.entry(visit).version == 2


def test_an_amendment_changes_the_entry_and_both_stay_in_its_history(service: Service) -> None:
    person = service.casework.execute(intake()).entry_id
    request = service.casework.execute(open_request(person)).entry_id
    service.casework.execute(
        command(
            command="amend_entry", entry_id=str(request), reason="typing_error", changes={"category": "housing_benefit"}
        )
    )
    assert service.casework.entry(request).category == "housing_benefit"  # type: ignore[attr-defined]
    assert [h["event"] for h in service.casework.history(request)] == ["CaseRequest.Opened", "CaseEntry.Amended"]


def test_a_voided_intake_frees_its_amka_and_takes_no_further_steps(service: Service) -> None:
    wrong = service.casework.execute(intake()).entry_id
    service.casework.execute(command(command="void_entry", entry_id=str(wrong), reason="wrong_person"))
    with pytest.raises(EntryVoidedError):
        service.casework.execute(open_request(wrong))
    right = service.casework.execute(intake()).entry_id
    assert service.casework.find_by_amka(make_amka(date(1979, 3, 4), 4242)) == right


def test_an_erasure_destroys_the_key_and_refuses_further_steps(service: Service) -> None:
    her = service.casework.execute(intake()).entry_id
    service.casework.execute(open_request(her))
    with pytest.raises(ErasureNotDueError):
        service.kentra.erase(service.tenant.id, her, reason="asked", legal_ground=None, erased_by="coord")
    done = service.kentra.erase(service.tenant.id, her, reason="asked", legal_ground="GDPR Art. 17", erased_by="coord")
    assert done["erased"] is True
    assert her not in service.vault.keys
    assert service.casework.describe(her, reveal=True)["state"]["sealed"] == "[erased]"
    assert service.casework.find_by_amka(make_amka(date(1979, 3, 4), 4242)) is None
    with pytest.raises(BeneficiaryErasedError):
        service.casework.execute(open_request(her))
    again = service.kentra.erase(service.tenant.id, her, reason="again", legal_ground=None, erased_by="coord")
    assert again["already"] is True


def test_a_step_about_a_voided_then_erased_person_is_refused_as_about_an_erased_person(service: Service) -> None:
    # Found by the erasure property test (tests/e2e/test_erasure_api.py): the void was reported first.
    her = service.casework.execute(intake()).entry_id
    service.casework.execute(command(command="void_entry", entry_id=str(her), reason="wrong_person"))
    service.kentra.erase(service.tenant.id, her, reason="asked", legal_ground="GDPR Art. 17", erased_by="coord")
    with pytest.raises(BeneficiaryErasedError):
        service.casework.execute(open_request(her))


def test_a_batch_loads_the_entries_it_names_through_the_generic_reader(service: Service) -> None:
    person = service.casework.execute(intake()).entry_id
    results = service.casework.execute_many([open_request(person), open_request(person, category="housing_benefit")])
    assert [service.casework.entry(r.entry_id).beneficiary_id for r in results] == [person, person]  # type: ignore[union-attr,attr-defined]


def test_a_closed_request_is_reopened_for_a_reason_that_is_sealed_and_its_closure_stays_in_history(
    service: Service,
) -> None:
    person = service.casework.execute(intake()).entry_id
    request = service.casework.execute(open_request(person)).entry_id
    with pytest.raises(InvalidTransitionError):  # only a closed request is reopened
        service.casework.execute(
            command(command="reopen_request", request_id=str(request), occurred_on="2024-05-21", reason="x")
        )
    service.casework.execute(command(command="resolve_request", request_id=str(request), occurred_on="2024-05-20"))
    with pytest.raises(DateOrderError):
        service.casework.execute(
            command(command="reopen_request", request_id=str(request), occurred_on="2024-05-19", reason="x")
        )
    service.casework.execute(
        command(
            command="reopen_request", request_id=str(request), occurred_on="2024-05-21", reason="Επανεξέταση από ΟΠΕΚΑ"
        )
    )
    state = service.casework.describe(request)["state"]
    assert (state["status"], state["closed_on"]) == ("in_progress", None)
    history = service.casework.history(request)
    assert [h["event"] for h in history][-2:] == ["CaseRequest.Closed", "CaseRequest.Reopened"]
    assert history[-1]["attributes"]["sealed_reason"] == "[sealed]"
    assert service.casework.history(request, reveal=True)[-1]["attributes"]["sealed_reason"] == {
        "reason": "Επανεξέταση από ΟΠΕΚΑ"
    }


def test_a_reopen_without_a_reason_is_refused_by_the_command() -> None:
    with pytest.raises(ValidationError):
        command(command="reopen_request", request_id=str(uuid4()), occurred_on="2024-05-21")


def visit(person: UUID, **fields: object) -> AnyCommand:
    document: dict[str, object] = {
        "command": "record_home_visit",
        "beneficiary_id": str(person),
        "purpose": "prosecutor_ordered",
        "structure": "centre",
        "occurred_on": "2024-05-10",
    }
    return command(**{**document, **fields})


def test_a_prosecutor_ordered_investigation_names_its_order_and_no_other_visit_does(service: Service) -> None:
    person = service.casework.execute(intake()).entry_id
    with pytest.raises(InvalidValueError) as missing:
        service.casework.execute(visit(person, order_reference="ΕΙΣ/123/2024"))
    assert missing.value.field == "order_deadline"
    with pytest.raises(InvalidValueError) as stray:
        service.casework.execute(visit(person, purpose="living_conditions", order_reference="ΕΙΣ/123/2024"))
    assert stray.value.field == "order_reference"
    ordered = service.casework.execute(
        visit(person, order_reference="ΕΙΣ/123/2024", order_deadline="2024-06-10")
    ).entry_id
    state = service.casework.describe(ordered)["state"]
    assert state["order_deadline"] == "2024-06-10"
    assert "order_reference" not in state  # it names the person's file at the prosecutor's: sealed
    opened = service.casework.describe(ordered, reveal=True)["state"]["sealed"]
    assert opened["order_reference"] == "ΕΙΣ/123/2024"
    with pytest.raises(InvalidValueError):  # the order cannot be amended away while the purpose stays
        service.casework.execute(
            command(
                command="amend_entry", entry_id=str(ordered), reason="typing_error", changes={"order_deadline": None}
            )
        )


def test_a_visit_recorded_before_orders_existed_replays_without_them() -> None:
    decoded: Any = HomeVisit.Conducted
    conducted = decoded(
        originator_id=uuid4(),
        originator_version=1,
        timestamp=decoded.create_timestamp(),
        originator_topic="domain.home_visits:HomeVisit",
        beneficiary_id=uuid4(),
        purpose="prosecutor_ordered",
        occurred_on=date(2023, 1, 5),
        structure="centre",
        recorded_by="m.georgiou",
        follow_up_due=None,
        sealed=None,
        order_deadline=None,
        local_purpose=None,
    )
    del conducted.__dict__["order_deadline"]  # as decoded from a row stored before issue 20
    del conducted.__dict__["local_purpose"]  # and before issue 23
    replayed = conducted.mutate(None)
    assert replayed is not None
    assert (replayed.order_deadline, replayed.purpose, replayed.local_purpose) == (None, "prosecutor_ordered", None)


def test_a_change_of_situation_updates_how_to_reach_a_person_but_not_what_was_true_at_entry(service: Service) -> None:
    person = service.casework.execute(intake()).entry_id
    for refused in (
        {"changes": {"profile": {"employment_status": "employed"}}},
        {"special": {"disability": "no"}},
        {"personal": {"birth_date": "1979-03-05"}},
    ):
        with pytest.raises(InvalidValueError):
            service.casework.execute(
                command(command="amend_entry", entry_id=str(person), reason="change_of_situation", **refused)
            )
    service.casework.execute(
        command(
            command="amend_entry",
            entry_id=str(person),
            reason="change_of_situation",
            personal={"address": "Ελευθερίου Βενιζέλου 3, Καρδίτσα"},
        )
    )
    state = service.casework.describe(person, reveal=True)["state"]
    assert state["sealed"]["personal"]["address"] == "Ελευθερίου Βενιζέλου 3, Καρδίτσα"
    assert state["profile"]["employment_status"] == "long_term_unemployed"


def looks_at_the_log(casework: Casework, monkeypatch: pytest.MonkeyPatch) -> list[set[UUID]]:
    """Each batch read of the log the service makes from now on: the ids it asked for."""
    asked: list[set[UUID]] = []
    reads = casework.stored_events.stored_events_of

    def counted(ids: Any) -> Any:
        asked.append(set(ids))
        return reads(ids)

    monkeypatch.setattr(casework.stored_events, "stored_events_of", counted)
    return asked


def test_a_step_reads_its_entry_its_person_and_its_command_record_in_one_look_at_the_log(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    her = service.casework.execute(intake()).entry_id
    request = service.casework.execute(open_request(her)).entry_id
    asked = looks_at_the_log(service.casework, monkeypatch)
    service.casework.execute(
        command(command="start_request_progress", request_id=str(request), occurred_on="2024-05-03")
    )
    assert len(asked) == 1  # issue 24: whom the request is about was remembered, so read with it
    assert {request, her} <= asked[0]


def test_a_step_on_an_entry_moved_to_another_person_finds_that_person_erased(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = service.casework.execute(intake()).entry_id
    second = service.casework.execute(intake(personal__amka=make_amka(date(1980, 1, 2), 77))).entry_id
    activity = service.casework.execute(
        command(
            command="record_activity",
            kind="counselling_session",
            beneficiary_ids=[str(first)],
            participants=1,
            occurred_on="2024-05-03",
            structure="centre",
        )
    ).entry_id
    service.casework.execute(  # the session was the second person's: whom it is about changes
        command(
            command="amend_entry",
            entry_id=str(activity),
            changes={"beneficiary_ids": [str(second)]},
            reason="typing_error",
        )
    )
    service.kentra.erase(service.tenant.id, second, reason="asked", legal_ground="GDPR Art. 17", erased_by="coord")
    asked = looks_at_the_log(service.casework, monkeypatch)
    with pytest.raises(BeneficiaryErasedError):  # not judged by the first person, whom it was about before
        service.casework.execute(
            command(command="amend_entry", entry_id=str(activity), changes={"participants": 1}, reason="typing_error")
        )
    assert any(second in ids for ids in asked)
