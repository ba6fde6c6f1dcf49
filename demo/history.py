"""A deterministic, realistic casework history for each tenant, of the size the seeds report.

Scale comes from the figures each municipality published (infra/data/tenants.toml ``reported``):
Sofades' unique beneficiaries per month in 2022 (matched exactly, by gender), Karditsa's requests
and referrals in 2021, and so on; tenants with no published figures get a modest default. All
randomness is seeded by the tenant id, and command ids are fixed, so a second run records nothing.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from demo.names import (
    CATEGORY_WEIGHTS,
    FEMALE_NAMES,
    MALE_NAMES,
    OPEKA_CATEGORIES,
    STAFF,
    STREETS,
    SURNAMES_F,
    SURNAMES_M,
)
from demo.plan import REQUESTS_PER_PERSON_MONTH, next_month, plan_for
from domain.catalogue import (
    ActivityKind,
    Agency,
    AgencyApplicationStatus,
    CommunityEventType,
    EmploymentStatus,
    Gender,
    HomeVisitPurpose,
    HouseholdSituation,
    ReferralOutcome,
    RequestCategory,
    ResidenceArea,
)
from domain.consent import SHARING_NEEDS_CONSENT, ConsentMethod
from domain.events import event_name
from domain.identifiers import make_afm, make_amka
from domain.tenants import Tenant
from services import commands as c
from services.idempotency import CommandRecord, entry_id_for


@dataclass
class Person:
    """Someone the history registered: who, and where and when they first came."""

    id: UUID
    gender: str
    structure: str
    intake: date


@dataclass
class DemoHistory:
    """Generates the commands; ``commands()`` yields them in an order the service accepts."""

    tenant: Tenant
    today: date
    rng: random.Random = field(init=False)
    counter: int = 0
    pool: dict[str, list[Person]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        self.rng = random.Random(f"kentra-demo/{self.tenant.id}")
        self.plan = plan_for(self.tenant, self.today)
        self.structures = [s.id for s in self.tenant.structures if s.kind in ("centre", "roma-branch")]

    def _id(self) -> str:
        self.counter += 1
        return f"demo-{self.tenant.id}-{self.counter:07d}"

    def _day(self, month: date, not_before: date | None = None) -> date:
        last = min(next_month(month) - timedelta(days=1), self.plan.end)
        # Never before the centre opened (its first month is only partly open): entries dated so are refused.
        first = max(month, not_before or month, self.tenant.opened_on or month)
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    def _later(self, day: date, low: int, high: int) -> date | None:
        later = day + timedelta(days=self.rng.randint(low, high))
        return later if later <= self.plan.end else None

    def _staff(self) -> str:
        return self.rng.choice(STAFF)

    def _register(self, gender: str, month: date) -> tuple[Person, c.RegisterBeneficiary]:
        rng = self.rng
        command_id = self._id()
        roma = "roma-branch" in self.structures and rng.random() < self.plan.roma_share
        structure = "roma-branch" if roma else "centre"
        intake = self._day(month)
        age = int(min(88, max(16, rng.gauss(46, 17))))
        birth = date(intake.year - age, rng.randint(1, 12), rng.randint(1, 28))
        female = gender == Gender.FEMALE.value
        personal: dict[str, Any] = {
            "first_name": rng.choice(FEMALE_NAMES if female else MALE_NAMES),
            "last_name": rng.choice(SURNAMES_F if female else SURNAMES_M),
            "birth_date": birth,
            "amka": make_amka(birth, self.counter) if rng.random() < 0.96 else None,
            "afm": make_afm(rng.randint(1, 99_999_999)) if rng.random() < 0.8 else None,
            "phone": f"69{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.85 else None,
            "address": f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
        }
        employment = rng.choices(list(EmploymentStatus), weights=(12, 6, 22, 24, 6, 30))[0]
        command = c.RegisterBeneficiary(
            command_id=command_id,
            recorded_by=self._staff(),
            structure=structure,
            occurred_on=intake,
            personal=personal,
            profile=c.ProfileAnswers(
                gender=Gender(gender),
                employment_status=employment,
                isced_level=rng.choices(range(9), weights=(6, 14, 22, 24, 6, 8, 12, 6, 2))[0],
                household_situation=rng.choice(list(HouseholdSituation)),
                residence_area=rng.choices(list(ResidenceArea), weights=(3, 3, 4))[0],
                foreign_background=rng.random() < 0.06,
                third_country_national=rng.random() < 0.03,
                homeless_or_housing_exclusion=rng.random() < (0.08 if roma else 0.02),
            ),
            special={
                "disability": rng.choices(("yes", "no", "refused"), weights=(12, 84, 4))[0],
                "minority": ("yes" if roma else rng.choices(("yes", "no", "refused"), weights=(2, 95, 3))[0]),
                "other_disadvantage": rng.choices(("yes", "no", "refused"), weights=(10, 86, 4))[0],
            },
        )
        person = Person(entry_id_for(self.tenant.id, command_id), gender, structure, intake)
        self.pool[gender].append(person)
        return person, command

    def _served(self, month: date, gender: str, count: int, new_quota: int) -> Iterator[Person | c.RegisterBeneficiary]:
        """``count`` distinct people of ``gender`` served this month; new ones are registered first."""
        returning = [p for p in self.pool[gender] if p.intake < month]
        new = max(count - len(returning), min(count, new_quota))
        for person in self.rng.sample(returning, count - new) if count > new else []:
            yield person
        for _ in range(new):
            person, command = self._register(gender, month)
            yield command
            yield person

    def commands(self) -> Iterator[c.AnyCommand]:
        rng, plan = self.rng, self.plan
        categories = list(CATEGORY_WEIGHTS)
        weights = list(CATEGORY_WEIGHTS.values())
        for month, (females, males) in plan.monthly_uniques.items():
            non_binary = 1 if rng.random() < 0.04 and month not in self._exact_months() else 0
            served: list[Person] = []
            for gender, count in (
                (Gender.FEMALE.value, females),
                (Gender.MALE.value, males),
                (Gender.NON_BINARY.value, non_binary),
            ):
                share = count / max(1, females + males)
                quota = round(plan.new_per_month * share * rng.uniform(0.8, 1.2))
                for item in self._served(month, gender, count, quota):
                    if isinstance(item, Person):
                        served.append(item)
                    else:
                        yield item
            for person in served:
                requests = 1 + (rng.random() < REQUESTS_PER_PERSON_MONTH - 1)
                for _ in range(requests):
                    yield from self._request(person, month, rng.choices(categories, weights)[0])
            yield from self._referrals(served, month)
            yield from self._home_visits(served, month)
            yield from self._activities(served, month)

    def _exact_months(self) -> set[date]:
        return {
            date.fromisoformat(f.period + "-01") for f in self.tenant.reported if f.metric == "beneficiaries_per_month"
        }

    def _request(self, person: Person, month: date, category: RequestCategory) -> Iterator[c.AnyCommand]:
        rng = self.rng
        command_id = self._id()
        opened = self._day(month, not_before=person.intake)
        opeka = category in OPEKA_CATEGORIES
        yield c.OpenRequest(
            command_id=command_id,
            recorded_by=self._staff(),
            beneficiary_id=person.id,
            category=category,
            structure=person.structure,
            occurred_on=opened,
            agency=Agency.OPEKA if opeka else None,
        )
        request_id = entry_id_for(self.tenant.id, command_id)
        step = opened
        if opeka and (submitted := self._later(step, 0, 5)):
            step = submitted
            yield c.RecordAgencyStatus(
                command_id=self._id(),
                recorded_by=self._staff(),
                request_id=request_id,
                occurred_on=step,
                agency=Agency.OPEKA,
                reference=f"ΟΠΕΚΑ/{step.year}/{rng.randint(10000, 99999)}",
                status=AgencyApplicationStatus.SUBMITTED,
            )
        if rng.random() < 0.15 and (progress := self._later(step, 1, 10)):
            step = progress
            yield c.StartRequestProgress(
                command_id=self._id(), recorded_by=self._staff(), request_id=request_id, occurred_on=step
            )
        close = self._later(step, 0, 25)
        if close is None:
            return
        outcome = rng.choices(
            ("resolve_request", "close_request_unresolved", "withdraw_request", None), weights=(80, 8, 4, 8)
        )[0]
        if outcome is not None:
            yield c.CloseRequest(
                command=outcome,
                command_id=self._id(),
                recorded_by=self._staff(),
                request_id=request_id,
                occurred_on=close,
            )

    def _referrals(self, served: list[Person], month: date) -> Iterator[c.AnyCommand]:
        rng = self.rng
        count = min(len(served), int(self.plan.referrals_per_month + rng.random()))
        for person in rng.sample(served, count):
            command_id = self._id()
            sent = self._day(month, not_before=person.intake)
            destination = rng.choices(list(Agency), weights=(12, 10, 6, 4, 4, 8, 8, 10, 10, 6, 1, 4))[0]
            yield c.SendReferral(
                command_id=command_id,
                recorded_by=self._staff(),
                beneficiary_id=person.id,
                destination=destination,
                structure=person.structure,
                occurred_on=sent,
                # issue 23: an NGO, a social-support structure or another agency receives the person's data
                # with their consent, which the demo's caseworkers record with the referral (no draw: the
                # rest of the history stays as it was).
                consent=c.ReferralConsent(given_as=ConsentMethod.SIGNED_FORM)
                if SHARING_NEEDS_CONSENT.applies_to(destination)
                else None,
            )
            referral_id = entry_id_for(self.tenant.id, command_id)
            answered = self._later(sent, 2, 20)
            if answered is None:
                continue
            accepted = rng.random() < 0.85
            yield c.AnswerReferral(
                command="accept_referral" if accepted else "decline_referral",
                command_id=self._id(),
                recorded_by=self._staff(),
                referral_id=referral_id,
                occurred_on=answered,
            )
            if accepted and rng.random() < 0.8 and (done := self._later(answered, 5, 60)):
                yield c.RecordReferralOutcome(
                    command_id=self._id(),
                    recorded_by=self._staff(),
                    referral_id=referral_id,
                    occurred_on=done,
                    outcome=rng.choices(list(ReferralOutcome), weights=(60, 20, 12, 8))[0],
                )

    def _home_visits(self, served: list[Person], month: date) -> Iterator[c.AnyCommand]:
        rng = self.rng
        for person in rng.sample(served, min(len(served), int(len(served) * 0.03 + rng.random()))):
            command_id = self._id()
            visited = self._day(month, not_before=person.intake)
            due = self._later(visited, 7, 45) if rng.random() < 0.4 else None
            staff = self._staff()  # drawn before the purpose, as always: the same seed, the same history
            purpose = rng.choices(list(HomeVisitPurpose), weights=(40, 25, 6, 6, 8, 5))[0]
            ordered = purpose is HomeVisitPurpose.PROSECUTOR_ORDERED  # its order drawn without the generator
            yield c.RecordHomeVisit(
                command_id=command_id,
                recorded_by=staff,
                beneficiary_id=person.id,
                purpose=purpose,
                structure=person.structure,
                occurred_on=visited,
                follow_up_due=due,
                order_reference=f"ΕΙΣ {visited.year}/{visited.toordinal() % 997}" if ordered else None,
                order_deadline=visited + timedelta(days=30) if ordered else None,
            )
            if due is not None and rng.random() < 0.7 and (done := self._later(visited, 3, 50)):
                yield c.CompleteHomeVisitFollowUp(
                    command_id=self._id(),
                    recorded_by=self._staff(),
                    visit_id=entry_id_for(self.tenant.id, command_id),
                    occurred_on=done,
                )

    def _activities(self, served: list[Person], month: date) -> Iterator[c.AnyCommand]:
        rng = self.rng
        for _ in range(int(self.plan.networking_per_month + rng.random())):
            yield c.RecordActivity(
                command_id=self._id(),
                recorded_by=self._staff(),
                kind=ActivityKind.NETWORKING_MEETING,
                structure="centre",
                occurred_on=self._day(month),
                participants=rng.randint(2, 9),
                agency=rng.choice(list(Agency)),
            )
        if rng.random() < 0.6:
            yield c.RecordActivity(
                command_id=self._id(),
                recorded_by=self._staff(),
                kind=ActivityKind.COMMUNITY_EVENT,
                structure=rng.choice(self.structures),
                occurred_on=self._day(month),
                participants=rng.randint(8, 70),
                event_type=rng.choice(list(CommunityEventType)),
            )
        for person in rng.sample(served, min(len(served), int(len(served) * 0.05))):
            kind = rng.choice((ActivityKind.COUNSELLING_SESSION, ActivityKind.PSYCHOSOCIAL_SESSION))
            yield c.RecordActivity(
                command_id=self._id(),
                recorded_by=self._staff(),
                kind=kind,
                structure=person.structure,
                beneficiary_ids=[person.id],
                participants=1,
                occurred_on=self._day(month, not_before=person.intake),
            )
        if rng.random() < 0.1:
            yield c.RecordActivity(
                command_id=self._id(),
                recorded_by=self._staff(),
                kind=ActivityKind.VOLUNTEER_REGISTRATION,
                structure="centre",
                occurred_on=self._day(month),
                volunteer=c.Volunteer(first_name=rng.choice(FEMALE_NAMES), last_name=rng.choice(SURNAMES_F)),
            )


def summarise(events: Iterator[Any]) -> dict[str, Any]:
    """Counts by event type; command records are counted apart from casework events."""
    by_type: Counter[str] = Counter(type(domain_event).__qualname__ for domain_event in events)
    commands = by_type.pop(event_name(CommandRecord.Accepted), 0)
    return {"events": sum(by_type.values()), "commands": commands, "by_type": dict(sorted(by_type.items()))}
