"""The ESF side of the demo's recent day at Sofades, and how the demo runs its ESF history.

People of the 2014-2020 operation come back under 2021-2027 (their first contact there enters them
into it, automatically), are given to demo.caseworker, and leave; the first are followed up six months
later, the others' follow-ups are due on the demo's day, so her «Παρακολούθηση 6 μηνών» has rows.
Dated back from the demo's day (demo/today.py) with fixed ids: a later run records nothing new.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from demo.cast import CASEWORKER, COORDINATOR, DAY_TENANT
from demo.esf import DemoEsf, DemoSubmission
from demo.today import first_recorded_on
from domain.catalogue import EmploymentStatus, RequestCategory
from domain.esf import LeavingStatus, LongTermStatus, follow_up_due
from domain.tenants import Tenant
from services import commands as c
from services import esf_submissions
from services.idempotency import entry_id_for

if TYPE_CHECKING:
    from infra.bootstrap import Kentra

# How many days before the demo's day each returning person left: the first two were followed up,
# the others' follow-ups are due (some overdue, one due days ago).
RETURNED_LEFT_DAYS_AGO = (420, 380, 300, 240, 200, 186)
FOLLOWED_UP_RETURNS = 2
SECOND_OPERATION_FROM = date(2024, 1, 1)


def returning(day: date, tenant: Tenant, history: list[c.AnyCommand]) -> list[c.AnyCommand]:
    """Sofades people of the 2014-2020 operation who came back under 2021-2027 (their first contact
    there enters them into it, automatically), were given to demo.caseworker, and left; dated back
    from the demo's ``day`` with fixed ids, so a later run records nothing new."""
    if tenant.id != DAY_TENANT:
        return []
    rng = random.Random(f"kentra-demo-esf-day/{tenant.id}")
    esf = DemoEsf(tenant, day, history)
    esf.records()  # their situation as the history's changes of situation leave it
    settled = [p for p in esf.people if p.structure == "centre" and not p.open]
    out: list[c.AnyCommand] = []
    for n, (person, days_ago) in enumerate(
        zip(rng.sample(settled, len(RETURNED_LEFT_DAYS_AGO)), RETURNED_LEFT_DAYS_AGO, strict=True)
    ):
        left = day - timedelta(days=days_ago)
        back = left - timedelta(days=rng.randint(20, 45))
        if back < SECOND_OPERATION_FROM + timedelta(days=14):
            continue  # a demo day too early for a return under the second operation
        name = f"demo-esf-{tenant.id}-return-{n}"
        request = entry_id_for(tenant.id, f"{name}-request")
        out += [
            c.OpenRequest(
                command_id=f"{name}-request",
                recorded_by=CASEWORKER,
                beneficiary_id=person.id,
                category=RequestCategory.EMPLOYMENT_COUNSELLING,
                structure="centre",
                occurred_on=back,
            ),
            c.AssignCase(
                command_id=f"{name}-to-caseworker",
                recorded_by=COORDINATOR,
                beneficiary_id=person.id,
                worker=CASEWORKER,
                reason="Επέστρεψε στο Κέντρο· την υπόθεση αναλαμβάνει η κ. Οικονόμου",
                occurred_on=back,
            ),
            c.CloseRequest(
                command="resolve_request",
                command_id=f"{name}-resolved",
                recorded_by=CASEWORKER,
                request_id=request,
                occurred_on=back + timedelta(days=7),
            ),
        ]
        employed = n % 3 == 1
        if n == 2:
            studying = EmploymentStatus.INACTIVE_IN_EDUCATION
            if person.employment == studying.value:
                studying = EmploymentStatus.UNEMPLOYED
            out.append(
                c.ChangeSituation(
                    command_id=f"{name}-situation",
                    recorded_by=CASEWORKER,
                    beneficiary_id=person.id,
                    occurred_on=back + timedelta(days=10),
                    changes=c.SituationAnswers(employment_status=studying),
                )
            )
        out.append(
            c.LeaveOperation(
                command_id=f"{name}-left",
                recorded_by=CASEWORKER,
                beneficiary_id=person.id,
                occurred_on=left,
                operation="2021-2027",
                status=LeavingStatus(
                    job_searching=not employed and n % 2 == 0,
                    in_education_or_training=n == 2,
                    qualification_gained=n == 2,
                    employed=employed,
                ),
            )
        )
        followed = follow_up_due(left) + timedelta(days=rng.randint(2, 20))
        if n < FOLLOWED_UP_RETURNS and followed <= day:
            out.append(
                c.RecordLongTermResult(
                    command_id=f"{name}-followed-up",
                    recorded_by=CASEWORKER,
                    beneficiary_id=person.id,
                    occurred_on=followed,
                    operation="2021-2027",
                    status=LongTermStatus(employed=employed or n == 0, improved_labour_market_situation=False),
                )
            )
    return out


def deliver(kentra: Kentra, submission: DemoSubmission) -> UUID:
    """Record ``submission`` on what the log holds now: its figures, computed at this position."""
    views = kentra.views(submission.tenant)
    views.catch_up()  # the figures are those of the log as it stands at this point of the history
    return esf_submissions.submit(
        kentra.casework(submission.tenant),
        views,
        kentra.registry.tenant(submission.tenant),
        operation=submission.operation,
        start=submission.start,
        end=submission.end,
        submitted_on=submission.submitted_on,
        reference=submission.reference,
        command_id=submission.command_id,
        recorded_by=submission.recorded_by,
    )


def record_returning(kentra: Kentra, history: list[c.AnyCommand]) -> None:
    """Record the day's returning people at Sofades, all or nothing, after the day (demo/today.py)."""
    casework = kentra.casework(DAY_TENANT)
    day = first_recorded_on(casework, kentra.today())
    casework.execute_many(returning(day, kentra.registry.tenant(DAY_TENANT), history), atomic=True)
