"""Issue 24 attacked: what a careless operator, an unlucky machine and a determined user do to the
indicators' summaries and the answers kept by log position. Each test failed before its fix."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from sqlalchemy import delete

import projections.runner
from domain.identifiers import make_amka
from gateways.regional import members
from projections.queries import indicators, indicators_from_rows
from projections.runner import CaseworkViews
from projections.summary import derive_all
from projections.tables import case_index, contacts, people, positions
from services import reporting
from services.answers import Answers
from tests.conftest import StoreUnderTest, command, intake
from tests.integration.test_indicator_summaries import summaries

START, END = date(2024, 1, 1), date(2024, 12, 31)
AMKA_DAY = date(1981, 5, 6)


def person(serial: int, **overrides: Any) -> Any:
    return intake(personal__amka=make_amka(AMKA_DAY, serial), personal__last_name=f"Επίθεση{serial}", **overrides)


def counted_from_rows(views: CaseworkViews, start: date = START, end: date = END) -> dict[str, Any]:
    with views.engine.connect() as conn:
        return indicators_from_rows(conn, start, end, None)


def without_households(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "households_served"}


class _StoppedError(Exception):
    pass


def test_a_rebuild_stopped_before_its_summaries_were_derived_is_never_answered_from_empty_summaries(
    store: StoreUnderTest,
) -> None:
    """A rebuild folds without summaries and derives them once at the end. Another process (here a
    second views object on the same store, as `kentra projections rebuild` beside `kentra serve`) that
    stops, or is merely slower, between the last batch and the derivation leaves the views at the head
    with empty summaries: an answer read then must still count what the rows count, and must not be
    kept for that position."""
    casework = store.casework
    her = casework.execute(person(1, occurred_on="2024-02-03")).entry_id
    casework.execute(
        command(
            command="open_request",
            beneficiary_id=str(her),
            category="gmi",
            structure="centre",
            occurred_on="2024-03-05",
        )
    )
    serving = store.kentra.views(store.tenant.id)
    answers = Answers()
    before = reporting.indicators(serving, START, END, None, answers=answers)
    assert before["requests"]["total"] == 1

    rebuilding = CaseworkViews(serving.app, serving.engine, None, serving.sealed)  # the engine is scoped already

    def crash(_: int) -> None:
        raise _StoppedError

    with pytest.raises(_StoppedError):
        rebuilding.rebuild(on_batch=crash)  # every event folded again; the process dies before deriving
    assert rebuilding.state()[0] == serving.head()

    after = reporting.indicators(serving, START, END, None, answers=answers)
    assert without_households(after) == counted_from_rows(serving)
    assert after["requests"]["total"] == 1
    assert reporting.indicators(serving, START, END, None, answers=answers)["requests"]["total"] == 1


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(9999, 1, 1), date(9999, 12, 31)),  # a whole last month, the calendar's last
        (date(9999, 12, 31), date(9999, 12, 31)),
        (date(9990, 2, 1), date(9999, 12, 30)),
        (date(1, 1, 1), date(1, 1, 31)),  # the first
    ],
)
def test_a_period_at_either_end_of_the_calendar_is_answered_as_the_rows_answer(
    store: StoreUnderTest, start: date, end: date
) -> None:
    """A twelve-year period the API accepts at the calendar's edge: the summaries' month arithmetic
    (the month after December 9999) must not overflow into a server error."""
    store.casework.execute(person(1))
    views = store.kentra.views(store.tenant.id)
    doc = reporting.indicators(views, start, end, None, answers=Answers(0))
    assert without_households(doc) == counted_from_rows(views, start, end)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2024, 3, 5), date(2024, 3, 5)),  # one day, the request's
        (date(2024, 2, 29), date(2024, 2, 29)),  # a leap day
        (date(2023, 12, 15), date(2024, 1, 15)),  # across a year's end, no whole month
        (date(2020, 1, 1), date(2020, 12, 31)),  # before any data
        (date(2025, 1, 1), date(2025, 6, 30)),  # after any data
        (date(2024, 2, 4), date(2024, 6, 30)),  # since opening, starting after the first contact only
        (date(2024, 6, 1), date(2024, 1, 1)),  # backwards (only an operator's unbounded report asks)
        (date(1, 1, 1), date(9999, 12, 31)),  # everything an operator can ask
    ],
)
def test_edge_periods_are_answered_from_the_summaries_as_the_rows_answer(
    store: StoreUnderTest, start: date, end: date
) -> None:
    store.clock.day = date(2025, 1, 31)  # so that the last day of 2024 is in the past
    casework = store.casework
    her = casework.execute(person(1, occurred_on="2024-02-03", profile__gender="female")).entry_id
    him = casework.execute(person(2, occurred_on="2024-02-29", profile__gender="male")).entry_id
    for who, day in ((her, "2024-03-05"), (him, "2024-03-05"), (her, "2024-12-31"), (him, "2024-04-02")):
        casework.execute(
            command(
                command="open_request",
                beneficiary_id=str(who),
                category="gmi",
                structure="centre",
                occurred_on=day,
            )
        )
    views = store.kentra.views(store.tenant.id)
    doc = reporting.indicators(views, start, end, None, bounded=False, answers=Answers(0))
    assert without_households(doc) == counted_from_rows(views, start, end)


def test_two_folders_racing_over_one_store_keep_the_summaries_a_derivation_would_make(store: StoreUnderTest) -> None:
    """Two processes folding one tenant's views at once (the API catching up for a reader while `kentra
    projections run` does): batches small enough that they collide; the summaries end as derived."""
    casework = store.casework
    people = [
        casework.execute(
            person(n, occurred_on=f"2024-0{1 + n % 5}-1{n % 10}", structure=("centre", "roma-branch")[n % 2])
        ).entry_id
        for n in range(12)
    ]
    for n, who in enumerate(people):
        casework.execute(
            command(
                command="open_request",
                beneficiary_id=str(who),
                category=("gmi", "housing_benefit")[n % 2],
                structure="centre",
                occurred_on=f"2024-06-{10 + n}",
            )
        )
        if n % 3 == 0:
            casework.execute(
                command(
                    command="amend_entry",
                    entry_id=str(who),
                    reason="new_information",
                    changes={"profile": {"gender": "non_binary"}},
                )
            )
    serving = store.kentra.views(store.tenant.id)
    other = CaseworkViews(serving.app, serving.engine, None, serving.sealed)
    errors: list[BaseException] = []

    def fold(views: CaseworkViews) -> None:
        try:
            while views.catch_up(limit=3):
                pass
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=fold, args=(v,)) for v in (serving, other, serving)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert serving.state()[0] == serving.head()
    with serving.engine.connect() as conn:
        for structure in (None, "centre", "roma-branch"):
            assert indicators(conn, START, END, structure) == indicators_from_rows(conn, START, END, structure)
        kept = summaries(conn)
        derive_all(conn)
        assert summaries(conn) == kept
        conn.rollback()


def test_a_regions_roll_up_keeps_its_summaries_through_corrections_as_a_derivation_would(
    store: StoreUnderTest,
) -> None:
    """The Region's store folds envelopes, not the log, one delivery at a time: an intake moved across a
    year's end, a request moved to another month and year, an activity given other people, a
    person's gender changed, a void and an erasure, delivered in several goes."""
    if store.kind != "sqlite":
        pytest.skip("the Region's store is delivered to in process on the embedded store (test_regional.py's too)")
    store.clock.day = date(2025, 3, 31)
    casework, tenant = store.casework, store.tenant
    region = tenant.region

    def deliver() -> None:
        members(store.kentra, region)

    her = casework.execute(person(1, occurred_on="2024-12-30", profile__gender="female")).entry_id
    him = casework.execute(person(2, occurred_on="2024-11-03", profile__gender="male")).entry_id
    request = casework.execute(
        command(
            command="open_request",
            beneficiary_id=str(her),
            category="gmi",
            structure="centre",
            occurred_on="2024-12-31",
        )
    ).entry_id
    activity = casework.execute(
        command(
            command="record_activity",
            kind="community_event",
            event_type="social",
            structure="centre",
            occurred_on="2025-01-15",
            beneficiary_ids=[str(her)],
            participants=3,
        )
    ).entry_id
    deliver()
    amend = "amend_entry"
    casework.execute(
        command(command=amend, entry_id=str(her), reason="typing_error", changes={"occurred_on": "2024-10-01"})
    )
    casework.execute(
        command(
            command=amend,
            entry_id=str(request),
            reason="typing_error",
            changes={"occurred_on": "2025-02-01"},
        )
    )
    deliver()
    casework.execute(
        command(
            command=amend,
            entry_id=str(activity),
            reason="typing_error",
            changes={"beneficiary_ids": [str(him)], "participants": 3},
        )
    )
    casework.execute(
        command(command=amend, entry_id=str(him), reason="new_information", changes={"profile": {"gender": "female"}})
    )
    casework.execute(command(command="void_entry", entry_id=str(request), reason="duplicate_entry"))
    deliver()
    store.kentra.erase(tenant.id, her, reason="asked", legal_ground="GDPR Art. 17", erased_by="dpo")
    deliver()
    regional = store.kentra.regional(tenant.id)
    with regional.engine.connect() as conn:
        for start, end in [(date(2024, 1, 1), date(2025, 3, 31)), (date(2024, 12, 1), date(2025, 1, 31))]:
            for structure in (None, "centre", "roma-branch"):
                assert indicators(conn, start, end, structure) == indicators_from_rows(conn, start, end, structure)
        kept = summaries(conn)
        assert kept["sets"]  # something was delivered
        derive_all(conn)
        assert summaries(conn) == kept
        conn.rollback()


def test_views_emptied_by_a_migration_are_folded_again_to_the_summaries_a_derivation_makes(
    store: StoreUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migrations 0008 to 0010 empty the views' rows and their position so that a new fold fills them
    (a store upgraded from 0007 passes through them before 0013 exists). The summaries are not rows
    those migrations know of: a fold from position zero must not keep a summary of a day it never
    touches (here a new fold that no longer counts the request, as new code may)."""
    casework = store.casework
    her = casework.execute(person(1, occurred_on="2024-02-03")).entry_id
    request = casework.execute(
        command(
            command="open_request",
            beneficiary_id=str(her),
            category="gmi",
            structure="centre",
            occurred_on="2024-03-05",
        )
    ).entry_id
    views = store.kentra.views(store.tenant.id)
    views.catch_up()
    with views.engine.begin() as conn:  # what 0008's upgrade does to a tenant's store
        for table in (case_index, contacts, people):
            conn.execute(delete(table))
        conn.execute(delete(positions).where(positions.c.view == projections.runner.VIEW))
    fold = projections.runner.apply  # type: ignore[attr-defined]

    def without_requests(conn: Any, event: Any, unseal: Any, *rest: Any) -> None:
        if getattr(event, "originator_id", None) != request:
            fold(conn, event, unseal, *rest)

    monkeypatch.setattr(projections.runner, "apply", without_requests)
    views.catch_up()
    monkeypatch.setattr(projections.runner, "apply", fold)
    with views.engine.connect() as conn:
        assert indicators(conn, START, END, None) == indicators_from_rows(conn, START, END, None)
        assert indicators(conn, START, END, None)["requests"]["total"] == 0
        kept = summaries(conn)
        derive_all(conn)
        assert summaries(conn) == kept
        conn.rollback()
