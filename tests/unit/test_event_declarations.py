"""What leaves the municipality is declared once, by class (domain/events.py), and the read side
follows the declaration: every event an aggregate records is declared published or internal, and the
fold has a rule for every published one."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import cast
from uuid import uuid4

from eventsourcing.domain import Aggregate, CanInitAggregate, DecoratedFuncCaller, DomainEvent
from eventsourcing.utils import get_topic

import domain
from domain.entries import CaseEntry
from domain.events import (
    ENTRY_KINDS,
    INTERNAL,
    PUBLISHED,
    PUBLISHED_CHANGES,
    EventClass,
    is_published,
    published_topic,
)
from domain.tenants import Tenant
from gateways.kafka.envelope import envelope
from projections import fold
from services import commands
from services.importing import LAYOUTS


def recorded_event_classes() -> set[EventClass]:
    """Every event class an aggregate of domain/ records: its creation event and its decorated
    methods' events (not the copies the library makes of a base class's events, never recorded)."""
    found: set[EventClass] = set()
    for info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"domain.{info.name}")
        for aggregate in vars(module).values():
            if not (inspect.isclass(aggregate) and issubclass(aggregate, Aggregate)):
                continue
            if aggregate.__module__ != module.__name__:
                continue
            for name, cls in vars(aggregate).items():
                if not (inspect.isclass(cls) and issubclass(cls, DomainEvent)):
                    continue
                created = issubclass(cls, CanInitAggregate) and name != "Created"
                if created or DecoratedFuncCaller in cls.__bases__:
                    found.add(cls)
    return found


def test_every_event_an_aggregate_records_is_declared_published_or_internal() -> None:
    recorded = recorded_event_classes()
    assert recorded, "no event class found: the search above is broken"
    undeclared = {cls.__qualname__ for cls in recorded} - {cls.__qualname__ for cls in (*PUBLISHED, *INTERNAL)}
    assert not undeclared, f"declare these in domain/events.py, PUBLISHED or INTERNAL: {sorted(undeclared)}"
    assert not set(PUBLISHED) & set(INTERNAL)
    assert set(PUBLISHED) | set(INTERNAL) <= recorded  # nothing declared that nothing records


def test_the_fold_has_a_rule_for_every_published_event_and_folds_nothing_else() -> None:
    assert set(PUBLISHED) == fold.FOLDED | fold.UNFOLDED
    assert not fold.FOLDED & fold.UNFOLDED
    for cls in PUBLISHED:
        assert fold.folds(get_topic(cls)) == (cls in fold.FOLDED)


def test_the_municipalitys_own_views_read_internal_events_that_the_region_never_receives() -> None:
    assert fold.MUNICIPAL, "no internal event is folded: drop this test with the set"
    for cls in fold.MUNICIPAL:
        assert cls in INTERNAL
        assert not is_published(cls)
        assert fold.folds(get_topic(cls))
    for cls in set(INTERNAL) - fold.MUNICIPAL:
        assert not fold.folds(get_topic(cls))


def test_an_undeclared_event_class_is_not_published() -> None:
    class Undeclared(CaseEntry.Event):
        pass

    assert not is_published(Undeclared)
    assert not published_topic(get_topic(Undeclared))
    for cls in INTERNAL:
        assert not is_published(cls)
        assert not published_topic(get_topic(cls))
    assert all(is_published(cls) and published_topic(get_topic(cls)) for cls in PUBLISHED)


def test_every_list_of_amendable_fields_derives_from_the_aggregates() -> None:
    for kind, entry in ENTRY_KINDS.items():
        assert tuple(commands.CHANGES_BY_KIND[kind].model_fields) == entry.AMENDABLE
        assert set(entry.AMENDABLE) >= entry.UNPUBLISHED
    assert "agency_reference" not in PUBLISHED_CHANGES  # the other agency's protocol number stays home
    for layout in LAYOUTS.values():
        entry = ENTRY_KINDS[layout.entry.KIND]
        columns = {column.path for column in layout.columns}
        assert set(layout.amendable) == set(entry.AMENDABLE) & columns


class CaseNoteAdded:
    """An event class someone might add to an aggregate and forget to declare (domain/events.py)."""

    def __init__(self) -> None:
        self.originator_id = uuid4()
        self.originator_version = 2
        self.occurred_on = date(2024, 5, 2)
        self.structure = "centre"
        self.timestamp = datetime(2024, 5, 2, 9, tzinfo=UTC)
        self.note = "personal words about someone"


def test_a_new_event_class_is_not_published_to_the_region_until_it_is_declared() -> None:
    tenant = cast(Tenant, SimpleNamespace(id="sofades", region="thessaly"))
    message = envelope(tenant, 7, CaseNoteAdded(), lambda entry: entry, lambda _token: None)
    assert message is None
