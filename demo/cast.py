"""Who the demo's own recent day is about and who works it: the demo users and the day's people.

The users are the ones ``kentra demo`` prints with a fresh password; the people are synthetic (names
from demo/names.py, a well-formed ΑΜΚΑ of a birth day the generated history never draws, so no
intake of the day can meet a generated person's ΑΜΚΑ).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from demo.names import DAY_PEOPLE, STREETS
from domain.catalogue import EmploymentStatus, Gender, HouseholdSituation, ResidenceArea
from domain.identifiers import make_amka
from services import commands as c
from services.access import Principal, Role

DAY_TENANT = "sofades"

COORDINATOR = "demo.coordinator"
CASEWORKER = "demo.caseworker"
CASEWORKER2 = "demo.caseworker2"
MEDIATOR = "demo.mediator"

DEMO_USERS: tuple[Principal, ...] = (
    Principal(COORDINATOR, Role.COORDINATOR, frozenset({DAY_TENANT}), full_name="Ελένη Παπαδάκη"),
    Principal(CASEWORKER, Role.CASEWORKER, frozenset({DAY_TENANT}), structure="centre", full_name="Μαρία Οικονόμου"),
    Principal(CASEWORKER2, Role.CASEWORKER, frozenset({DAY_TENANT}), structure="centre", full_name="Γιώργος Τσιάρας"),
    Principal(MEDIATOR, Role.CASEWORKER, frozenset({DAY_TENANT}), structure="roma-branch", full_name="Άννα Καραγιάννη"),
    Principal("demo.analyst", Role.REGIONAL_ANALYST, region="thessaly", full_name="Νίκος Αθανασίου"),
    Principal("demo.auditor", Role.AUDITOR, frozenset({DAY_TENANT}), full_name="Σοφία Λαμπράκη"),
)
USERS_BY_NAME = {user.username: user for user in DEMO_USERS}


@dataclass(frozen=True)
class DayPerson:
    """One person of the day: who (an index into DAY_PEOPLE), born when, first seen how many days
    before the day, where and by whom."""

    key: str  # names the person's commands: demo-day-sofades-<key>-...
    who: int
    birth_date: date
    days_ago: int
    structure: str
    recorded_by: str
    street: int
    employment: EmploymentStatus = EmploymentStatus.INACTIVE
    household: HouseholdSituation = HouseholdSituation.OTHER

    @property
    def first_name(self) -> str:
        return DAY_PEOPLE[self.who][0]

    @property
    def last_name(self) -> str:
        return DAY_PEOPLE[self.who][1]

    @property
    def amka(self) -> str:
        # The generated history draws birth days 1-28 only; these are all 29-31, so never the same ΑΜΚΑ.
        return make_amka(self.birth_date, 9100 + self.who)

    def intake(self, command_id: str, occurred_on: date) -> c.RegisterBeneficiary:
        """The person's intake, as the demo user who first saw them recorded it."""
        roma = self.structure == "roma-branch"
        return c.RegisterBeneficiary(
            command_id=command_id,
            recorded_by=self.recorded_by,
            structure=self.structure,
            occurred_on=occurred_on,
            personal={
                "first_name": self.first_name,
                "last_name": self.last_name,
                "birth_date": self.birth_date,
                "amka": self.amka,
                "phone": f"69{self.birth_date:%y%m%d}{self.who:02d}",
                "address": f"{STREETS[self.street]} {3 + 7 * self.who}, Σοφάδες",
            },
            profile=c.ProfileAnswers(
                gender=Gender(DAY_PEOPLE[self.who][2]),
                employment_status=self.employment,
                isced_level=2 if roma else 3,
                household_situation=self.household,
                residence_area=ResidenceArea.RURAL,
                foreign_background=False,
                third_country_national=False,
                homeless_or_housing_exclusion=False,
            ),
            special={"disability": "no", "minority": "yes" if roma else "no", "other_disadvantage": "no"},
        )


CENTRE, ROMA = "centre", "roma-branch"
# Each with the work it carries (demo/today.py); days_ago of the intake, from the day's date.
P1 = DayPerson("p1", 0, date(1957, 3, 29), 75, CENTRE, CASEWORKER, 1)  # pending at ΟΠΕΚΑ; follow-up overdue
P2 = DayPerson("p2", 1, date(1970, 5, 30), 60, CENTRE, CASEWORKER, 2, EmploymentStatus.LONG_TERM_UNEMPLOYED)
P3 = DayPerson("p3", 2, date(1984, 10, 31), 50, CENTRE, CASEWORKER, 3, household=HouseholdSituation.SINGLE_PARENT)
P4 = DayPerson("p4", 3, date(1946, 1, 29), 35, CENTRE, CASEWORKER, 4, household=HouseholdSituation.LIVES_ALONE)
P5 = DayPerson("p5", 4, date(1993, 7, 30), 20, CENTRE, CASEWORKER, 5, EmploymentStatus.EMPLOYED)
P6 = DayPerson("p6", 5, date(1962, 12, 29), 40, CENTRE, CASEWORKER2, 6, EmploymentStatus.UNEMPLOYED)
P7 = DayPerson("p7", 6, date(1988, 8, 31), 30, CENTRE, CASEWORKER, 7, EmploymentStatus.UNEMPLOYED)
P8 = DayPerson("p8", 7, date(1979, 5, 29), 3, CENTRE, COORDINATOR, 8)
R1 = DayPerson("r1", 8, date(1981, 4, 29), 45, ROMA, MEDIATOR, 0, household=HouseholdSituation.SINGLE_PARENT)
R2 = DayPerson("r2", 9, date(1976, 9, 30), 25, ROMA, MEDIATOR, 1, EmploymentStatus.UNEMPLOYED)
PEOPLE = (P1, P2, P3, P4, P5, P6, P7, P8, R1, R2)
