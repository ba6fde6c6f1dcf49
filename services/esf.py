"""A tenant's ESF operations and the delivery of one operation to its managing authority.

The delivery is the indicator table (outputs and results by gender) and the participant file (one row
per participant) for a period wholly inside the operation, with the operation's metadata (MIS/ΟΠΣ
code, title, programme, priority axis, budget) so that every file says what it is about. People are
named by a pseudonym keyed per tenant and purpose: stable across deliveries (an entry and its exit
link), and distinct from the Regions' Kafka pseudonym, so the managing authority's file cannot be
joined with a Region's stream. Who may deliver is ``services.access.may_deliver_esf`` (the gateways
ask it before calling here).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol
from uuid import UUID

from domain.tenants import Programme, Tenant
from projections import esf_queries
from projections.runner import CaseworkViews
from services.reporting import checked_operation, fresh

PURPOSE = "esf-delivery"  # the pseudonyms' purpose: a new purpose gets unlinkable pseudonyms
PARTS = ("indicators", "participants")
__all__ = ["PARTS", "PURPOSE", "checked_operation", "delivery", "described", "operation_meta", "operations"]


class PurposePseudonyms(Protocol):
    """The tenant's keyed pseudonym of an id for one purpose (``infra.crypto.TenantKeys``)."""

    def pseudonym_for(self, purpose: str, identifier: UUID) -> UUID: ...


def _money(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


def operation_meta(tenant: Tenant, programme: Programme) -> dict[str, Any]:
    """What identifies an operation in a file: its code, title, programme, axis, budget and span
    (None where the registry does not say)."""
    first, last = tenant.operation_span(programme)
    return {
        "key": programme.period,
        "period": programme.period,
        "code": programme.code,
        "code_kind": programme.code_kind,
        "title": tenant.operation_title(programme),
        "programme": programme.name_el,
        "priority_axis": programme.priority_axis_el,
        "budget_eur": _money(programme.budget_eur),
        "budget_amended_eur": _money(programme.budget_amended_eur),
        "budget_amendment": programme.budget_amendment_el,
        "from": None if first is None else first.isoformat(),
        "to": None if last is None else last.isoformat(),
    }


def operations(tenant: Tenant) -> list[dict[str, Any]]:
    """The tenant's operations, oldest programme first."""
    return [operation_meta(tenant, p) for p in sorted(tenant.programmes, key=lambda p: p.period)]


def described(tenant: Tenant, programme: Programme, doc: dict[str, Any]) -> dict[str, Any]:
    """A delivery document with the tenant and the operation's metadata (the files' header rows)."""
    return {
        **doc,
        "tenant": tenant.id,
        "municipality": tenant.name_el,
        "programme": programme.period,
        "operation": operation_meta(tenant, programme),
    }


def _pseudonymised(keys: PurposePseudonyms, person: dict[str, Any]) -> dict[str, Any]:
    """A participant's row without the beneficiary's id (the purpose's pseudonym instead) nor their
    structure: that someone is served by the Roma branch is ethnic origin (GDPR Art. 9), which the
    managing authority's file would tell even of a person who refused the minority question. A file
    of one structure says so once, in its header."""
    row = {k: v for k, v in person.items() if k not in ("beneficiary_id", "structure")}
    identifier = person["beneficiary_id"]
    own = identifier if isinstance(identifier, UUID) else UUID(str(identifier))
    return {"participant": str(keys.pseudonym_for(PURPOSE, own)), **row}


def delivery(
    views: CaseworkViews,
    tenant: Tenant,
    key: str,
    start: date,
    end: date,
    *,
    keys: PurposePseudonyms,
    structure: str | None = None,
) -> dict[str, Any]:
    """An operation's delivery for a period: the indicators, the participants (pseudonymous), and the
    operation's metadata. The views are caught up first, so the file includes everything recorded."""
    programme = checked_operation(tenant, key, start, end)
    if structure is not None:
        tenant.structure(structure)  # an unknown structure is refused, not answered with zeros
    doc = fresh(views).read(esf_queries.esf_delivery, programme.period, start, end, structure)
    people = [_pseudonymised(keys, p) for p in doc.get("people", [])]
    return described(tenant, programme, {**doc, "people": people})
