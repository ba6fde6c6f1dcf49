"""The casework use cases without HTTP: the API and the pages call these, so their rules hold here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from pydantic import SecretStr

from domain.access_log import PersonalDataAccess, PersonalDataSearch
from domain.errors import DuplicateBeneficiaryError, EntryNotFoundError
from domain.identifiers import make_amka
from infra.bootstrap import Kentra, bootstrap
from infra.settings import Settings
from services import commands as c
from services import people
from services.access import AccessDeniedError, Principal, Role
from services.casework import Casework, read_log
from services.lists import ListQuery, list_entries
from services.recording import record
from tests.conftest import TEST_MASTER_KEY, Clock, intake

SOFADES = frozenset({"sofades"})
CENTRE = Principal("cw.centre", Role.CASEWORKER, SOFADES, structure="centre")
COORDINATOR = Principal("coord", Role.COORDINATOR, SOFADES)
AUDITOR = Principal("auditor", Role.AUDITOR, SOFADES)
EVERYTHING = ListQuery(50, 0, None, None, None, None, None)


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Kentra]:
    kentra = bootstrap(Settings(data_dir=tmp_path, master_key=SecretStr(TEST_MASTER_KEY)), today=Clock())
    kentra.provision_platform()
    kentra.provision("sofades")
    yield kentra
    kentra.close()


def register(casework: Casework, structure: str, number: int) -> tuple[str, str]:
    amka = make_amka(date(1979, 3, 4), number)
    outcome = casework.execute(intake(structure=structure, personal__amka=amka))
    return str(outcome.entry_id), amka


def logged(casework: Casework, kind: type) -> list[Any]:
    """The access-log events of one kind in the tenant's log."""
    return [e for e in read_log(casework) if type(e).__qualname__ == f"{kind.__name__}.Recorded"]


def test_a_search_shows_only_the_callers_structure_and_logs_the_search_and_each_look(platform: Kentra) -> None:
    casework = platform.casework("sofades")
    own, _ = register(casework, "centre", 4242)
    register(casework, "roma-branch", 4243)  # the same name, in the structure she may not see
    found = people.search(casework, CENTRE, amka=None, name="Τσιουρβαλή", limit=20, endpoint="test")
    assert [str(match.id) for match in found] == [own]
    assert found[0].last_name == "Τσιουρβαλή"
    assert [e.found for e in logged(casework, PersonalDataSearch)] == [1]
    assert [str(e.beneficiary_id) for e in logged(casework, PersonalDataAccess)] == [own]


def test_an_entry_is_shown_pseudonymised_to_an_auditor_and_unlogged(platform: Kentra) -> None:
    casework = platform.casework("sofades")
    person, _ = register(casework, "centre", 4242)
    shown = people.show(casework, AUDITOR, UUID(person), "beneficiary", "test")
    assert shown.state["sealed"] == "[sealed]"
    assert not logged(casework, PersonalDataAccess)
    with pytest.raises(EntryNotFoundError):
        people.show(casework, COORDINATOR, shown.id, "request", "test")


def test_a_caseworker_is_not_told_who_holds_a_taken_amka_and_a_coordinator_is(platform: Kentra) -> None:
    casework = platform.casework("sofades")
    holder, amka = register(casework, "roma-branch", 4242)
    again = c.IntakeFields.model_validate(
        intake(structure="centre", personal__amka=amka).model_dump(
            mode="json", exclude={"command", "command_id", "recorded_by"}
        )
    )
    with pytest.raises(DuplicateBeneficiaryError) as withheld:
        record(casework, CENTRE, again, "register_beneficiary", "use-case-1")
    assert withheld.value.existing_id is None
    with pytest.raises(DuplicateBeneficiaryError) as told:
        record(casework, COORDINATOR, again, "register_beneficiary", "use-case-2")
    assert str(told.value.existing_id) == holder


def test_a_caseworkers_list_is_her_structures_and_another_is_refused(platform: Kentra) -> None:
    casework = platform.casework("sofades")
    for structure, number in (("centre", 4242), ("roma-branch", 4243)):
        person, _ = register(casework, structure, number)
        casework.execute(
            c.COMMAND_ADAPTER.validate_python(
                {
                    "command": "open_request",
                    "command_id": f"open-{number}",
                    "recorded_by": "m.georgiou",
                    "beneficiary_id": person,
                    "structure": structure,
                    "occurred_on": "2024-05-03",
                    "category": "gmi",
                }
            )
        )
    views = platform.views("sofades")
    assert list_entries(views, COORDINATOR, "request", None, EVERYTHING).total == 2
    listed = list_entries(views, CENTRE, "request", None, EVERYTHING)
    assert [row["structure"] for row in listed.rows] == ["centre"]
    with pytest.raises(AccessDeniedError):
        list_entries(views, CENTRE, "request", None, ListQuery(50, 0, None, "roma-branch", None, None, None))
