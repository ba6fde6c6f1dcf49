"""Who may do what to which tenant. Every use case and gateway asks this module, never decides itself."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.errors import DomainError, InvalidValueError
from domain.tenants import Tenant, TenantRegistry


class Role(StrEnum):
    CASEWORKER = "caseworker"  # own tenant and structure: records and reads casework
    COORDINATOR = "coordinator"  # whole tenant: records and reads casework
    REGIONAL_ANALYST = "regional_analyst"  # aggregates of its region's tenants only, never personal data
    AUDITOR = "auditor"  # read-only over assigned tenants, including history
    ADMIN = "admin"  # manages the platform; reads no casework


class AccessDeniedError(DomainError):
    """The caller is known but may not do this. Says no more than that."""

    def __init__(self, message: str = "not allowed") -> None:
        super().__init__(message)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user of Kentra, or of a trusted OpenID Connect issuer."""

    username: str
    role: Role
    tenants: frozenset[str] = frozenset()
    structure: str | None = None
    region: str | None = None
    personal_data: bool = False  # an auditor cleared to see who is behind the records (recorded on each use)
    full_name: str = ""  # how colleagues see the person; the user name when not given

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


def check_principal(principal: Principal, registry: TenantRegistry) -> Principal:
    """A role's scope must be complete and exist: refuse a user who could see too much or nothing."""
    role = principal.role
    needs_tenant = role in (Role.CASEWORKER, Role.COORDINATOR, Role.AUDITOR)
    if needs_tenant and not principal.tenants:
        raise InvalidValueError(f"a {role} needs --tenant", field="tenant")
    if role in (Role.CASEWORKER, Role.COORDINATOR) and len(principal.tenants) != 1:
        raise InvalidValueError(f"a {role} works for exactly one tenant", field="tenant")
    if not needs_tenant and principal.tenants:
        raise InvalidValueError(f"a {role} is not bound to tenants", field="tenant")
    for tenant_id in principal.tenants:
        registry.tenant(tenant_id)
    if (role == Role.CASEWORKER) != (principal.structure is not None):
        raise InvalidValueError("--structure is given for a caseworker and only for one", field="structure")
    if principal.structure is not None:
        registry.tenant(next(iter(principal.tenants))).structure(principal.structure)
    if principal.personal_data and role != Role.AUDITOR:
        raise InvalidValueError(
            "--personal-data is for auditors only (caseworkers and coordinators have it by their role)",
            field="personal_data",
        )
    if (role == Role.REGIONAL_ANALYST) != (principal.region is not None):
        raise InvalidValueError("--region is given for a regional analyst and only for one", field="region")
    if principal.region is not None:
        try:
            registry.region(principal.region)
        except ValueError:
            raise InvalidValueError(f"unknown region {principal.region!r}", field="region") from None
    return principal


def visible_tenants(principal: Principal, registry: TenantRegistry) -> list[Tenant]:
    if principal.role == Role.ADMIN:
        return list(registry.tenants)
    if principal.role == Role.REGIONAL_ANALYST:
        return list(registry.tenants_of(principal.region or ""))
    return [t for t in registry.tenants if t.id in principal.tenants]


def may_read_casework(principal: Principal, tenant_id: str) -> None:
    if principal.role in (Role.CASEWORKER, Role.COORDINATOR, Role.AUDITOR) and tenant_id in principal.tenants:
        return
    raise AccessDeniedError(f"no access to the casework of tenant {tenant_id!r}")


def may_record_casework(principal: Principal, tenant_id: str, structure: str | None) -> None:
    if principal.role not in (Role.CASEWORKER, Role.COORDINATOR) or tenant_id not in principal.tenants:
        raise AccessDeniedError(f"no right to record casework for tenant {tenant_id!r}")
    if principal.role == Role.CASEWORKER and structure is not None and structure != principal.structure:
        raise AccessDeniedError(f"no right to record for structure {structure!r}")


def may_work_cases(principal: Principal, tenant_id: str) -> None:
    """The worklists ("Οι εργασίες μου") are the tenant's caseworkers' and coordinators': open work to do,
    not an auditor's or a Region's."""
    if principal.role not in (Role.CASEWORKER, Role.COORDINATOR) or tenant_id not in principal.tenants:
        raise AccessDeniedError(f"no worklists in tenant {tenant_id!r}")


def may_assign_case(principal: Principal, tenant_id: str, responsible: str) -> None:
    """A coordinator gives any person of her tenant to someone; a caseworker hands over only a person
    she is responsible for (whom she sees: the caller first asks ``sees_structure``, so that a person
    of another structure is "not found", never "not allowed"). Whom to is ``may_receive_case``'s."""
    if principal.role == Role.COORDINATOR and tenant_id in principal.tenants:
        return
    if principal.role == Role.CASEWORKER and tenant_id in principal.tenants and principal.username == responsible:
        return
    raise AccessDeniedError("only the worker responsible for the person, or a coordinator, hands the case over")


def may_receive_case(worker: Principal, tenant_id: str, structure: str) -> None:
    """Who may be given a case: an active caseworker or coordinator of the tenant (``worker`` comes from
    the tenant's staff directory), a caseworker only into her own structure."""
    if worker.role not in (Role.CASEWORKER, Role.COORDINATOR) or worker.tenants != frozenset({tenant_id}):
        raise InvalidValueError("not an active caseworker or coordinator of this municipality", field="worker")
    if worker.role == Role.CASEWORKER and worker.structure != structure:
        raise InvalidValueError("a caseworker is given cases of her own structure only", field="structure")


def may_list_staff(principal: Principal, tenant_id: str) -> None:
    """The tenant's staff by name (whom to give a case, who recorded what): its own staff and auditors."""
    may_read_casework(principal, tenant_id)


def may_audit(principal: Principal, tenant_id: str) -> None:
    """Audit queries (chain, replay, drill-down, export) are the auditors' of that tenant."""
    if principal.role == Role.AUDITOR and tenant_id in principal.tenants:
        return
    raise AccessDeniedError(f"no audit access to tenant {tenant_id!r}")


def may_deliver_esf(principal: Principal, tenant_id: str) -> None:
    """The ESF delivery of an operation (indicator table, participant file) and submitting it are the
    tenant's coordinators' (the centre coordinator delivers to the managing authority)."""
    if principal.role != Role.COORDINATOR or tenant_id not in principal.tenants:
        raise AccessDeniedError(f"only a coordinator of {tenant_id!r} delivers the ESF reports")


def may_read_esf_submissions(principal: Principal, tenant_id: str) -> None:
    """What was delivered, and its restatements: the tenant's coordinators and its auditors."""
    if principal.role in (Role.COORDINATOR, Role.AUDITOR) and tenant_id in principal.tenants:
        return
    raise AccessDeniedError(f"no access to the ESF submissions of {tenant_id!r}")


def may_manage_personal_data(principal: Principal, tenant_id: str) -> None:
    """Erasure, legal holds and subject access are the tenant's coordinators' (the controller's staff)."""
    if principal.role != Role.COORDINATOR or tenant_id not in principal.tenants:
        raise AccessDeniedError(f"only a coordinator of {tenant_id!r} manages personal data")


def sees_personal_data(principal: Principal, tenant_id: str) -> bool:
    """Who may see whom a record is about: the tenant's own staff, and auditors cleared for it."""
    if tenant_id not in principal.tenants:
        return False
    return principal.role in (Role.CASEWORKER, Role.COORDINATOR) or (
        principal.role == Role.AUDITOR and principal.personal_data
    )


def structure_scope(principal: Principal) -> str | None:
    """The one structure a caller's casework is confined to, or None for every structure of the tenant.

    A caseworker works for one structure (the centre, or the Roma branch); that someone is served by
    the Roma branch is ethnic origin (GDPR Art. 9), so she learns nothing of the other structure."""
    return principal.structure if principal.role == Role.CASEWORKER else None


def sees_structure(principal: Principal, structure: str) -> bool:
    """Caseworkers see their own structure's entries only; the others see the whole tenant."""
    scope = structure_scope(principal)
    return scope is None or scope == structure


def sees_every_structure(principal: Principal, tenant_id: str) -> bool:
    """Who may be told who holds an ΑΜΚΑ or a name anywhere in the tenant: staff of every structure."""
    return sees_personal_data(principal, tenant_id) and structure_scope(principal) is None


def confined_structure(principal: Principal, asked: str | None) -> str | None:
    """The structure a caller's list is confined to: a caseworker's own whatever she asks (asking for
    another is refused), anyone else's the one asked for, or None for the whole tenant."""
    own = structure_scope(principal)
    if own is None:
        return asked
    if asked not in (None, own):
        raise AccessDeniedError(f"no access to structure {asked!r}")
    return own


def sees_person(principal: Principal, tenant_id: str, structure: str) -> bool:
    """The one rule for whom a record is about: shown to who sees the tenant's personal data and the
    record's structure. Every reader (API, pages) asks this before opening sealed data, never decides."""
    return sees_personal_data(principal, tenant_id) and sees_structure(principal, structure)


def history_for(principal: Principal, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An entry's history (services/casework_reading.py ``history`` rows, oldest first) as the caller may
    see it. A caseworker is shown the rows recorded in her own structure only (an entry keeps the
    structure it was recorded in, and a case given to a structure is recorded in the receiving one).
    Of a case given to her structure from one she may not see, she reads the reason (written for the
    receiving structure) but not who gave it: a name would tell which structure the person was in.
    Others see every row."""
    if structure_scope(principal) is None:
        return rows
    shown: list[dict[str, Any]] = []
    where: str | None = None  # the entry's structure after each row
    for row in rows:
        attributes = row["attributes"]
        came_from = where
        structure = attributes.get("structure")
        if row["version"] == 1 or row["event"] == "Beneficiary.CaseAssigned":
            where = structure
        elif isinstance(attributes.get("changes"), dict) and attributes["changes"].get("structure"):
            where = attributes["changes"]["structure"]
        if not sees_structure(principal, str(structure or came_from)):
            continue
        if (
            row["event"] == "Beneficiary.CaseAssigned"
            and came_from is not None
            and not sees_structure(principal, came_from)
        ):
            withheld = {**attributes, "recorded_by": None}
            shown.append({**row, "attributes": withheld})
            continue
        shown.append(row)
    return shown


def may_search_people(principal: Principal, tenant_id: str) -> None:
    """A search by ΑΜΚΑ or name is a use of personal data (even finding nobody says something about a
    person): only for those who see personal data. An auditor without clearance reads pseudonymised."""
    if not sees_personal_data(principal, tenant_id):
        raise AccessDeniedError("this account may not search people by ΑΜΚΑ or name")


def may_analyse_region(principal: Principal, region: str, registry: TenantRegistry) -> None:
    """A Region's figures are its own regional analysts' alone; an unknown region is bad input."""
    if principal.role != Role.REGIONAL_ANALYST or principal.region != region:
        raise AccessDeniedError(f"no access to region {region!r}")
    try:
        registry.region(region)
    except ValueError:
        raise InvalidValueError(f"unknown region {region!r}", field="region") from None


# issue 23: consent
def may_read_privacy_record(principal: Principal, tenant_id: str, structure: str) -> None:
    """When a person was informed and what they consented to (to whom) is personal data: shown to those
    who see the person (their tenant's staff, of their structure for a caseworker; an auditor cleared for
    personal data), never to an uncleared auditor, a Region or an admin."""
    if not sees_person(principal, tenant_id, structure):
        raise AccessDeniedError("this account may not see a person's information and consents")


# issue 23: catalogue
def may_read_catalogue(principal: Principal, tenant_id: str) -> None:
    """A municipality's own catalogue (codes and labels, no personal data) is read by whoever works its
    casework (the forms offer it) or reads it (an auditor reads the labels of old records)."""
    may_read_casework(principal, tenant_id)


def may_manage_catalogue(principal: Principal, tenant_id: str) -> None:
    """Adding, relabelling and retiring local entries is the tenant's coordinators' alone: a caseworker
    uses them, a Region's analyst and an auditor never change them."""
    if principal.role != Role.COORDINATOR or tenant_id not in principal.tenants:
        raise AccessDeniedError(f"only a coordinator of {tenant_id!r} manages its catalogue")


# issue 23: documents
def may_read_document(principal: Principal, tenant_id: str, person_structure: str, document_structure: str) -> bool:
    """A person's documents (the list with filenames, and the files) are for who reads that person's
    personal data: the tenant's staff of the person's and the document's structure, and auditors
    cleared for personal data. A regional analyst, an uncleared auditor, another tenant or another
    structure: never (the caller answers "not found", so nothing says the document exists)."""
    return sees_person(principal, tenant_id, person_structure) and sees_structure(principal, document_structure)


def may_attach_document(principal: Principal, tenant_id: str, structure: str | None) -> None:
    """Attaching is recording casework: the tenant's caseworkers (of that structure) and coordinators."""
    may_record_casework(principal, tenant_id, structure)


# issue 23: households
def may_read_households(principal: Principal, tenant_id: str) -> None:
    """Who is in a household with whom, and how related, is personal data of each member: shown to those
    who see the tenant's personal data (never to an auditor without clearance or a Region). Each
    household's structure is then asked of ``sees_structure``, like any entry's."""
    may_read_casework(principal, tenant_id)
    if not sees_personal_data(principal, tenant_id):
        raise AccessDeniedError("this account may not see who lives in a household")


def may_change_household(principal: Principal, tenant_id: str, structure: str) -> None:
    """Forming a household, adding, moving or removing a member, changing its head: recording casework
    in the household's structure (the caller first asks ``sees_structure`` of the household and of each
    person named, so that one she may not see is "not found")."""
    may_record_casework(principal, tenant_id, structure)
