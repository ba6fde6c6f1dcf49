"""How the households events change the municipality's own views (issue 23).

``Household.*`` events keep ``view_households`` (where, when, and the size now: slots, no names).
``HouseholdMembership.*`` events keep ``view_household_members``: who is in which household with what
relation, opened with the member's own key. A member's erasure (``Beneficiary.Erased``) deletes their
row; a rebuild afterwards makes none, as their membership no longer opens. The household's size is the
household's own and does not change with an erasure. The events are internal: a Region's store never
sees them.

Idempotent like the rest of the fold: a row newer than (or as new as) an event is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import delete, insert, select, update

from domain.events import EventClass
from domain.households import Household, HouseholdMembership
from projections.tables import household_members, households

Unseal = Callable[[str], dict[str, Any] | None]


class Executes(Protocol):
    def execute(self, *args: Any, **kwargs: Any) -> Any: ...


HOUSEHOLD_FOLDED: frozenset[EventClass] = frozenset(
    {
        Household.Formed,
        Household.MemberJoined,
        Household.MemberLeft,
        Household.HeadChanged,
        HouseholdMembership.Joined,
        HouseholdMembership.Left,
        HouseholdMembership.RelationChanged,
    }
)
HOUSEHOLD_TABLES = (households, household_members)


def apply_households(conn: Executes, kind: EventClass, e: Any, unseal: Unseal) -> None:
    """Fold one households event (``kind`` in HOUSEHOLD_FOLDED)."""
    version: int = e.originator_version
    if kind is Household.Formed:
        seen = conn.execute(select(households.c.version).where(households.c.household_id == e.originator_id)).first()
        if seen is None:
            conn.execute(
                insert(households).values(
                    household_id=e.originator_id,
                    structure=e.structure,
                    formed_on=e.occurred_on,
                    size=1,
                    version=version,
                )
            )
        return
    if kind in (Household.MemberJoined, Household.MemberLeft, Household.HeadChanged):
        step = {Household.MemberJoined: 1, Household.MemberLeft: -1}.get(kind, 0)
        conn.execute(
            update(households)
            .where(households.c.household_id == e.originator_id, households.c.version < version)
            .values(size=households.c.size + step, version=version)
        )
        return
    opened = unseal(e.sealed) if e.sealed else None
    if not opened:
        return  # the member was erased: nothing of theirs is folded
    beneficiary_id = UUID(str(opened["beneficiary_id"]))
    row = conn.execute(
        select(household_members.c.version).where(household_members.c.beneficiary_id == beneficiary_id)
    ).first()
    if row is not None and row[0] >= version:
        return
    if kind is HouseholdMembership.Left:
        conn.execute(delete(household_members).where(household_members.c.beneficiary_id == beneficiary_id))
        return
    if kind is HouseholdMembership.RelationChanged:
        conn.execute(
            update(household_members)
            .where(household_members.c.beneficiary_id == beneficiary_id)
            .values(relation=opened["relation"], version=version)
        )
        return
    conn.execute(delete(household_members).where(household_members.c.beneficiary_id == beneficiary_id))
    conn.execute(
        insert(household_members).values(
            beneficiary_id=beneficiary_id,
            household_id=UUID(str(opened["household_id"])),
            relation=opened["relation"],
            since=e.occurred_on,
            version=version,
        )
    )


def erased_member(conn: Executes, beneficiary_id: UUID) -> None:
    """An erased person's household link goes; the household and the others' rows stay."""
    conn.execute(delete(household_members).where(household_members.c.beneficiary_id == beneficiary_id))
