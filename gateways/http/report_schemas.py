"""Response bodies of the read side: indicators, ESF indicators, caseload, lag, regions, audit, privacy.

The indicators document is modelled field for field as ``projections.queries.indicators`` makes it,
so the JSON is what it was and the OpenAPI document describes it. Where a body carries parts whose
keys vary with the data (a suppressed cell's list, a restatement's changes), those parts stay open
(``dict[str, Any]``) and the routes leave unset fields out (``response_model_exclude_unset``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SPAN = ConfigDict(populate_by_name=True)


class ByGender(BaseModel):
    """A count split by gender; ``unknown`` is no person behind it."""

    female: int
    male: int
    non_binary: int
    unknown: int
    total: int


class MonthByGender(ByGender):
    month: str


class MonthTotal(BaseModel):
    month: str
    total: int


class CategoryTotal(BaseModel):
    category: str
    total: int


class KeyTotal(BaseModel):
    key: str | None
    total: int


class StructureByGender(ByGender):
    structure: str | None


class Served(BaseModel):
    per_month: list[MonthByGender]
    period: ByGender


class Requests(BaseModel):
    total: int
    per_month: list[MonthTotal]
    by_category: list[CategoryTotal]
    by_structure_and_gender: list[StructureByGender]


class Referrals(BaseModel):
    total: int
    by_structure: list[KeyTotal]
    by_destination: list[KeyTotal]
    by_outcome: list[KeyTotal]


class Activities(BaseModel):
    networking_meetings: int
    community_events: int
    by_kind: list[KeyTotal]
    home_visits_by_purpose: list[KeyTotal]


class HouseholdSize(BaseModel):
    size: str = Field(description="Members now: 1, 2, 3, 4 or 5+")
    total: int


class HouseholdsServed(BaseModel):
    """Households with a member served in the period, by their size now (docs/indicators.md; issue 23)."""

    total: int
    by_size: list[HouseholdSize]


class IndicatorFigures(BaseModel):
    """The programme indicators for a period (docs/indicators.md)."""

    model_config = SPAN

    start: str = Field(alias="from")
    end: str = Field(alias="to")
    structure: str | None
    genders: list[str]
    beneficiaries_served: Served
    requests: Requests
    referrals: Referrals
    activities: Activities
    new_beneficiaries: ByGender
    beneficiaries_since_opening: ByGender


class Indicators(IndicatorFigures):
    """One tenant's programme indicators for a period."""

    tenant: str
    # issue 23: the tenant's own figure, from its views now (not in a Region's answer nor an audit replay)
    households_served: HouseholdsServed


class EsfCode(ByGender):
    """One ESF code's participants by gender; ``refused`` where the code rests on a special category."""

    code: str
    label: str
    refused: ByGender | None = None


class EsfIndicators(BaseModel):
    model_config = SPAN

    tenant: str
    programme: str
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    structure: str | None
    participants: ByGender
    indicators: list[EsfCode]


class CaseloadRow(BaseModel):
    structure: str | None
    caseworker: str | None
    open_requests_by_age_days: dict[str, int]
    referrals_awaiting_answer: int
    referrals_awaiting_outcome: int
    home_visits_follow_up_due: int
    home_visits_follow_up_overdue: int


class Caseload(BaseModel):
    tenant: str
    as_of: str
    caseload: list[CaseloadRow]


class ViewsLag(BaseModel):
    position: int
    head: int
    events_behind: int
    seconds_behind: float


class ProjectionLag(BaseModel):
    tenant: str
    casework_views: ViewsLag


class RegionalLagFigures(BaseModel):
    """Seconds from recording in a municipality to effect in the Region's store (none yet: events 0)."""

    events: int
    p50_seconds: float | None = None
    p99_seconds: float | None = None
    max_seconds: float | None = None
    position: int | None = None


class RegionalLag(BaseModel):
    region: str
    municipalities: dict[str, RegionalLagFigures]


class RegionalMunicipality(BaseModel):
    tenant: str
    name_el: str
    indicators: dict[str, Any] = Field(description="As a municipality's indicators; hidden cells are null")


class RegionalIndicators(BaseModel):
    """A fixed period's figures per municipality and consolidated, disclosure-controlled (docs/regions.md)."""

    model_config = SPAN

    region: str
    period: str
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    disclosure_control: dict[str, Any]
    municipalities: list[RegionalMunicipality]
    consolidated: dict[str, Any] | None


class ChainReport(BaseModel):
    """The chain's verdict (``first_broken``, ``problem``, ``kind`` only when it breaks) and its checkpoints."""

    tenant: str
    ok: bool
    chained: int
    head: str
    position: int
    first_broken: int | None = None
    problem: str | None = None
    kind: str | None = None
    pending: int
    checkpoints: int
    witnessed: int
    public_key: str
    checkpoints_stored: list[dict[str, Any]]


class ReplayedPart(BaseModel):
    events: int
    up_to_position: int
    log_head: int


class ReplayedIndicators(BaseModel):
    tenant: str
    basis: str
    as_of: str
    replayed: ReplayedPart
    indicators: IndicatorFigures
    restatement: dict[str, Any]


class RevealedPerson(BaseModel):
    """A person behind a cell, for a cleared auditor; the ΑΜΚΑ is optional at intake, so may be null."""

    id: str
    first_name: str | None
    last_name: str | None
    amka: str | None


class Drilldown(BaseModel):
    """The entries, people and log events behind one cell; ``people_details`` only when revealed."""

    tenant: str
    basis: str
    as_of: str
    cell: str
    value: int
    entries: list[str]
    people: list[str]
    events_total: int
    events: list[dict[str, Any]]
    people_details: list[RevealedPerson] | None = None
    people_revealed: str | None = None


class ErasureDate(BaseModel):
    beneficiary_id: str
    earliest: str | None
    programmes: list[str]
    why: str
    allowed_today: bool


class SubjectAccess(BaseModel):
    """Everything held on one person (GDPR Art. 15)."""

    tenant: str
    beneficiary_id: str
    generated_at: str
    generated_for: str
    beneficiary: dict[str, Any]
    entries: list[dict[str, Any]]
    read_models: dict[str, list[dict[str, Any]]]
    privacy: dict[str, list[dict[str, Any]]] = {}  # issue 23: consent (information notices and consents)
    accessed_by: list[dict[str, Any]]
    documents: list[dict[str, Any]] = []  # issue 23: kind, date, filename of each document (not the bytes)


class ErasureDone(BaseModel):
    """An erasure's outcome (``earliest`` and ``legal_ground`` only when it was done now)."""

    beneficiary_id: str
    erased: bool
    already: bool
    rows_removed: int
    documents_removed: int = 0  # issue 23: the person's documents deleted with their key
    earliest: str | None = None
    legal_ground: str | None = None


class RegionalTable(BaseModel):
    """One table of the Region's dashboard: rows and columns as codes; a hidden cell is null."""

    id: str
    columns: list[str]
    rows: list[dict[str, Any]] = Field(
        description="each {key, cells}: a cell is a count, a rate, null (hidden) or '—' (no such figure)"
    )
    chart: str | None = None
    parts: list[str] | None = Field(default=None, description="since_opening: the fixed periods added up")


class RegionalDashboard(BaseModel):
    """The Region's dashboard for a period or since opening, every cell disclosure-controlled (docs/regions.md)."""

    model_config = SPAN

    region: str
    period: str
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    breakdowns: bool
    first_year: int = Field(
        description="the year since opening starts: the first centre's opening, else its earliest entry"
    )
    disclosure_control: dict[str, Any]
    municipalities: list[dict[str, Any]]
    tables: list[RegionalTable]
    figures_as_of: dict[str, dict[str, Any]]
