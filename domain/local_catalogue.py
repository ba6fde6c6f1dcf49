"""A municipality's own catalogue (issue 23): local request categories, agencies, activity kinds and
visit purposes, each mapped to a national code of its kind.

One aggregate per tenant (``catalogue_id``), in the tenant's own log. A record keeps the national
code in its field (what every view, indicator and Region counts) and the local code beside it. A
local code carries the ``local_`` prefix, so that no national code added later can collide with it.
A retired entry stays (old records keep reading its label) but takes no new records.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, DomainEvent, event

from domain.catalogue import ActivityKind, Agency, HomeVisitPurpose, Labelled, RequestCategory
from domain.errors import InvalidTransitionError, InvalidValueError

# The kinds a municipality extends, by name, with the national catalogue each maps into.
KINDS: dict[str, type[Labelled]] = {
    "request_category": RequestCategory,
    "agency": Agency,
    "activity_kind": ActivityKind,
    "visit_purpose": HomeVisitPurpose,
}
LOCAL_PREFIX = "local_"
# At most 40 characters, as the views' code columns; lower-case Latin letters, digits and "_".
CODE_PATTERN = r"^local_[a-z0-9][a-z0-9_]{0,33}$"
_CODE = re.compile(CODE_PATTERN)
LABEL_MAX = 120
_NAMESPACE = UUID("5d0a3c1e-7f0b-4c55-9a43-2f6c1a8e9b10")


def catalogue_id(tenant_id: str) -> UUID:
    """The one catalogue of a tenant."""
    return uuid5(_NAMESPACE, f"local-catalogue:{tenant_id}")


def is_local(code: str) -> bool:
    return code.startswith(LOCAL_PREFIX)


class LocalCodeError(InvalidValueError):
    """A local code that is malformed, unknown in this municipality, retired, or taken."""


class RetiredLocalCodeError(LocalCodeError):
    def __init__(self, code: str, field: str) -> None:
        super().__init__(
            f"ο τοπικός κωδικός {code!r} έχει αποσυρθεί: δεν δέχεται νέες καταχωρίσεις"
            f" (the local code {code!r} is retired: no new records in it)",
            field=field,
        )


class UnknownLocalCodeError(LocalCodeError):
    def __init__(self, kind: str, code: str, field: str) -> None:
        super().__init__(
            f"άγνωστος κωδικός {code!r} ({kind}) σε αυτόν τον δήμο (unknown {kind} code {code!r})", field=field
        )


@dataclass(frozen=True)
class LocalEntry:
    """One entry of the catalogue, as it stands now."""

    kind: str
    code: str
    label_el: str
    label_en: str
    national: str
    added_on: date
    retired_on: date | None = None

    @property
    def active(self) -> bool:
        return self.retired_on is None

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_el


def check_kind(kind: str) -> type[Labelled]:
    national = KINDS.get(kind)
    if national is None:
        raise InvalidValueError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}", field="kind")
    return national


def check_label(text: str, field: str) -> str:
    """A label: 1 to 120 printable characters, surrounding spaces dropped (shown escaped wherever shown)."""
    label = " ".join(text.split())
    if not label:
        raise InvalidValueError(f"{field} is required", field=field)
    if len(label) > LABEL_MAX:
        raise InvalidValueError(f"{field} is longer than {LABEL_MAX} characters", field=field)
    if any(unicodedata.category(ch).startswith("C") for ch in label):
        raise InvalidValueError(f"{field} has control characters", field=field)
    return label


class LocalCatalogue(Aggregate):
    """A tenant's own entries, each (kind, code) once, mapped to a national code of that kind."""

    KIND: ClassVar[str] = "local_catalogue"

    if TYPE_CHECKING:
        Started: ClassVar[type[DomainEvent]]
        EntryAdded: ClassVar[type[DomainEvent]]
        EntryRetired: ClassVar[type[DomainEvent]]
        EntryRelabelled: ClassVar[type[DomainEvent]]

    @event("Started")
    def __init__(self, *, id: UUID, tenant: str) -> None:
        self.tenant = tenant
        self.entries: dict[tuple[str, str], LocalEntry] = {}

    @classmethod
    def start(cls, tenant: str) -> LocalCatalogue:
        return cls(id=catalogue_id(tenant), tenant=tenant)

    # ------------------------------------------------------------------ rules
    def add(
        self,
        *,
        kind: str,
        code: str,
        label_el: str,
        label_en: str,
        national: str,
        occurred_on: date,
        recorded_by: str,
    ) -> None:
        """A new local entry: a prefixed code not used for this kind, mapped to a national code of its kind."""
        catalogue = check_kind(kind)
        if not _CODE.match(code):
            raise LocalCodeError(
                f"a local code starts with {LOCAL_PREFIX!r} and has at most 40 lower-case Latin letters, digits or '_'",
                field="code",
            )
        if (kind, code) in self.entries:
            raise LocalCodeError(f"the {kind} code {code!r} exists already (retired ones too)", field="code")
        if national not in catalogue._value2member_map_:
            raise InvalidValueError(f"{national!r} is no national {kind} code", field="national")
        self._entry_added(
            kind=kind,
            code=code,
            label_el=check_label(label_el, "label_el"),
            label_en=check_label(label_en, "label_en"),
            national=national,
            occurred_on=occurred_on,
            recorded_by=recorded_by,
        )

    @event("EntryAdded")
    def _entry_added(
        self,
        *,
        kind: str,
        code: str,
        label_el: str,
        label_en: str,
        national: str,
        occurred_on: date,
        recorded_by: str,
    ) -> None:
        self.entries[(kind, code)] = LocalEntry(kind, code, label_el, label_en, national, occurred_on)

    def retire(self, *, kind: str, code: str, occurred_on: date, recorded_by: str) -> None:
        entry = self.entry(kind, code, "code")
        if not entry.active:
            raise InvalidTransitionError(f"the {kind} code {code!r} is retired already")
        self._entry_retired(kind=kind, code=code, occurred_on=occurred_on, recorded_by=recorded_by)

    @event("EntryRetired")
    def _entry_retired(self, *, kind: str, code: str, occurred_on: date, recorded_by: str) -> None:
        key = (kind, code)
        self.entries[key] = replace(self.entries[key], retired_on=occurred_on)

    def relabel(
        self, *, kind: str, code: str, label_el: str, label_en: str, occurred_on: date, recorded_by: str
    ) -> None:
        """New words for an entry; its code and national mapping never change (records keep both)."""
        entry = self.entry(kind, code, "code")
        new_el, new_en = check_label(label_el, "label_el"), check_label(label_en, "label_en")
        if (new_el, new_en) == (entry.label_el, entry.label_en):
            raise InvalidValueError("the labels are those the entry has", field="label_el")
        self._entry_relabelled(
            kind=kind, code=code, label_el=new_el, label_en=new_en, occurred_on=occurred_on, recorded_by=recorded_by
        )

    @event("EntryRelabelled")
    def _entry_relabelled(
        self, *, kind: str, code: str, label_el: str, label_en: str, occurred_on: date, recorded_by: str
    ) -> None:
        key = (kind, code)
        self.entries[key] = replace(self.entries[key], label_el=label_el, label_en=label_en)

    # ------------------------------------------------------------------ reading
    def entry(self, kind: str, code: str, field: str) -> LocalEntry:
        check_kind(kind)
        found = self.entries.get((kind, code))
        if found is None:
            raise UnknownLocalCodeError(kind, code, field)
        return found

    def of_kind(self, kind: str) -> list[LocalEntry]:
        return [e for (k, _), e in sorted(self.entries.items()) if k == kind]


def resolve(catalogue: LocalCatalogue | None, kind: str, code: str, field: str) -> tuple[str, str | None]:
    """A code given for a new record: (the national code to store, the local one or None). A national
    code stands for itself; a local one must be this municipality's and active."""
    national = check_kind(kind)
    if code in national._value2member_map_:
        return code, None
    if not is_local(code) or catalogue is None:
        raise UnknownLocalCodeError(kind, code, field)
    entry = catalogue.entry(kind, code, field)
    if not entry.active:
        raise RetiredLocalCodeError(code, field)
    return entry.national, entry.code
