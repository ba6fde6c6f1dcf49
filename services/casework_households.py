"""What the households commands do (issue 23), one handler per command type, merged into
``services.casework.HANDLERS``.

Households: people linked as head and members, moves between households (issue 23). Each step
changes the household (its slots, so its size) and the person's membership (which household, their
slot and relation, sealed under the person's key) in one unit of work: both or neither.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from pydantic import BaseModel

from domain.beneficiaries import Beneficiary
from domain.errors import InvalidTransitionError, InvalidValueError, PersonalDataUnreadableError
from domain.households import (
    AlreadyInHouseholdError,
    Household,
    HouseholdMembership,
    HouseholdRelation,
    NotInHouseholdError,
    membership_id,
)
from services import commands as c
from services.casework_commands import expect
from services.idempotency import entry_id_for

if TYPE_CHECKING:
    from services.casework import Casework, UnitOfWork


# ---------------------------------------------------------------------- what the handlers share
def _person(app: Casework, work: UnitOfWork, beneficiary_id: UUID, day: date) -> Beneficiary:
    """An active person of this tenant (another tenant's is not in this log: not found) served on ``day``."""
    person = work.get(beneficiary_id, Beneficiary, "beneficiary")
    person.ensure_served_on(day, app.today())
    return person


def _membership(app: Casework, work: UnitOfWork, person: Beneficiary, cmd: Any) -> HouseholdMembership:
    """The person's membership, started (in this unit of work) if they never were in a household."""
    found = work.exists(membership_id(app.tenant.id, person.id))
    if isinstance(found, HouseholdMembership):
        return found
    membership = HouseholdMembership(
        id=membership_id(app.tenant.id, person.id),
        beneficiary_id=person.id,
        occurred_on=cmd.occurred_on,
        structure=person.structure,
        recorded_by=cmd.recorded_by,
    )
    work.add(membership)
    return membership


def _current(app: Casework, membership: HouseholdMembership) -> dict[str, Any] | None:
    """Which household the person is in now (``household_id``, ``slot``, ``relation``), or None."""
    if not membership.member or membership.sealed is None:
        return None
    opened = app.vault.unseal(membership.sealed)
    if opened is None:
        raise PersonalDataUnreadableError(membership.beneficiary_id)
    return opened


def _sealed(app: Casework, person: Beneficiary, household_id: UUID, slot: str, relation: str) -> str:
    link = {"beneficiary_id": str(person.id), "household_id": str(household_id), "slot": slot, "relation": relation}
    return app.vault.seal(person.id, link)


def _same_structure(person: Beneficiary, household: Household) -> None:
    """A household's members are of its structure: a member of another (the Roma branch's) shown on a
    household of the centre would tell the centre's staff where they are served (GDPR Art. 9)."""
    if person.structure != household.structure:
        raise InvalidValueError("the person is served in another structure than the household", field="beneficiary_id")


def _where(cmd: Any, household: Household) -> dict[str, Any]:
    """A step's when and who, in the household's structure."""
    return {"occurred_on": cmd.occurred_on, "recorded_by": cmd.recorded_by, "structure": household.structure}


def _not_head(relation: HouseholdRelation) -> None:
    if relation is HouseholdRelation.HEAD:
        raise InvalidValueError("a household has one head: change the head instead", field="relation")


def _join(
    app: Casework, work: UnitOfWork, household: Household, person: Beneficiary, *, relation: str, cmd: Any
) -> None:
    membership = _membership(app, work, person, cmd)
    if membership.member:
        raise AlreadyInHouseholdError()
    slot = uuid4().hex  # random: once the person is erased it is tied to no one
    where = _where(cmd, household)
    household.join(slot=slot, today=app.today(), **where)
    membership.join(sealed=_sealed(app, person, household.id, slot, relation), **where)


def _leave(app: Casework, work: UnitOfWork, person: Beneficiary, household_id: UUID | None, cmd: Any) -> Household:
    """The person leaves the household they are in (``household_id``, if named, must be it)."""
    membership = _membership(app, work, person, cmd)
    current = _current(app, membership)
    if current is None or (household_id is not None and UUID(current["household_id"]) != household_id):
        raise NotInHouseholdError()
    household = work.get(UUID(current["household_id"]), Household, "household")
    where = _where(cmd, household)
    household.leave(slot=current["slot"], today=app.today(), **where)
    membership.leave(sealed=_sealed(app, person, household.id, current["slot"], current["relation"]), **where)
    return household


# ---------------------------------------------------------------------- the commands
def form_household(app: Casework, work: UnitOfWork, cmd: c.FormHousehold) -> Household:
    """A household with the person as its head, in the person's structure."""
    person = _person(app, work, cmd.beneficiary_id, cmd.occurred_on)
    membership = _membership(app, work, person, cmd)
    if membership.member:
        raise AlreadyInHouseholdError()
    slot = uuid4().hex
    household = Household.form(
        id=entry_id_for(app.tenant.id, cmd.command_id),
        head=person,
        head_slot=slot,
        occurred_on=cmd.occurred_on,
        today=app.today(),
        structure=person.structure,
        recorded_by=cmd.recorded_by,
    )
    membership.join(
        sealed=_sealed(app, person, household.id, slot, HouseholdRelation.HEAD.value),
        occurred_on=cmd.occurred_on,
        recorded_by=cmd.recorded_by,
        structure=household.structure,
    )
    return household


def add_household_member(app: Casework, work: UnitOfWork, cmd: c.AddHouseholdMember) -> Household:
    household = work.get(cmd.household_id, Household, "household")
    expect(work, household, cmd.expected_version)
    _not_head(cmd.relation)
    person = _person(app, work, cmd.beneficiary_id, cmd.occurred_on)
    _same_structure(person, household)
    _join(app, work, household, person, relation=cmd.relation.value, cmd=cmd)
    return household


def move_household_member(app: Casework, work: UnitOfWork, cmd: c.MoveHouseholdMember) -> Household:
    """Leave the household the person is in and join this one, in one unit of work."""
    target = work.get(cmd.household_id, Household, "household")
    expect(work, target, cmd.expected_version)
    _not_head(cmd.relation)
    person = _person(app, work, cmd.beneficiary_id, cmd.occurred_on)
    _same_structure(person, target)
    membership = _membership(app, work, person, cmd)
    current = _current(app, membership)
    if current is None:
        raise NotInHouseholdError()
    if UUID(current["household_id"]) == target.id:
        raise InvalidTransitionError("the person is in this household already")
    _leave(app, work, person, None, cmd)
    _join(app, work, target, person, relation=cmd.relation.value, cmd=cmd)
    return target


def leave_household(app: Casework, work: UnitOfWork, cmd: c.LeaveHousehold) -> Household:
    household = work.get(cmd.household_id, Household, "household")
    expect(work, household, cmd.expected_version)
    person = _person(app, work, cmd.beneficiary_id, cmd.occurred_on)
    return _leave(app, work, person, household.id, cmd)


def change_household_head(app: Casework, work: UnitOfWork, cmd: c.ChangeHouseholdHead) -> Household:
    """Another member becomes the head; the former head's relation is the one given (an erased former
    head's membership no longer opens: only the household's head slot changes for them)."""
    household = work.get(cmd.household_id, Household, "household")
    expect(work, household, cmd.expected_version)
    _not_head(cmd.former_head_relation)
    person = _person(app, work, cmd.beneficiary_id, cmd.occurred_on)
    current = _current(app, _membership(app, work, person, cmd))
    if current is None or UUID(current["household_id"]) != household.id:
        raise NotInHouseholdError()
    former = work.get(cmd.former_head_id, Beneficiary, "beneficiary")
    where = _where(cmd, household)
    if not former.erased:
        former_membership = _membership(app, work, former, cmd)
        was = _current(app, former_membership)
        if was is None or UUID(was["household_id"]) != household.id or was["slot"] != household.head_slot:
            raise NotInHouseholdError(field="former_head_id")
        relation = cmd.former_head_relation.value
        former_membership.change_relation(sealed=_sealed(app, former, household.id, was["slot"], relation), **where)
    household.change_head(slot=current["slot"], today=app.today(), **where)
    membership = _membership(app, work, person, cmd)
    membership.change_relation(sealed=_sealed(app, person, household.id, current["slot"], "head"), **where)
    return household


HANDLERS: dict[type[BaseModel], Callable[..., Any]] = {
    c.FormHousehold: form_household,
    c.AddHouseholdMember: add_household_member,
    c.MoveHouseholdMember: move_household_member,
    c.LeaveHousehold: leave_household,
    c.ChangeHouseholdHead: change_household_head,
}
