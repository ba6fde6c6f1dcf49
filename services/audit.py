"""The auditor's questions of one tenant: the chain, its export, indicators replayed as of a day, drill-down.

Every question is recorded as an ``AuditQuery`` event in the tenant's own log before it is answered
(``asked``), refused ones too. Who may ask is ``services.access.may_audit``; who may see the people
behind a figure is ``services.access.sees_personal_data``. Replayed figures come from the raw log
(``projections.replay``), read through the query functions like the live views.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal, Protocol
from uuid import UUID

from domain.errors import InvalidValueError
from projections import queries, restatement
from projections.audit import AuditChain
from projections.audit_export import export_lines
from projections.cells import UnknownCellError
from projections.replay import replay
from services.access import Principal, sees_personal_data
from services.casework import Casework
from services.reporting import checked_period

Basis = Literal["occurred", "recorded"]
MAX_REVEALED = 200


class Pseudonyms(Protocol):
    """The tenant's keyed pseudonym of an id (``infra.crypto.TenantKeys``)."""

    def pseudonym(self, identifier: UUID) -> UUID: ...


def asked(casework: Casework, user: Principal, endpoint: str, **parameters: Any) -> None:
    """Record the question in the tenant's log before answering it."""
    casework.record_audit_query(
        asked_by=user.username,
        role=user.role.value,
        endpoint=endpoint,
        parameters={k: str(v) for k, v in parameters.items() if v is not None},
    )


@dataclass(frozen=True)
class AuditScope:
    """The terms every replayed question shares, checked: a period, a structure, a day and a basis."""

    start: date
    end: date
    structure: str | None
    as_of: date
    basis: Basis

    def terms(self) -> dict[str, Any]:
        """The terms as recorded with the question (those given)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def audit_scope(  # noqa: PLR0917 - the terms of a question, as the API and the page pass them
    casework: Casework, start: date, end: date, structure: str | None, as_of: date | None, basis: Basis
) -> AuditScope:
    """The terms checked: a forward period, a known structure, a day not in the future (default today)."""
    checked_period(start, end)
    if structure is not None:
        casework.tenant.structure(structure)
    today = casework.today()
    if as_of is not None and as_of > today:
        raise InvalidValueError("as_of is in the future", field="as_of")
    return AuditScope(start, end, structure, as_of or today, basis)


def chain_report(casework: Casework, user: Principal, chain: AuditChain) -> dict[str, Any]:
    """The chain verified now (what broke first, if anything), its public key and latest checkpoints."""
    asked(casework, user, "GET /audit/chain")
    verdict = chain.verify()
    return {
        "tenant": casework.tenant.id,
        **verdict.as_dict(),
        "public_key": chain.public_key,
        "checkpoints_stored": [c.as_dict() for c in chain.checkpoints()][-20:],
    }


@dataclass(frozen=True)
class Export:
    """The chained log as JSON lines up to ``position``, with a checkpoint signed for it."""

    lines: Iterator[str]
    position: int


def export(casework: Casework, user: Principal, chain: AuditChain) -> Export:
    """The export, once the chain is extended and verified whole; a broken chain is not exported."""
    asked(casework, user, "GET /audit/export")
    chain.extend()
    verdict = chain.verify()
    if not verdict.ok:
        raise InvalidValueError(
            f"the chain breaks at position {verdict.first_broken}: {verdict.problem}; not exported", field="tenant"
        )
    earlier, final = chain.checkpoints(), chain.checkpoint()

    def lines() -> Iterator[str]:
        for line in export_lines(casework.tenant.id, chain.stored_events(), earlier, final):
            yield line + "\n"

    return Export(lines(), final.position)


def _names(keys: Pseudonyms, casework: Casework, user: Principal, reveal: bool) -> restatement.NameEntry:
    """Entries by id; people by the tenant's pseudonym unless the auditor may and asks to see them."""
    show = reveal and sees_personal_data(user, casework.tenant.id)

    def name(entry_id: UUID, person: bool) -> str:
        return str(entry_id) if show or not person else f"pseudonym:{keys.pseudonym(entry_id)}"

    return name


def replayed_indicators(casework: Casework, keys: Pseudonyms, user: Principal, scope: AuditScope) -> dict[str, Any]:
    """The indicators recomputed from the raw log as of a day, with what was restated since."""
    asked(casework, user, "GET /audit/indicators", **scope.terms())
    replayed = replay(casework, casework.vault, scope.as_of)
    try:
        chosen = replayed.basis(scope.basis)
        doc = chosen.read(queries.indicators, scope.start, scope.end, scope.structure)
        names = _names(keys, casework, user, reveal=False)
        return {
            "tenant": casework.tenant.id,
            "basis": scope.basis,
            "as_of": scope.as_of.isoformat(),
            "replayed": {"events": chosen.events, "up_to_position": chosen.position, "log_head": replayed.head},
            "indicators": doc,
            "restatement": restatement.restatement(
                replayed, scope.start, scope.end, structure=scope.structure, name=names
            ),
        }
    finally:
        replayed.close()


def drilldown(  # noqa: PLR0917 - the question's terms, each checked
    casework: Casework, keys: Pseudonyms, user: Principal, scope: AuditScope, cell: str, reveal: bool, limit: int
) -> dict[str, Any]:
    """The entries, people and log events behind one cell; with ``reveal``, who the people are (logged)."""
    tenant = casework.tenant.id
    asked(casework, user, "GET /audit/drilldown", **scope.terms(), cell=cell, reveal=reveal)  # refused ones too
    if reveal and not sees_personal_data(user, tenant):
        raise InvalidValueError("this account may not see personal data: ask without reveal", field="reveal")
    replayed = replay(casework, casework.vault, scope.as_of)
    names = _names(keys, casework, user, reveal)
    try:
        found = replayed.basis(scope.basis).read(
            restatement.drilldown, cell, scope.start, scope.end, structure=scope.structure, name=names, limit=limit
        )
    except UnknownCellError as error:
        raise InvalidValueError(str(error), field="cell") from None
    finally:
        replayed.close()
    result = {"tenant": tenant, "basis": scope.basis, "as_of": scope.as_of.isoformat(), **found}
    if reveal:
        result["people_details"] = _reveal(casework, user, found["people"][:MAX_REVEALED])
        result["people_revealed"] = f"{len(result['people_details'])} of {len(found['people'])}"
    return result


def _reveal(casework: Casework, user: Principal, people: list[str]) -> list[dict[str, Any]]:
    """Names and ΑΜΚΑ of the people behind a cell; each read is recorded as personal-data access."""
    details = []
    for text in people:
        person_id = UUID(text)
        casework.record_access(
            person_id, accessed_by=user.username, role=user.role.value, endpoint="GET /audit/drilldown"
        )
        entry = casework.entry(person_id)
        opened = casework.personal_data(entry) or {}
        personal = opened.get("personal", {})
        details.append(
            {
                "id": text,
                "first_name": personal.get("first_name", "[erased]"),
                "last_name": personal.get("last_name", "[erased]"),
                "amka": personal.get("amka", "[erased]"),
            }
        )
    return details
