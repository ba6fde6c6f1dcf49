"""Who may do what: the scope each role must have, and who may see whom records are about."""

from __future__ import annotations

import pytest

from domain.errors import InvalidValueError
from infra.settings import DEFAULT_TENANTS_FILE
from infra.tenant_registry import load_registry
from services.access import (
    AccessDeniedError,
    Principal,
    Role,
    check_principal,
    confined_structure,
    may_audit,
    may_search_people,
    sees_every_structure,
    sees_person,
    sees_personal_data,
    sees_structure,
    structure_scope,
)

REGISTRY = load_registry(DEFAULT_TENANTS_FILE)
SOFADES = frozenset({"sofades"})


def test_only_an_auditor_can_be_cleared_for_personal_data() -> None:
    cleared = Principal("a", Role.AUDITOR, SOFADES, personal_data=True)
    assert check_principal(cleared, REGISTRY) is cleared
    for role, scope in ((Role.COORDINATOR, SOFADES), (Role.ADMIN, frozenset())):
        with pytest.raises(InvalidValueError, match="for auditors only"):
            check_principal(Principal("x", role, scope, personal_data=True), REGISTRY)
    with pytest.raises(InvalidValueError, match="for auditors only"):
        check_principal(Principal("x", Role.REGIONAL_ANALYST, region="thessaly", personal_data=True), REGISTRY)


def test_staff_and_cleared_auditors_see_people_of_their_own_tenant_only() -> None:
    assert sees_personal_data(Principal("c", Role.COORDINATOR, SOFADES), "sofades")
    assert sees_personal_data(Principal("w", Role.CASEWORKER, SOFADES, structure="centre"), "sofades")
    assert sees_personal_data(Principal("a", Role.AUDITOR, SOFADES, personal_data=True), "sofades")
    assert not sees_personal_data(Principal("a", Role.AUDITOR, SOFADES, personal_data=True), "karditsa")
    assert not sees_personal_data(Principal("a", Role.AUDITOR, SOFADES), "sofades")
    assert not sees_personal_data(Principal("r", Role.REGIONAL_ANALYST, region="thessaly"), "sofades")


def test_audit_is_for_the_tenants_own_auditors() -> None:
    may_audit(Principal("a", Role.AUDITOR, SOFADES), "sofades")
    for principal in (
        Principal("a", Role.AUDITOR, SOFADES),
        Principal("c", Role.COORDINATOR, frozenset({"karditsa"})),
        Principal("admin", Role.ADMIN),
    ):
        with pytest.raises(AccessDeniedError):
            may_audit(principal, "karditsa")


def test_only_those_who_see_personal_data_search_and_only_coordinators_are_told_who_holds_an_amka() -> None:
    centre = Principal("w", Role.CASEWORKER, SOFADES, structure="centre")
    coordinator = Principal("c", Role.COORDINATOR, SOFADES)
    cleared = Principal("a", Role.AUDITOR, SOFADES, personal_data=True)
    for principal in (centre, coordinator, cleared):
        may_search_people(principal, "sofades")
    for principal in (Principal("a", Role.AUDITOR, SOFADES), Principal("admin", Role.ADMIN), coordinator):
        with pytest.raises(AccessDeniedError):
            may_search_people(principal, "karditsa" if principal is coordinator else "sofades")
    assert sees_every_structure(coordinator, "sofades")
    assert not sees_every_structure(centre, "sofades")
    assert not sees_every_structure(coordinator, "karditsa")
    assert (structure_scope(centre), structure_scope(coordinator)) == ("centre", None)
    assert sees_structure(centre, "centre")
    assert not sees_structure(centre, "roma-branch")


def test_a_person_is_shown_to_who_sees_both_the_tenants_people_and_the_records_structure() -> None:
    caseworker = Principal("w", Role.CASEWORKER, SOFADES, structure="centre")
    assert sees_person(caseworker, "sofades", "centre")
    assert not sees_person(caseworker, "sofades", "roma-branch")
    assert sees_person(Principal("c", Role.COORDINATOR, SOFADES), "sofades", "roma-branch")
    assert sees_person(Principal("a", Role.AUDITOR, SOFADES, personal_data=True), "sofades", "roma-branch")
    assert not sees_person(Principal("a", Role.AUDITOR, SOFADES), "sofades", "centre")
    assert not sees_person(Principal("k", Role.COORDINATOR, frozenset({"karditsa"})), "sofades", "centre")


def test_a_caseworkers_lists_are_her_own_structures_and_asking_for_another_is_refused() -> None:
    caseworker = Principal("w", Role.CASEWORKER, SOFADES, structure="centre")
    assert confined_structure(caseworker, None) == "centre"
    assert confined_structure(caseworker, "centre") == "centre"
    with pytest.raises(AccessDeniedError):
        confined_structure(caseworker, "roma-branch")
    coordinator = Principal("c", Role.COORDINATOR, SOFADES)
    assert confined_structure(coordinator, None) is None
    assert confined_structure(coordinator, "roma-branch") == "roma-branch"
