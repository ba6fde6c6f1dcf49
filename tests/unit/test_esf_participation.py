"""ESF participation through the casework service (services/casework_esf.py), on the in-memory store:
entering a later operation by hand or at the first contact in it, a change of situation, leaving,
the six-month follow-up, corrections, and what an erasure keeps for the figures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.errors import (
    BeneficiaryErasedError,
    DateOrderError,
    InvalidTransitionError,
    InvalidValueError,
    OutsideOperationError,
    UnknownOperationError,
)
from domain.tenants import Tenant
from infra.bootstrap import Kentra
from infra.settings import DEFAULT_TENANTS_FILE
from infra.tenant_registry import load_registry
from services.casework import STATISTICS_SUBJECT, Casework, read_log
from services.commands import AnyCommand
from tests.conftest import Clock, command, in_memory_kentra, intake, isolated_registry, open_request
from tests.fakes import InMemoryVault

LEAVING = {"job_searching": True, "in_education_or_training": False, "qualification_gained": False, "employed": False}


class CountingVault(InMemoryVault):
    """The fake vault, counting how often personal data are opened."""

    def __init__(self) -> None:
        super().__init__()
        self.unsealed = 0

    def unseal(self, token: str) -> dict[str, Any] | None:
        self.unsealed += 1
        return super().unseal(token)


@dataclass
class Service:
    kentra: Kentra
    tenant: Tenant
    vault: CountingVault
    clock: Clock

    @property
    def casework(self) -> Casework:
        return self.kentra.casework(self.tenant.id)

    def run(self, **fields: Any) -> UUID:
        return self.casework.execute(command(**fields)).entry_id

    def events(self, name: str) -> list[Any]:
        return [e for e in read_log(self.casework) if type(e).__qualname__ == f"Beneficiary.{name}"]


def _service(tmp_path: Path, shape: dict[str, Any] | None = None) -> Iterator[Service]:
    tenants, tenant = isolated_registry(load_registry(DEFAULT_TENANTS_FILE))
    if shape:
        tenant = tenant.model_copy(update=shape)
        tenants = tenants.model_copy(update={"tenants": (*tenants.tenants[:-1], tenant)})
    vault, clock = CountingVault(), Clock()

    kentra = in_memory_kentra(tmp_path, tenants, vault, today=clock)
    kentra.provision(tenant.id)
    yield Service(kentra, tenant, vault, clock)
    kentra.close()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    """Sofades: 2014-2020 to 2023-12-31, 2021-2027 from 2024-01-01."""
    yield from _service(tmp_path)


@pytest.fixture
def gapped(tmp_path: Path) -> Iterator[Service]:
    """Sofades with its 2021-2027 operation starting on 2024-03-01: January and February 2024 are in none."""
    real = load_registry(DEFAULT_TENANTS_FILE).tenant("sofades")
    first, second = real.programmes
    programmes = (first, second.model_copy(update={"operations_from": date(2024, 3, 1)}))
    yield from _service(tmp_path, {"programmes": programmes})


def registered_2021(service: Service, **overrides: Any) -> UUID:
    return service.casework.execute(intake(occurred_on="2021-05-02", **overrides)).entry_id


def person(service: Service, beneficiary_id: UUID) -> Any:
    return service.casework.entry(beneficiary_id)


def request_on(service: Service, beneficiary_id: UUID, day: str) -> AnyCommand:
    return open_request(beneficiary_id, occurred_on=day)


# ---------------------------------------------------------------------- automatic entry
def test_a_2021_person_served_in_2024_enters_2021_2027_with_the_age_and_situation_of_that_day(
    service: Service,
) -> None:
    someone = registered_2021(service)
    service.run(
        command="change_situation",
        beneficiary_id=str(someone),
        occurred_on="2023-02-01",
        changes={"employment_status": "employed"},
    )
    service.casework.execute(request_on(service, someone, "2024-05-10"))
    [entered] = service.events("OperationEntered")
    assert (entered.operation, entered.occurred_on, entered.automatic) == ("2021-2027", date(2024, 5, 10), True)
    assert entered.profile["age_at_entry"] == 45  # born 1979-03-04: 42 at the 2021 intake
    assert entered.profile["employment_status"] == "employed"
    assert entered.profile["gender"] == "female"
    assert service.vault.unseal(entered.sealed_special) == {
        "special": {"disability": "yes", "minority": "refused", "other_disadvantage": "no"}
    }
    assert person(service, someone).profile["age_at_entry"] == 42  # the intake's entry is untouched


@pytest.mark.parametrize("contact", ["referral", "home_visit", "activity"])
def test_every_kind_of_contact_enters_the_operation_of_its_day(service: Service, contact: str) -> None:
    someone = registered_2021(service)
    kinds: dict[str, dict[str, Any]] = {
        "referral": {"command": "send_referral", "beneficiary_id": str(someone), "destination": "opeka"},
        "home_visit": {"command": "record_home_visit", "beneficiary_id": str(someone), "purpose": "living_conditions"},
        "activity": {
            "command": "record_activity",
            "kind": "counselling_session",
            "beneficiary_ids": [str(someone)],
            "participants": 1,
        },
    }
    fields = kinds[contact]
    service.run(**fields, occurred_on="2024-02-12", structure="centre")
    assert [e.operation for e in service.events("OperationEntered")] == ["2021-2027"]
    assert person(service, someone).participation("2021-2027", "2014-2020")["entered_on"] == "2024-02-12"


def test_a_return_within_the_same_operation_enters_nothing_and_opens_no_personal_data(service: Service) -> None:
    someone = registered_2021(service)
    service.casework.execute(request_on(service, someone, "2021-09-01"))  # the intake's operation
    assert service.events("OperationEntered") == []
    service.casework.execute(request_on(service, someone, "2024-02-01"))
    opened = service.vault.unsealed
    service.casework.execute(request_on(service, someone, "2024-04-01"))
    assert len(service.events("OperationEntered")) == 1
    assert service.vault.unsealed == opened  # nothing to enter: the vault is not asked


def test_a_batch_enters_each_person_once_with_the_intake_of_the_same_batch(service: Service) -> None:
    results = service.casework.execute_many([intake("batch-intake", occurred_on="2021-05-02")])
    someone = results[0].entry_id  # type: ignore[union-attr]
    batch = [request_on(service, someone, day) for day in ("2021-06-01", "2024-01-15", "2024-03-01")]
    assert all(not isinstance(r, Exception) for r in service.casework.execute_many(batch))
    assert [e.occurred_on for e in service.events("OperationEntered")] == [date(2024, 1, 15)]


def test_a_contact_on_a_day_in_no_operation_is_recorded_without_an_entry(gapped: Service) -> None:
    someone = registered_2021(gapped)
    gapped.casework.execute(request_on(gapped, someone, "2024-02-01"))
    assert gapped.events("OperationEntered") == []
    with pytest.raises(OutsideOperationError, match="2024-02-01"):
        gapped.run(command="enter_operation", beneficiary_id=str(someone), occurred_on="2024-02-01")
    gapped.casework.execute(request_on(gapped, someone, "2024-03-05"))
    assert [e.operation for e in gapped.events("OperationEntered")] == ["2021-2027"]


def test_an_intake_in_2024_is_the_entry_into_2021_2027(service: Service) -> None:
    someone = service.casework.execute(intake(occurred_on="2024-01-10")).entry_id
    service.casework.execute(request_on(service, someone, "2024-02-01"))
    assert service.events("OperationEntered") == []
    with pytest.raises(InvalidTransitionError, match="already"):
        service.run(command="enter_operation", beneficiary_id=str(someone), occurred_on="2024-03-01")


# ---------------------------------------------------------------------- explicit entry
def test_entering_with_given_answers_then_a_second_time_is_refused(service: Service) -> None:
    someone = registered_2021(service)
    service.run(
        command="enter_operation",
        beneficiary_id=str(someone),
        occurred_on="2024-03-12",
        situation={"employment_status": "inactive", "isced_level": 3},
        special={"disability": "no", "minority": "yes", "other_disadvantage": "refused"},
    )
    [entered] = service.events("OperationEntered")
    assert (entered.automatic, entered.profile["employment_status"], entered.profile["isced_level"]) == (
        False,
        "inactive",
        3,
    )
    assert (service.vault.unseal(entered.sealed_special) or {})["special"]["minority"] == "yes"
    with pytest.raises(InvalidTransitionError, match="counts once"):
        service.run(command="enter_operation", beneficiary_id=str(someone), occurred_on="2024-04-01")
    service.casework.execute(request_on(service, someone, "2024-05-01"))
    assert len(service.events("OperationEntered")) == 1


def test_entering_an_operation_the_tenant_lacks_or_on_a_day_outside_it_is_refused(service: Service) -> None:
    someone = registered_2021(service)
    with pytest.raises(OutsideOperationError, match="2023-06-01"):
        service.run(
            command="enter_operation", beneficiary_id=str(someone), occurred_on="2023-06-01", operation="2021-2027"
        )
    other = service.kentra.registry.tenant("pylaia-chortiatis")
    with pytest.raises(UnknownOperationError):
        other.operation("2021-2027")
    assert service.events("OperationEntered") == []


def test_an_erased_person_cannot_enter_nor_be_entered(service: Service) -> None:
    someone = registered_2021(service)
    service.casework.erase(someone, reason="request", legal_ground="Art. 17(1)(b)", erased_by="coordinator")
    with pytest.raises(BeneficiaryErasedError):
        service.run(command="enter_operation", beneficiary_id=str(someone), occurred_on="2024-03-12")
    with pytest.raises(BeneficiaryErasedError):
        service.casework.execute(request_on(service, someone, "2024-03-12"))
    assert service.events("OperationEntered") == []


# ---------------------------------------------------------------------- situation, exit, follow-up
def test_a_change_of_situation_does_not_change_the_entry(service: Service) -> None:
    someone = registered_2021(service)
    service.casework.execute(request_on(service, someone, "2024-02-01"))
    service.run(
        command="change_situation",
        beneficiary_id=str(someone),
        occurred_on="2024-04-01",
        changes={"employment_status": "employed"},
    )
    entry = person(service, someone)
    assert entry.entry_data["2021-2027"]["profile"]["employment_status"] == "long_term_unemployed"
    assert entry.profile["employment_status"] == "long_term_unemployed"
    assert entry.situation["employment_status"] == "employed"
    with pytest.raises(InvalidValueError, match="already recorded"):
        service.run(
            command="change_situation",
            beneficiary_id=str(someone),
            occurred_on="2024-04-02",
            changes={"employment_status": "employed"},
        )


def test_leaving_twice_is_refused_and_an_exit_falls_within_its_operation(service: Service) -> None:
    someone = registered_2021(service)
    with pytest.raises(OutsideOperationError):
        service.run(
            command="leave_operation",
            beneficiary_id=str(someone),
            occurred_on="2024-02-01",
            operation="2014-2020",
            status=LEAVING,
        )
    service.run(command="leave_operation", beneficiary_id=str(someone), occurred_on="2023-11-30", status=LEAVING)
    with pytest.raises(InvalidTransitionError, match="left operation 2014-2020"):
        service.run(command="leave_operation", beneficiary_id=str(someone), occurred_on="2023-12-01", status=LEAVING)
    with pytest.raises(InvalidTransitionError, match="has not entered"):
        service.run(command="leave_operation", beneficiary_id=str(someone), occurred_on="2024-02-01", status=LEAVING)
    assert [e.operation for e in service.events("OperationLeft")] == ["2014-2020"]


def test_the_follow_up_is_refused_before_six_months_and_recorded_once_after(service: Service) -> None:
    someone = registered_2021(service)
    service.run(command="leave_operation", beneficiary_id=str(someone), occurred_on="2023-11-30", status=LEAVING)
    status = {"employed": True, "improved_labour_market_situation": False}
    follow_up = {"command": "record_long_term_result", "beneficiary_id": str(someone), "operation": "2014-2020"}
    with pytest.raises(DateOrderError, match="2024-05-30"):
        service.run(**follow_up, occurred_on="2024-05-29", status=status)
    service.run(**follow_up, occurred_on="2024-05-30", status=status)  # after the operation's end: its results
    with pytest.raises(InvalidTransitionError, match="already"):
        service.run(**follow_up, occurred_on="2024-06-01", status=status)
    assert len(service.events("LongTermResultRecorded")) == 1


# ---------------------------------------------------------------------- corrections
def test_an_exit_is_corrected_by_a_new_event(service: Service) -> None:
    someone = registered_2021(service)
    service.run(command="leave_operation", beneficiary_id=str(someone), occurred_on="2023-11-30", status=LEAVING)
    employed = {**LEAVING, "job_searching": False, "employed": True}
    service.run(
        command="correct_operation_record",
        beneficiary_id=str(someone),
        operation="2014-2020",
        record="exit",
        changes={"occurred_on": "2023-10-31", "status": employed},
        reason="typing_error",
    )
    [corrected] = service.events("OperationRecordCorrected")
    assert corrected.changes == {"occurred_on": date(2023, 10, 31), "status": employed}
    assert person(service, someone).participation("2014-2020", "2014-2020")["left_on"] == "2023-10-31"
    assert len(service.events("OperationLeft")) == 1
    with pytest.raises(OutsideOperationError):
        service.run(
            command="correct_operation_record",
            beneficiary_id=str(someone),
            operation="2014-2020",
            record="exit",
            changes={"occurred_on": "2024-01-02"},
            reason="typing_error",
        )


def test_a_later_entry_is_corrected_in_part_with_the_age_recomputed_for_its_new_date(service: Service) -> None:
    someone = registered_2021(service)
    service.casework.execute(request_on(service, someone, "2024-03-10"))  # 45 on that day
    service.run(
        command="correct_operation_record",
        beneficiary_id=str(someone),
        operation="2021-2027",
        record="entry",
        changes={"occurred_on": "2024-03-01", "profile": {"isced_level": 4}},
        special={"disability": "no", "minority": "no", "other_disadvantage": "no"},
        reason="typing_error",
    )
    data = person(service, someone).entry_data["2021-2027"]
    assert (data["profile"]["isced_level"], data["profile"]["age_at_entry"]) == (4, 44)
    assert data["profile"]["employment_status"] == "long_term_unemployed"
    assert (service.vault.unseal(data["sealed_special"]) or {})["special"]["disability"] == "no"
    with pytest.raises(InvalidValueError, match="age at entry"):
        service.run(
            command="correct_operation_record",
            beneficiary_id=str(someone),
            operation="2021-2027",
            record="entry",
            changes={"profile": {"age_at_entry": 30}},
            reason="typing_error",
        )


# ---------------------------------------------------------------------- erasure
def test_an_erasure_keeps_each_entrys_special_answers_under_the_statistics_key(service: Service) -> None:
    someone = registered_2021(service)
    service.run(
        command="enter_operation",
        beneficiary_id=str(someone),
        occurred_on="2024-03-12",
        special={"disability": "no", "minority": "yes", "other_disadvantage": "refused"},
    )
    service.casework.erase(someone, reason="request", legal_ground="Art. 17(1)(b)", erased_by="coordinator")
    [erased] = service.events("Erased")
    kept = service.vault.unseal(erased.sealed_changes)
    assert kept == {
        "special": {"disability": "yes", "minority": "refused", "other_disadvantage": "no"},
        "operations": {"2021-2027": {"disability": "no", "minority": "yes", "other_disadvantage": "refused"}},
    }
    assert service.vault.sealed[erased.sealed_changes][0] == STATISTICS_SUBJECT
    [entered] = service.events("OperationEntered")
    assert service.vault.unseal(entered.sealed_special) is None  # the person's own key is gone
    assert json.loads(service.vault.sealed[erased.sealed_changes][1]) == kept


def test_a_later_entrys_special_answers_show_sealed_unless_revealed(service: Service) -> None:
    someone = registered_2021(service)
    service.casework.execute(request_on(service, someone, "2024-02-01"))
    shown = service.casework.describe(someone)["state"]["entry_data"]["2021-2027"]
    assert shown["sealed_special"] == "[sealed]"
    revealed = service.casework.describe(someone, reveal=True)["state"]["entry_data"]["2021-2027"]
    assert revealed["sealed_special"]["special"]["disability"] == "yes"


def test_a_contact_moved_into_a_later_operation_or_a_person_added_to_an_activity_enters_them(
    service: Service,
) -> None:
    someone, another = registered_2021(service), registered_2021(service, personal__amka=None)
    request = service.casework.execute(request_on(service, someone, "2023-12-20")).entry_id
    assert service.events("OperationEntered") == []
    service.run(
        command="amend_entry", entry_id=str(request), changes={"occurred_on": "2024-01-03"}, reason="wrong_date"
    )
    activity = service.run(
        command="record_activity",
        kind="counselling_session",
        beneficiary_ids=[str(someone)],
        participants=1,
        occurred_on="2024-02-01",
        structure="centre",
    )
    service.run(
        command="amend_entry",
        entry_id=str(activity),
        changes={"beneficiary_ids": [str(someone), str(another)], "participants": 2},
        reason="typing_error",
    )
    entered = {(e.originator_id, e.occurred_on) for e in service.events("OperationEntered")}
    assert entered == {(someone, date(2024, 1, 3)), (another, date(2024, 2, 1))}


def test_a_later_entry_is_not_moved_after_its_exit_nor_out_of_its_operation(service: Service) -> None:
    someone = registered_2021(service)
    service.casework.execute(request_on(service, someone, "2024-02-01"))
    service.run(command="leave_operation", beneficiary_id=str(someone), occurred_on="2024-03-01", status=LEAVING)
    correction = {
        "command": "correct_operation_record",
        "beneficiary_id": str(someone),
        "operation": "2021-2027",
        "record": "entry",
        "reason": "wrong_date",
    }
    with pytest.raises(DateOrderError, match="left the operation on 2024-03-01"):
        service.run(**correction, changes={"occurred_on": "2024-03-05"})
    with pytest.raises(OutsideOperationError):
        service.run(**correction, changes={"occurred_on": "2023-12-05"})
    assert service.events("OperationRecordCorrected") == []


def test_a_correction_that_changes_nothing_is_refused(service: Service) -> None:
    someone = registered_2021(service)
    service.casework.execute(request_on(service, someone, "2024-02-01"))
    service.run(command="leave_operation", beneficiary_id=str(someone), occurred_on="2024-03-01", status=LEAVING)
    for record, changes in (("exit", {"occurred_on": "2024-03-01"}), ("entry", {"profile": {"isced_level": 2}})):
        with pytest.raises(InvalidValueError, match="value it already has"):
            service.run(
                command="correct_operation_record",
                beneficiary_id=str(someone),
                operation="2021-2027",
                record=record,
                changes=changes,
                reason="typing_error",
            )
    assert service.events("OperationRecordCorrected") == []
