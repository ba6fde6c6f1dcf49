"""The indicators' summaries (issue 24) answer what the rows answer, kept batch by batch as derived at once.

Random casework, with corrections, voids, amended dates, structures, people and genders, and
erasures, is recorded through the real service and folded at random moments; then every period asked
(whole months, a half-year, random day ranges, since opening) answers from the summaries exactly what
the rows themselves answer (``indicators_from_rows``: the pre-summary queries, checked against an
independent fold of the raw events in test_indicators.py), and the summaries kept incrementally are
the summaries ``derive_all`` computes from the rows.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from alembic import command as alembic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, create_engine, func, select

from domain.errors import DomainError
from domain.identifiers import make_amka
from infra.migrations.runner import alembic_config, upgrade_views
from projections.queries import indicators, indicators_from_rows
from projections.summary import derive_all, unpack
from projections.tables import first_served, indicator_counts, served_sets
from tests.conftest import StoreUnderTest, command, intake
from tests.integration.test_indicators import START, TODAY, fresh_platform, step

FIXED = [
    (date(2024, 1, 1), date(2024, 6, 30)),
    (date(2024, 3, 1), date(2024, 3, 31)),
    (date(2019, 1, 1), TODAY),
    (START, TODAY),
    (date(2023, 1, 1), date(2023, 12, 31)),  # a whole year
    (date(2022, 1, 1), date(2024, 12, 31)),  # whole years
    (date(2022, 10, 15), date(2024, 2, 10)),  # edge days, edge months, a year, an edge month, edge days
]
day = st.integers(0, (TODAY - START).days + 20).map(lambda n: START - timedelta(days=10) + timedelta(days=n))


def summaries(conn: Connection) -> dict[str, Any]:
    """The summaries' contents, in an order-free form (a set's members, not its bytes)."""
    counts: dict[tuple[Any, ...], int] = defaultdict(int)
    for row in conn.execute(select(indicator_counts)):
        counts[tuple(row)[:-1]] += row.n
    return {
        "counts": dict(counts),
        "sets": {
            (r.grain, r.day, r.structure, r.gender): (r.n, sorted(unpack(r.members)))
            for r in conn.execute(select(served_sets))
        },
        "first": sorted(tuple(r) for r in conn.execute(select(first_served))),
    }


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_summaries_kept_batch_by_batch_answer_as_the_rows_and_equal_a_derivation(data: st.DataObject) -> None:
    kentra, tenant = fresh_platform()
    try:
        casework = kentra.casework(tenant)
        people: list[UUID] = []
        entries: dict[str, list[UUID]] = defaultdict(list)
        for serial in range(data.draw(st.integers(5, 30))):
            step(data, casework, people, entries, serial)
            if people and data.draw(st.integers(0, 9)) == 0:  # an erasure: the figures keep the person
                who = data.draw(st.sampled_from(people))
                with contextlib.suppress(DomainError):  # erased already, or voided: refused, nothing recorded
                    kentra.erase(tenant, who, reason="asked", legal_ground="GDPR Art. 17", erased_by="dpo")
            if data.draw(st.integers(0, 4)) == 0:
                kentra.views(tenant).catch_up(limit=data.draw(st.integers(1, 20)))
        views = kentra.views(tenant)
        views.catch_up()
        drawn = [tuple(sorted((data.draw(day), data.draw(day)))) for _ in range(4)]
        with views.engine.connect() as conn:
            for start, end in [*FIXED, *drawn]:
                for structure in (None, "centre", "roma-branch"):
                    assert indicators(conn, start, end, structure) == indicators_from_rows(
                        conn, start, end, structure
                    ), (start, end, structure)
            kept = summaries(conn)
        with views.engine.connect() as conn:
            derive_all(conn)  # in a transaction that is rolled back
            assert summaries(conn) == kept
            conn.rollback()
    finally:
        kentra.close()


def test_a_gender_change_and_a_void_move_the_people_served_and_the_requests(store: StoreUnderTest) -> None:
    casework = store.casework
    person = casework.execute(intake(occurred_on="2024-01-10", profile__gender="male")).entry_id
    request = casework.execute(
        command(
            command="open_request",
            beneficiary_id=str(person),
            category="gmi",
            structure="centre",
            occurred_on="2024-03-05",
        )
    ).entry_id
    views = store.kentra.views(store.tenant.id)
    views.catch_up()

    def served(start: date, end: date) -> dict[str, int]:
        with views.engine.connect() as conn:
            doc = indicators(conn, start, end, None)
            assert doc == indicators_from_rows(conn, start, end, None)
            return doc["beneficiaries_served"]["period"]  # type: ignore[no-any-return]

    assert served(date(2024, 3, 1), date(2024, 3, 31))["male"] == 1
    casework.execute(
        command(
            command="amend_entry",
            entry_id=str(person),
            reason="new_information",
            changes={"profile": {"gender": "female"}},
        )
    )
    views.catch_up()
    assert served(date(2024, 3, 1), date(2024, 3, 31)) == {
        "female": 1,
        "male": 0,
        "non_binary": 0,
        "unknown": 0,
        "total": 1,
    }
    assert served(date(2024, 2, 20), date(2024, 3, 9))["female"] == 1  # edge days of two months
    casework.execute(command(command="void_entry", entry_id=str(request), reason="duplicate_entry"))
    views.catch_up()
    assert served(date(2024, 3, 1), date(2024, 3, 31))["total"] == 0
    assert served(date(2019, 1, 1), date(2024, 6, 30))["total"] == 1  # the intake still served her, since opening


def test_a_store_upgraded_to_0013_answers_the_indicators_it_answered_before(store: StoreUnderTest) -> None:
    casework = store.casework
    people = [
        casework.execute(
            intake(
                occurred_on=f"2024-01-1{n}",
                profile__gender=("female", "male")[n % 2],
                personal__amka=make_amka(date(1980, 1, 1), n),
            )
        ).entry_id
        for n in range(6)
    ]
    for n, person in enumerate(people):
        casework.execute(
            command(
                command="open_request",
                beneficiary_id=str(person),
                category=("gmi", "housing_benefit")[n % 2],
                structure=("centre", "roma-branch")[n % 2],
                occurred_on=f"2024-0{2 + n % 4}-0{1 + n}",
            )
        )
    views = store.kentra.views(store.tenant.id)
    views.catch_up()
    storage = store.kentra.storage(store.tenant.id)
    engine, schema = storage.views_engine()
    if schema:  # PostgreSQL: the schema's owner changes its tables (as `kentra tenants sync` does)
        engine = create_engine(storage.owner_url.set(drivername="postgresql+psycopg"))  # type: ignore[attr-defined]
    config = alembic_config()
    with engine.begin() as connection:  # back to 0012: the rows are there, the summaries are not
        config.attributes["connection"] = connection
        config.attributes["schema"] = schema
        alembic.downgrade(config, "0012")
    periods = [
        (date(2024, 1, 1), date(2024, 6, 30)),
        (date(2024, 3, 1), date(2024, 3, 31)),
        (date(2024, 2, 3), date(2024, 4, 4)),
    ]
    with views.engine.connect() as conn:
        before = [indicators_from_rows(conn, a, b, s) for a, b in periods for s in (None, "centre")]
    if store.kind == "sqlite":
        upgrade_views(engine)
    else:
        store.kentra.provision(store.tenant.id)  # as the owner, like `kentra tenants sync`
    with views.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(served_sets)).scalar_one() > 0  # filled at once
        after = [indicators(conn, a, b, s) for a, b in periods for s in (None, "centre")]
    assert after == before
    assert after[0]["requests"]["total"] == 6


def test_periods_of_whole_years_and_across_years_follow_an_amended_date_and_a_void(store: StoreUnderTest) -> None:
    casework = store.casework
    person = casework.execute(intake(occurred_on="2021-10-20", profile__gender="female")).entry_id

    def request(on: str, category: str = "gmi") -> UUID:
        return casework.execute(
            command(
                command="open_request",
                beneficiary_id=str(person),
                category=category,
                structure="centre",
                occurred_on=on,
            )
        ).entry_id

    request("2021-10-25")  # an edge day before the edge months
    request("2021-12-30", "housing_benefit")  # an edge month
    moved = request("2022-06-15")  # whole year 2022
    voided = request("2023-03-10", "housing_benefit")  # whole year 2023
    request("2024-01-20")  # an edge month after the years
    request("2024-02-05")  # an edge day after
    request("2024-02-20")  # after the period
    views = store.kentra.views(store.tenant.id)
    views.catch_up()
    years = (date(2022, 1, 1), date(2023, 12, 31))
    across = (date(2021, 10, 15), date(2024, 2, 10))

    def requests(start: date, end: date) -> dict[str, Any]:
        with views.engine.connect() as conn:
            doc = indicators(conn, start, end, None)
            assert doc == indicators_from_rows(conn, start, end, None), (start, end)
            return doc["requests"]  # type: ignore[no-any-return]

    assert requests(*years)["total"] == 2
    assert requests(*across)["total"] == 6
    assert requests(*across)["by_category"] == [
        {"category": "gmi", "total": 4},
        {"category": "housing_benefit", "total": 2},
    ]
    casework.execute(
        command(
            command="amend_entry",
            entry_id=str(moved),
            reason="typing_error",
            changes={"occurred_on": "2021-12-01"},
        )
    )
    views.catch_up()
    assert requests(*years)["total"] == 1  # the year 2022 no longer holds it
    assert requests(*across)["total"] == 6  # the edge month does
    casework.execute(command(command="void_entry", entry_id=str(voided), reason="duplicate_entry"))
    views.catch_up()
    assert requests(*years)["total"] == 0
    across_now = requests(*across)
    assert across_now["total"] == 5
    assert across_now["by_category"] == [
        {"category": "gmi", "total": 4},
        {"category": "housing_benefit", "total": 1},
    ]
    with views.engine.connect() as conn:
        kept = summaries(conn)
        derive_all(conn)  # in a transaction that is rolled back
        assert summaries(conn) == kept
        conn.rollback()
