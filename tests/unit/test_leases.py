"""The lease arithmetic on SQLite: fair shares, hand-overs, expiry by the database's clock, fencing tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine

from infra.leases import Leases, create_tables, database_now, fair_share
from infra.positions import Positions
from projections.tables import metadata as views_metadata

TENANTS = ["a", "b", "c", "d", "e"]


class Clock:
    """The database's clock as the leases see it, moved by the test instead of waited for."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self, conn: Connection) -> float:
        return self.now


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{tmp_path / 'platform.sqlite'}")
    create_tables(engine)
    return engine


@pytest.fixture
def clock() -> Clock:
    return Clock()


def replica(engine: Engine, clock: Clock, name: str, seconds: float = 10.0) -> Leases:
    return Leases(engine, "gateway", seconds=seconds, holder=name, clock=clock)


def settle(*replicas: Leases, tenants: list[str] = TENANTS) -> None:
    """Rounds in turn until nobody takes or gives back anything (once all of them are members)."""
    for leases in replicas:
        leases.renew(tenants)
    for _ in range(10):
        changed = False
        for leases in replicas:
            result = leases.renew(tenants)
            changed = changed or bool(result.taken or result.released)
        if not changed:
            return
    raise AssertionError("the replicas never settled")


def test_fair_share_leaves_no_tenant_over() -> None:
    assert [fair_share(5, n) for n in (1, 2, 3, 5, 6)] == [5, 3, 2, 1, 1]


def test_one_replica_takes_every_tenant(engine: Engine, clock: Clock) -> None:
    alone = replica(engine, clock, "one")
    result = alone.renew(TENANTS)
    assert result.taken == set(TENANTS)
    assert alone.held == TENANTS
    assert all(alone.token(t) == 1 for t in TENANTS)


def test_a_new_replica_gets_a_fair_share_given_back(engine: Engine, clock: Clock) -> None:
    first, second = replica(engine, clock, "first"), replica(engine, clock, "second")
    first.renew(TENANTS)
    settle(first, second)
    assert sorted(first.held + second.held) == TENANTS  # every tenant followed, by one replica only
    assert sorted([len(first.held), len(second.held)]) == [2, 3]


def test_three_replicas_split_without_overlap(engine: Engine, clock: Clock) -> None:
    replicas = [replica(engine, clock, name) for name in ("x", "y", "z")]
    settle(*replicas)
    held = [t for leases in replicas for t in leases.held]
    assert sorted(held) == TENANTS
    assert max(len(leases.held) for leases in replicas) == 2


def test_a_replica_that_stops_renewing_loses_its_tenants_once_the_lease_expires(engine: Engine, clock: Clock) -> None:
    dead, alive = replica(engine, clock, "dead"), replica(engine, clock, "alive")
    settle(dead, alive)
    lost = dead.held
    clock.now += 9.0  # not yet expired: renewed by the living one only
    alive.renew(TENANTS)
    assert not set(alive.held) & set(lost)
    clock.now += 2.0  # past the dead one's lease and membership
    alive.renew(TENANTS)
    assert alive.held == TENANTS
    assert all(alive.token(t) == 2 for t in lost)  # a new holder: a new token


def test_a_live_replica_keeps_its_leases_across_many_periods(engine: Engine, clock: Clock) -> None:
    one, two = replica(engine, clock, "one"), replica(engine, clock, "two")
    settle(one, two)
    before = {t: one.token(t) for t in one.held}
    for _ in range(10):
        clock.now += 4.0
        one.renew(TENANTS)
        two.renew(TENANTS)
    assert {t: one.token(t) for t in one.held} == before


def test_a_clean_stop_hands_every_tenant_over_at_once(engine: Engine, clock: Clock) -> None:
    leaving, staying = replica(engine, clock, "leaving"), replica(engine, clock, "staying")
    settle(leaving, staying)
    leaving.release_all()
    staying.renew(TENANTS)
    assert staying.held == TENANTS


def test_a_tenant_dropped_from_the_list_is_given_back(engine: Engine, clock: Clock) -> None:
    leases = replica(engine, clock, "one")
    leases.renew(TENANTS)
    result = leases.renew(TENANTS[:3])
    assert result.released == set(TENANTS[3:])
    assert leases.held == TENANTS[:3]


def test_a_replica_of_another_tenant_list_does_not_shrink_our_share(engine: Engine, clock: Clock) -> None:
    ours, theirs = replica(engine, clock, "ours"), replica(engine, clock, "theirs")
    theirs.renew(["other-1", "other-2"])
    ours.renew(TENANTS)
    assert ours.held == TENANTS  # counted alone: the other follows none of ours


def test_a_lease_is_held_no_longer_than_the_last_renewal_allows(engine: Engine, clock: Clock) -> None:
    leases = replica(engine, clock, "one", seconds=30.0)
    leases.renew(TENANTS)
    assert leases.holds("a", margin=10.0)
    assert not leases.holds("a", margin=31.0)  # the margin reaches past the lease
    assert not leases.holds("not-a-tenant")


def test_the_database_clock_is_read_on_sqlite(engine: Engine) -> None:
    with engine.connect() as conn:
        first = database_now(conn)
        assert database_now(conn) >= first > 1.7e9


@pytest.fixture
def positions(tmp_path: Path) -> Positions:
    views = create_engine(f"sqlite:///{tmp_path / 'views.sqlite'}")
    views_metadata.create_all(views)
    return Positions(views)


def test_a_position_moves_only_under_the_token_that_holds_the_lease(positions: Positions) -> None:
    assert positions.claim(("gateway", 1))
    assert positions.advance("gateway:topic", 0, 10, fence=("gateway", 1))
    assert positions.claim(("gateway", 2))  # a new holder took the lease over
    assert not positions.advance("gateway:topic", 10, 20, fence=("gateway", 1))  # the old one resumes
    assert not positions.mark("gateway:inflight:0", 5, fence=("gateway", 1))
    assert positions.get("gateway:topic") == 10
    assert positions.advance("gateway:topic", 10, 20, fence=("gateway", 2))
    assert not positions.claim(("gateway", 1))  # an older token never comes back
    assert positions.get("gateway:topic") == 20


def test_a_move_forgets_the_marks_of_the_batch(positions: Positions) -> None:
    positions.claim(("gateway", 1))
    positions.mark("gateway:inflight:3", 42, fence=("gateway", 1))
    assert positions.starting("gateway:inflight:") == {"gateway:inflight:3": 42}
    positions.advance("gateway:topic", 0, 7, fence=("gateway", 1), clear="gateway:inflight:")
    assert positions.starting("gateway:inflight:") == {}
