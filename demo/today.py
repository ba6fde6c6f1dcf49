"""The demo's own recent day of work at Sofades, by the demo users, after the generated history.

What the generated history (demo/history.py) cannot show, because it ends in 2022: open work in the
lists of a caseworker who signs in today. Demo.caseworker has requests open, one pending at ΟΠΕΚΑ
for 40 days, a referral awaiting an answer for 20 days, a follow-up overdue and one due today, a
prosecutor-ordered investigation, a request resolved and reopened, an amendment of a wrong date, a
change of address and a void of a duplicate entry, and the cases given to her; demo.mediator has the
Roma branch's open work and a person transferred to her from the centre.

Every command goes through the same use case as the pages' (``Casework.execute_many``), with fixed
command ids. Dates count back from the day the day was first recorded (read back from its first
intake), so a later run sends the very same commands and records nothing new.
"""

from __future__ import annotations

import secrets
from contextlib import suppress
from datetime import date, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from demo.cast import (
    CASEWORKER,
    CASEWORKER2,
    COORDINATOR,
    DAY_TENANT,
    DEMO_USERS,
    MEDIATOR,
    P1,
    P2,
    P3,
    P4,
    P5,
    P6,
    P7,
    P8,
    PEOPLE,
    R1,
    R2,
    DayPerson,
)
from domain.catalogue import Agency, AgencyApplicationStatus, CorrectionReason, HomeVisitPurpose, RequestCategory
from domain.errors import EntryNotFoundError
from infra.accounts import UserExistsError
from services import commands as c
from services.idempotency import entry_id_for

if TYPE_CHECKING:
    from infra.bootstrap import Kentra
    from services.casework import Casework, Outcome


def command_id(name: str) -> str:
    """The fixed id of one of the day's commands (``p1-intake``, ``p3-reopen``…)."""
    return f"demo-day-{DAY_TENANT}-{name}"


def entry_of(name: str) -> UUID:
    """The id of the entry the day's command ``name`` created (``p1`` for the person p1's intake)."""
    return entry_id_for(DAY_TENANT, command_id(name if "-" in name else f"{name}-intake"))


class DemoDay:
    """The day's commands, dated back from ``day`` (the demo's today when it was first recorded)."""

    def __init__(self, day: date) -> None:
        self.day = day

    def ago(self, days: int) -> date:
        return self.day - timedelta(days=days)

    def intake(self, person: DayPerson) -> c.RegisterBeneficiary:
        return person.intake(command_id(f"{person.key}-intake"), self.ago(person.days_ago))

    def request(
        self, name: str, person: DayPerson, category: RequestCategory, days: int, **fields: object
    ) -> c.OpenRequest:
        return c.OpenRequest.model_validate(
            {
                "command_id": command_id(name),
                "recorded_by": fields.pop("recorded_by", person.recorded_by),
                "beneficiary_id": entry_of(person.key),
                "category": category,
                "structure": fields.pop("structure", person.structure),
                "occurred_on": self.ago(days),
                **fields,
            }
        )

    def commands(self) -> list[c.AnyCommand]:
        """Every command of the day, in an order the service accepts (each in one batch)."""
        return [
            *(self.intake(person) for person in PEOPLE),
            *self.pending_at_opeka(),
            *self.referral_awaiting_an_answer(),
            *self.follow_ups(),
            *self.prosecutor_ordered(),
            *self.reopened(),
            *self.corrections(),
            *self.transfers(),
            *self.roma_branch(),
        ]

    def pending_at_opeka(self) -> list[c.AnyCommand]:
        """P1's disability-benefit application, filed at ΟΠΕΚΑ 40 days ago and not answered since."""
        return [
            self.request(
                "p1-disability",
                P1,
                RequestCategory.DISABILITY_BENEFIT,
                42,
                agency=Agency.OPEKA,
                notes="Αίτηση για αναπηρική παροχή· γνωμάτευση ΚΕΠΑ 67%",
            ),
            c.RecordAgencyStatus(
                command_id=command_id("p1-disability-submitted"),
                recorded_by=CASEWORKER,
                request_id=entry_of("p1-disability"),
                occurred_on=self.ago(40),
                agency=Agency.OPEKA,
                reference=f"ΟΠΕΚΑ/{self.ago(40).year}/91827",
                status=AgencyApplicationStatus.SUBMITTED,
            ),
        ]

    def referral_awaiting_an_answer(self) -> list[c.AnyCommand]:
        """P2: an employment-counselling request in progress and a referral to ΔΥΠΑ unanswered for 20 days."""
        return [
            self.request("p2-counselling", P2, RequestCategory.EMPLOYMENT_COUNSELLING, 30),
            c.StartRequestProgress(
                command_id=command_id("p2-counselling-progress"),
                recorded_by=CASEWORKER,
                request_id=entry_of("p2-counselling"),
                occurred_on=self.ago(28),
            ),
            c.SendReferral(
                command_id=command_id("p2-referral"),
                recorded_by=CASEWORKER,
                beneficiary_id=entry_of("p2"),
                request_id=entry_of("p2-counselling"),
                destination=Agency.DYPA,
                structure="centre",
                occurred_on=self.ago(20),
                notes="Εγγραφή στο μητρώο ανέργων και ένταξη σε πρόγραμμα κατάρτισης",
            ),
        ]

    def follow_ups(self) -> list[c.AnyCommand]:
        """Two home visits: P1's follow-up was due 6 days ago, P3's is due on the day."""
        return [
            c.RecordHomeVisit(
                command_id=command_id("p1-visit"),
                recorded_by=CASEWORKER,
                beneficiary_id=entry_of("p1"),
                purpose=HomeVisitPurpose.LIVING_CONDITIONS,
                structure="centre",
                occurred_on=self.ago(20),
                follow_up_due=self.ago(6),
                findings="Ζει μόνη· η θέρμανση δεν λειτουργεί, χρειάζεται επισκευή πριν από τον χειμώνα",
            ),
            c.RecordHomeVisit(
                command_id=command_id("p3-visit"),
                recorded_by=CASEWORKER,
                beneficiary_id=entry_of("p3"),
                purpose=HomeVisitPurpose.RESIDENCE_CONFIRMATION,
                structure="centre",
                occurred_on=self.ago(14),
                follow_up_due=self.day,
                findings="Μένει με τα δύο παιδιά της· εκκρεμεί το μισθωτήριο της νέας κατοικίας",
            ),
        ]

    def prosecutor_ordered(self) -> list[c.AnyCommand]:
        """P4: a social investigation a prosecutor ordered, its order and its deadline 20 days ahead."""
        return [
            c.RecordHomeVisit(
                command_id=command_id("p4-investigation"),
                recorded_by=CASEWORKER,
                beneficiary_id=entry_of("p4"),
                purpose=HomeVisitPurpose.PROSECUTOR_ORDERED,
                structure="centre",
                occurred_on=self.ago(10),
                follow_up_due=self.day + timedelta(days=7),
                order_reference=f"ΕΙΣ {self.ago(10).year}/1482",
                order_deadline=self.day + timedelta(days=20),
                findings="Ηλικιωμένος που ζει μόνος· χρειάζεται βοήθεια στο σπίτι και συνοδεία στο νοσοκομείο",
            ),
        ]

    def reopened(self) -> list[c.AnyCommand]:
        """P3's housing benefit: filed, approved and resolved, then reopened 3 days ago for a reason."""
        request = entry_of("p3-housing")
        return [
            self.request("p3-housing", P3, RequestCategory.HOUSING_BENEFIT, 50, agency=Agency.OPEKA),
            c.RecordAgencyStatus(
                command_id=command_id("p3-housing-submitted"),
                recorded_by=CASEWORKER,
                request_id=request,
                occurred_on=self.ago(48),
                agency=Agency.OPEKA,
                reference=f"ΟΠΕΚΑ/{self.ago(48).year}/90412",
                status=AgencyApplicationStatus.SUBMITTED,
            ),
            c.RecordAgencyStatus(
                command_id=command_id("p3-housing-approved"),
                recorded_by=CASEWORKER,
                request_id=request,
                occurred_on=self.ago(26),
                agency=Agency.OPEKA,
                status=AgencyApplicationStatus.APPROVED,
            ),
            c.CloseRequest(
                command="resolve_request",
                command_id=command_id("p3-housing-resolved"),
                recorded_by=CASEWORKER,
                request_id=request,
                occurred_on=self.ago(25),
                notes="Εγκρίθηκε το επίδομα στέγασης",
            ),
            c.ReopenRequest(
                command_id=command_id("p3-housing-reopened"),
                recorded_by=CASEWORKER,
                request_id=request,
                occurred_on=self.ago(3),
                reason="Μετακόμισε· ο ΟΠΕΚΑ ζητά νέο μισθωτήριο για να συνεχιστεί η καταβολή",
            ),
        ]

    def corrections(self) -> list[c.AnyCommand]:
        """A wrong date amended (P4's request), a change of address (P3), a duplicate voided (P5)."""
        return [
            self.request("p4-elderly", P4, RequestCategory.UNINSURED_ELDERLY, 34, agency=Agency.OPEKA),
            c.AmendEntry(
                command_id=command_id("p4-elderly-date"),
                recorded_by=CASEWORKER,
                entry_id=entry_of("p4-elderly"),
                changes={"occurred_on": self.ago(35)},
                reason=CorrectionReason.WRONG_DATE,
                reason_note="Η αίτηση έγινε την ημέρα της πρώτης επίσκεψης, όχι την επομένη",
            ),
            c.AmendEntry(
                command_id=command_id("p3-address"),
                recorded_by=CASEWORKER,
                entry_id=entry_of("p3"),
                personal={"address": "Τρικάλων 29, Σοφάδες"},
                reason=CorrectionReason.CHANGE_OF_SITUATION,
                reason_note="Μετακόμισε με τα παιδιά της σε νέα κατοικία",
            ),
            self.request("p5-birth", P5, RequestCategory.BIRTH_BENEFIT, 12, agency=Agency.OPEKA),
            self.request("p5-birth-again", P5, RequestCategory.BIRTH_BENEFIT, 12, agency=Agency.OPEKA),
            c.VoidEntry(
                command_id=command_id("p5-birth-again-void"),
                recorded_by=CASEWORKER,
                entry_id=entry_of("p5-birth-again"),
                reason=CorrectionReason.DUPLICATE_ENTRY,
                reason_note="Η ίδια αίτηση καταχωρίστηκε δύο φορές",
            ),
        ]

    def transfers(self) -> list[c.AnyCommand]:
        """Cases given to demo.caseworker (by a colleague, by the coordinator) and one sent from the
        centre to the Roma branch, each with its reason."""
        return [
            self.request("p6-food", P6, RequestCategory.FOOD_AID_TEBA, 40),
            c.AssignCase(
                command_id=command_id("p6-to-caseworker"),
                recorded_by=CASEWORKER2,
                beneficiary_id=entry_of("p6"),
                worker=CASEWORKER,
                reason="Ο κ. Τσιάρας αναλαμβάνει την Κινητή Μονάδα· η υπόθεση περνά στην κ. Οικονόμου",
                occurred_on=self.ago(7),
            ),
            c.AssignCase(
                command_id=command_id("p7-to-roma-branch"),
                recorded_by=CASEWORKER,
                beneficiary_id=entry_of("p7"),
                worker=MEDIATOR,
                structure="roma-branch",
                reason="Ζει στον οικισμό· την υποστήριξη αναλαμβάνει η διαμεσολαβήτρια του Παραρτήματος",
                occurred_on=self.ago(5),
            ),
            self.request("p8-information", P8, RequestCategory.INFORMATION, 3),
            c.AssignCase(
                command_id=command_id("p8-to-caseworker"),
                recorded_by=COORDINATOR,
                beneficiary_id=entry_of("p8"),
                worker=CASEWORKER,
                reason="Νέα υπόθεση από την υποδοχή· ανατίθεται στην κ. Οικονόμου",
                occurred_on=self.ago(2),
            ),
        ]

    def roma_branch(self) -> list[c.AnyCommand]:
        """Demo.mediator's open work: requests, a referral awaiting an answer, an overdue follow-up."""
        return [
            self.request("r1-food", R1, RequestCategory.FOOD_AID_TEBA, 30),
            c.SendReferral(
                command_id=command_id("r1-referral"),
                recorded_by=MEDIATOR,
                beneficiary_id=entry_of("r1"),
                destination=Agency.HOSPITAL,
                structure="roma-branch",
                occurred_on=self.ago(25),
                notes="Ραντεβού στο παιδιατρικό για τον εμβολιασμό των παιδιών",
            ),
            c.RecordHomeVisit(
                command_id=command_id("r1-visit"),
                recorded_by=MEDIATOR,
                beneficiary_id=entry_of("r1"),
                purpose=HomeVisitPurpose.NO_ELECTRICITY,
                structure="roma-branch",
                occurred_on=self.ago(15),
                follow_up_due=self.ago(2),
                findings="Η κατοικία είναι χωρίς ρεύμα από τον προηγούμενο μήνα",
            ),
            self.request("r2-electricity", R2, RequestCategory.SOCIAL_ELECTRICITY_TARIFF, 18),
            c.StartRequestProgress(
                command_id=command_id("r2-electricity-progress"),
                recorded_by=MEDIATOR,
                request_id=entry_of("r2-electricity"),
                occurred_on=self.ago(16),
            ),
            self.request(
                "p7-mediation", P7, RequestCategory.MEDIATION, 4, recorded_by=MEDIATOR, structure="roma-branch"
            ),
        ]


def first_recorded_on(casework: Casework, today: date) -> date:
    """The day the day was first recorded: read back from its first intake, else ``today``."""
    try:
        first = casework.entry(entry_of(P1.key))
    except EntryNotFoundError:
        return today
    return first.occurred_on + timedelta(days=P1.days_ago)


def ensure_staff(kentra: Kentra) -> None:
    """The day's workers must be the tenant's staff (a case is given only to one): add a demo user that
    is missing, with a password nobody is shown (``kentra demo`` prints fresh ones when it serves)."""
    kentra.provision_platform()
    for user in DEMO_USERS:
        if kentra.accounts.principal(user.username) is None:
            # One disabled on purpose stays so: the day's transfer to them is then refused, and says so.
            with suppress(UserExistsError):
                kentra.accounts.add(user, secrets.token_urlsafe(18))


def record_day(kentra: Kentra) -> list[Outcome]:
    """Record the day for Sofades, all or nothing (development only: its workers are demo users)."""
    ensure_staff(kentra)
    casework = kentra.casework(DAY_TENANT)
    day = DemoDay(first_recorded_on(casework, kentra.today()))
    results = casework.execute_many(day.commands(), atomic=True)
    return [result for result in results if not isinstance(result, Exception)]
