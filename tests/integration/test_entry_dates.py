"""Entries dated before their structure opened are refused, at intake, on every entry and step, and by amendment."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from domain.errors import AmkaDateMismatchError, DateOrderError
from domain.identifiers import make_amka
from infra.bootstrap import bootstrap
from tests.conftest import Clock, command, intake, make_settings


def test_an_entry_dated_before_its_structure_opened_is_refused_and_nothing_is_recorded(tmp_path: Path) -> None:
    kentra = bootstrap(make_settings("sqlite", tmp_path), today=Clock())
    try:
        kentra.provision("tyrnavos")  # opened 2024-03-04 (infra/data/tenants.toml)
        casework = kentra.casework("tyrnavos")
        head = casework.recorder.max_notification_id() or 0
        with pytest.raises(DateOrderError, match="before the structure 'centre' opened"):
            casework.execute(intake(occurred_on="2024-03-03", personal__amka=make_amka(date(1979, 3, 4), 1)))
        assert (casework.recorder.max_notification_id() or 0) == head
        person = casework.execute(intake(occurred_on="2024-03-04", personal__amka=make_amka(date(1979, 3, 4), 2)))
        early = {"beneficiary_id": str(person.entry_id), "structure": "centre", "occurred_on": "2024-03-01"}
        for refused in (
            command(command="open_request", category="gmi", **early),
            command(command="send_referral", destination="dypa", **early),
            command(command="record_home_visit", purpose="living_conditions", **early),
            command(command="record_activity", kind="networking_meeting", structure="centre", occurred_on="2024-01-10"),
        ):
            with pytest.raises(DateOrderError):
                casework.execute(refused)
        request = casework.execute(
            command(command="open_request", category="gmi", **(early | {"occurred_on": "2024-03-05"}))
        )
        with pytest.raises(DateOrderError):
            casework.execute(
                command(
                    command="amend_entry",
                    entry_id=str(request.entry_id),
                    changes={"occurred_on": "2024-02-28"},
                    reason="typing_error",
                )
            )
        with pytest.raises(DateOrderError):
            casework.execute(
                command(
                    command="amend_entry",
                    entry_id=str(person.entry_id),
                    changes={"occurred_on": "2023-12-01"},
                    reason="typing_error",
                )
            )
        assert casework.entry(request.entry_id).occurred_on == date(2024, 3, 5)
    finally:
        kentra.close()


def test_an_amka_whose_date_is_not_the_birth_date_is_refused_unless_confirmed(tmp_path: Path) -> None:
    kentra = bootstrap(make_settings("sqlite", tmp_path), today=Clock())
    try:
        kentra.provision("sofades")
        casework = kentra.casework("sofades")
        other_date = make_amka(date(1980, 3, 4), 7)  # issued with 04/03/80 for someone born 04/03/79
        head = casework.recorder.max_notification_id() or 0
        with pytest.raises(AmkaDateMismatchError):
            casework.execute(intake(personal__amka=other_date, amka_date_mismatch_confirmed=False))
        assert (casework.recorder.max_notification_id() or 0) == head
        person = casework.execute(intake(personal__amka=other_date, amka_date_mismatch_confirmed=True))
        matching = casework.execute(intake(personal__amka=make_amka(date(1979, 3, 4), 8)))
        amend = {"command": "amend_entry", "entry_id": str(matching.entry_id), "reason": "typing_error"}
        with pytest.raises(AmkaDateMismatchError):
            casework.execute(command(**amend, personal={"birth_date": "1979-03-05"}))
        casework.execute(command(**amend, personal={"birth_date": "1979-03-05"}, amka_date_mismatch_confirmed=True))
        assert person.entry_id != matching.entry_id
    finally:
        kentra.close()
