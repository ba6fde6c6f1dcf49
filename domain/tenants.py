"""The municipalities (tenants), their regions, programmes and structures, as validated data.

The registry is data (infra/data/tenants.toml): a new municipality is a new entry, no code change.
"""

from __future__ import annotations

import itertools
import re
from datetime import date, time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from domain.catalogue import StaffRole
from domain.consent import UnknownNoticeError
from domain.errors import InvalidValueError, UnknownOperationError, UnknownStructureError, UnknownTenantError

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$", max_length=40)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
ProgrammePeriod = Literal["2014-2020", "2021-2027"]
StructureKind = Literal["centre", "roma-branch", "migrant-branch", "mobile-unit"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Region(Record):
    id: Slug
    name_el: Text
    name_en: Text


class Programme(Record):
    """One ESF operation of a municipality: its centre's funding under one programme period.

    Each Community Centre is an operation (πράξη) with its MIS/ΟΠΣ code; a tenant has one operation per
    programme period, so the period ("2014-2020", "2021-2027") is the operation's key in events. Dates
    the sources do not give are left open: ``operations_from``/``operations_to`` bound the operation
    where known, and a tenant's operations never overlap (``Tenant.operation_on``).
    """

    period: ProgrammePeriod
    name_el: Text
    title_el: Text | None = None  # the operation's own title; the centre's name where the sources give none
    code_kind: Text | None = None
    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{4,10}$")] | None = None
    priority_axis_el: Text | None = None
    budget_eur: Decimal | None = Field(default=None, ge=0)
    budget_amended_eur: Decimal | None = Field(default=None, ge=0)
    budget_amendment_el: Text | None = None
    # Retention (domain/retention.py): which services the programme funded, and when its records end.
    operations_from: date | None = None
    operations_to: date | None = None
    accounts_year: int | None = Field(default=None, ge=2015, le=2040)  # 2014-2020: accounts submitted
    retention_years: int = Field(default=3, ge=2, le=3)  # 2014-2020: as the managing authority sets
    last_payment_year: int | None = Field(default=None, ge=2021, le=2045)  # 2021-2027

    @model_validator(mode="after")
    def _retention_fits_the_period(self) -> Programme:
        if self.period == "2021-2027" and self.accounts_year is not None:
            raise ValueError("accounts_year is for 2014-2020; 2021-2027 counts from last_payment_year")
        if self.period == "2014-2020" and self.last_payment_year is not None:
            raise ValueError("last_payment_year is for 2021-2027; 2014-2020 counts from accounts_year")
        if self.operations_from and self.operations_to and self.operations_to < self.operations_from:
            raise ValueError("operations_to is before operations_from")
        return self


class StaffPosition(Record):
    role: StaffRole
    count: int = Field(ge=1, le=50)


class OpeningHours(Record):
    kind: Literal["office", "public"]
    days: Annotated[str, StringConstraints(pattern=r"^(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?$")]
    opens: time
    closes: time

    @model_validator(mode="after")
    def _closes_after_opening(self) -> OpeningHours:
        if self.closes <= self.opens:
            raise ValueError(f"closes ({self.closes}) must be after opens ({self.opens})")
        return self


class Structure(Record):
    id: Slug
    kind: StructureKind
    name_el: Text
    address_el: Text | None = None
    staff: tuple[StaffPosition, ...] = ()
    hours: tuple[OpeningHours, ...] = ()
    # When it opened (YYYY-MM or YYYY-MM-DD), if not when the municipality's centre did.
    opened: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$")] | None = None


class ReportedFigure(Record):
    """A figure the municipality published, as the seed documents state it (used by the demo)."""

    metric: Literal[
        "beneficiaries_per_month",
        "requests_per_year",
        "new_beneficiaries_per_year",
        "beneficiaries_since_opening",
        "referrals_per_year",
        "networking_meetings_per_year",
    ]
    period: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}(-[0-9]{2})?$")]
    value: int = Field(ge=0)
    female: int | None = Field(default=None, ge=0)
    male: int | None = Field(default=None, ge=0)
    structure: Slug | None = None


class Population(Record):
    """The municipality's residents as an official count gives them, and which count (for rates per 1,000)."""

    residents: int = Field(gt=0)
    source_el: Text  # e.g. «Απογραφή 2021, ΕΛΣΤΑΤ»: a rate is only as good as the count it names


class PrivacyNotice(Record):
    """A version of the municipality's information notice (GDPR Art. 13) and the day it applies from."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    version: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")]
    from_: date = Field(alias="from")


# Where a municipality names none: the notice every centre gave since the GDPR applied (25 May 2018).
DEFAULT_NOTICES = (PrivacyNotice(version="2018-05", from_=date(2018, 5, 25)),)


class Tenant(Record):
    id: Slug
    name_el: Text
    name_en: Text
    region: Slug
    opened: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$")] | None = None
    supervised_by_el: Text | None = None
    programmes: tuple[Programme, ...] = Field(min_length=1)
    structures: tuple[Structure, ...] = Field(min_length=1)
    reported: tuple[ReportedFigure, ...] = ()
    privacy_notices: tuple[PrivacyNotice, ...] = Field(default=DEFAULT_NOTICES, min_length=1)  # issue 23: consent
    # issue 26: the Region's rates per 1,000 residents; left out where no source in the registry gives it
    population: Population | None = None

    @field_validator("opened")
    @classmethod
    def _real_date(cls, value: str | None) -> str | None:
        if value is not None:
            date.fromisoformat(value if len(value) == 10 else value + "-01")
        return value

    @model_validator(mode="after")
    def _operations_apart(self) -> Tenant:
        periods = [p.period for p in self.programmes]
        if len(set(periods)) != len(periods):
            raise ValueError(f"one operation per programme period: {periods}")
        codes = [p.code for p in self.programmes if p.code]
        if len(set(codes)) != len(codes):
            raise ValueError(f"MIS codes repeat: {codes}")
        spans = sorted((p.operations_from or date.min, p.operations_to or date.max) for p in self.programmes)
        for (_, first_end), (second_start, _) in itertools.pairwise(spans):
            if second_start <= first_end:
                raise ValueError("two operations of the tenant overlap: a date belongs to one operation")
        return self

    @model_validator(mode="after")
    def _structures_unique(self) -> Tenant:
        ids = [s.id for s in self.structures]
        if len(set(ids)) != len(ids):
            raise ValueError(f"structure ids repeat: {ids}")
        if "centre" not in ids:
            raise ValueError("every tenant has a structure with id 'centre'")
        for figure in self.reported:
            if figure.structure is not None and figure.structure not in ids:
                raise ValueError(f"reported figure names unknown structure {figure.structure!r}")
        return self

    @property
    def opened_on(self) -> date | None:
        """The opening date; the 1st of the month where the sources give only the month."""
        if self.opened is None:
            return None
        return date.fromisoformat(self.opened if len(self.opened) == 10 else self.opened + "-01")

    def opened_on_for(self, structure_id: str) -> date | None:
        """When a structure opened: its own date, else the centre's; None where the sources give neither."""
        own = next((s.opened for s in self.structures if s.id == structure_id), None)
        if own is not None:
            return date.fromisoformat(own if len(own) == 10 else own + "-01")
        return self.opened_on

    # ------------------------------------------------------------------ operations (ESF, issue 21)
    def operation(self, key: str) -> Programme:
        """An operation by its MIS/ΟΠΣ code or its programme period; UnknownOperationError otherwise."""
        for programme in self.programmes:
            if key in (programme.code, programme.period):
                return programme
        raise UnknownOperationError(self.id, key)

    def operation_on(self, day: date) -> Programme | None:
        """The operation a date belongs to, or None for a date outside every operation."""
        for programme in self.programmes:
            if (programme.operations_from or date.min) <= day <= (programme.operations_to or date.max):
                return programme
        return None

    def operation_title(self, programme: Programme) -> str:
        """The operation's title: its own, else the centre's name (each centre is an operation)."""
        return programme.title_el or self.structure("centre").name_el

    def operation_span(self, programme: Programme) -> tuple[date | None, date | None]:
        """The operation's first and last day where known (None: the sources do not say)."""
        return programme.operations_from, programme.operations_to

    # ------------------------------------------------------------------ information notices (issue 23: consent)
    @model_validator(mode="after")
    def _notices_apart(self) -> Tenant:
        versions = [n.version for n in self.privacy_notices]
        if len(set(versions)) != len(versions):
            raise ValueError(f"privacy notice versions repeat: {versions}")
        return self

    def privacy_notice(self, version: str, day: date) -> PrivacyNotice:
        """The notice of this version, if it was in use on that day; refused (naming the field) otherwise."""
        for notice in self.privacy_notices:
            if notice.version == version:
                if day < notice.from_:
                    raise InvalidValueError(
                        f"notice {version!r} applies from {notice.from_}; it was not given on {day}",
                        field="notice_version",
                    )
                return notice
        raise UnknownNoticeError(version, (n.version for n in self.privacy_notices))

    def notice_on(self, day: date) -> PrivacyNotice | None:
        """The notice in force on a day: the latest one applying by then (what a form preselects)."""
        applying = [n for n in self.privacy_notices if n.from_ <= day]
        return max(applying, key=lambda n: n.from_) if applying else None

    def structure(self, structure_id: str) -> Structure:
        for structure in self.structures:
            if structure.id == structure_id:
                return structure
        raise UnknownStructureError(self.id, structure_id)

    @property
    def storage_name(self) -> str:
        """A name safe as a PostgreSQL schema or a directory: the id with '-' turned into '_'."""
        return "tenant_" + re.sub(r"[^a-z0-9]", "_", self.id)


class TenantRegistry(Record):
    schema_version: Literal[1]
    regions: tuple[Region, ...] = Field(min_length=1)
    tenants: tuple[Tenant, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> TenantRegistry:
        region_ids = [r.id for r in self.regions]
        if len(set(region_ids)) != len(region_ids):
            raise ValueError(f"region ids repeat: {region_ids}")
        tenant_ids = [t.id for t in self.tenants]
        if len(set(tenant_ids)) != len(tenant_ids):
            raise ValueError(f"tenant ids repeat: {tenant_ids}")
        for tenant in self.tenants:
            if tenant.region not in region_ids:
                raise ValueError(f"tenant {tenant.id!r} names unknown region {tenant.region!r}")
        storage = [t.storage_name for t in self.tenants]
        if len(set(storage)) != len(storage):
            raise ValueError("two tenant ids map to the same storage name")
        return self

    def tenant(self, tenant_id: str) -> Tenant:
        for tenant in self.tenants:
            if tenant.id == tenant_id:
                return tenant
        raise UnknownTenantError(tenant_id)

    def region(self, region_id: str) -> Region:
        for region in self.regions:
            if region.id == region_id:
                return region
        raise ValueError(f"unknown region {region_id!r}")

    def tenants_of(self, region_id: str) -> tuple[Tenant, ...]:
        return tuple(t for t in self.tenants if t.region == region_id)
