"""Every indicator equals a recomputation from the raw events, and a rebuild equals the incremental model.

The reference below folds the log in plain Python, independently of projections/fold.py; random
casework (with corrections, voids and refused special-category answers) is recorded through the
real service, and the views catch up at random moments in between.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

import projections.fold
import projections.runner
from domain.catalogue import ActivityKind, Agency, HomeVisitPurpose, RequestCategory
from domain.clock import athens_today
from domain.errors import DomainError
from domain.identifiers import make_amka
from infra.bootstrap import Kentra, bootstrap
from infra.settings import DEFAULT_TENANTS_FILE, Settings
from infra.tenant_registry import load_registry
from projections.cells import figure, flatten, flatten_esf, members
from projections.esf_rules import RULES
from projections.queries import GENDERS, PROGRAMMES, esf_indicators, indicators, months
from projections.replay import replay
from services.casework import Casework, read_log
from tests.conftest import TEST_MASTER_KEY, Clock, command, intake, isolated_registry

TODAY = date(2024, 6, 28)
# From the second half of 2023, under Sofades' 2014-2020 operation, so that people registered then
# enter 2021-2027 at their first contact of 2024 (automatically) and may leave either operation.
START = date(2023, 7, 1)
PERIODS = [
    (date(2024, 1, 1), date(2024, 6, 28)),
    (date(2024, 2, 1), date(2024, 3, 31)),
    (date(2024, 4, 15), date(2024, 4, 15)),
]
# Issue 24: the summaries cut a period into whole months and edge days, and answer "since opening"
# from first days served: a whole month, days across a year's end, and since before the first intake.
INDICATOR_PERIODS = [
    *PERIODS,
    (date(2024, 3, 1), date(2024, 3, 31)),
    (date(2023, 11, 17), date(2024, 2, 3)),
    (date(2019, 1, 1), TODAY),
    (START, date(2024, 5, 31)),
]


# ------------------------------------------------------------------------------ the reference
def reference_state(casework: Casework) -> tuple[dict[UUID, dict[str, Any]], dict[UUID, dict[str, Any]]]:
    """Entries and people as the raw log says they are now, corrections and voids applied."""
    entries: dict[UUID, dict[str, Any]] = {}
    persons: dict[UUID, dict[str, Any]] = {}
    for e in read_log(casework):
        name, eid = type(e).__qualname__, e.originator_id
        if name == "Beneficiary.Registered":
            special = casework.vault.unseal(e.sealed)["special"]  # type: ignore[index]
            persons[eid] = {
                **e.profile,
                **special,
                "structure": e.structure,
                "intake_on": e.occurred_on,
                "voided": False,
            }
            entries[eid] = {
                "kind": "beneficiary",
                "people": [eid],
                "structure": e.structure,
                "occurred_on": e.occurred_on,
                "voided": False,
            }
        elif name == "CaseRequest.Opened":
            entries[eid] = {
                "kind": "request",
                "subtype": e.category,
                "people": [e.beneficiary_id],
                "structure": e.structure,
                "occurred_on": e.occurred_on,
                "voided": False,
                "status": "opened",
            }
        elif name == "Referral.Sent":
            entries[eid] = {
                "kind": "referral",
                "subtype": e.destination,
                "people": [e.beneficiary_id],
                "structure": e.structure,
                "occurred_on": e.occurred_on,
                "voided": False,
                "status": "sent",
                "outcome": None,
            }
        elif name == "HomeVisit.Conducted":
            entries[eid] = {
                "kind": "home_visit",
                "subtype": e.purpose,
                "people": [e.beneficiary_id],
                "structure": e.structure,
                "occurred_on": e.occurred_on,
                "voided": False,
            }
        elif name == "Activity.Recorded":
            entries[eid] = {
                "kind": "activity",
                "subtype": e.kind,
                "people": list(e.beneficiary_ids),
                "structure": e.structure,
                "occurred_on": e.occurred_on,
                "voided": False,
            }
        elif name == "CaseRequest.Closed":
            entries[eid]["status"], entries[eid]["closed_on"] = e.status, e.occurred_on
        elif name == "CaseRequest.Reopened":
            entries[eid]["status"], entries[eid]["closed_on"] = "in_progress", None
        elif name == "Referral.Answered":
            entries[eid]["status"] = "accepted" if e.accepted else "declined"
        elif name == "Referral.OutcomeRecorded":
            entries[eid]["status"], entries[eid]["outcome"] = "completed", e.outcome
        elif name == "CaseEntry.Voided":
            entries[eid]["voided"] = True
            if eid in persons:
                persons[eid]["voided"] = True
        elif name == "CaseEntry.Amended":
            entry = entries[eid]
            for key, value in e.changes.items():
                if key in ("category", "destination", "purpose"):
                    entry["subtype"] = value
                elif key == "beneficiary_ids":
                    entry["people"] = [UUID(str(v)) for v in value]
                elif key in ("occurred_on", "structure"):
                    entry[key] = value
            if eid in persons:
                person = persons[eid]
                person.update(e.changes.get("profile", {}))
                person["structure"] = entry["structure"]
                person["intake_on"] = entry["occurred_on"]
                if e.sealed_changes:
                    person.update(casework.vault.unseal(e.sealed_changes)["special"])  # type: ignore[index]
    return entries, persons


def counts(genders: list[str]) -> dict[str, int]:
    result = dict.fromkeys(GENDERS, 0)
    for gender in genders:
        result[gender] += 1
    return {**result, "total": len(genders)}


def reference_indicators(casework: Casework, start: date, end: date, structure: str | None) -> dict[str, Any]:
    entries, persons = reference_state(casework)
    live = {
        k: v
        for k, v in entries.items()
        if not v["voided"] and start <= v["occurred_on"] <= end and (structure is None or v["structure"] == structure)
    }

    def gender(person_id: UUID) -> str:
        person = persons.get(person_id)
        return person["gender"] if person and not person["voided"] else "unknown"

    served_month: dict[str, dict[UUID, str]] = defaultdict(dict)
    for entry in live.values():
        for pid in entry["people"]:
            if pid in persons and not persons[pid]["voided"]:
                served_month[f"{entry['occurred_on']:%Y-%m}"][pid] = gender(pid)
    period_people = {pid: g for month in served_month.values() for pid, g in month.items()}

    def of(kind: str) -> list[dict[str, Any]]:
        return [v for v in live.values() if v["kind"] == kind]

    requests = of("request")

    def grouped(kind: str, key: Any) -> list[dict[str, Any]]:
        totals: dict[str, int] = defaultdict(int)
        for entry in of(kind):
            totals[key(entry)] += 1
        return [{"key": k, "total": v} for k, v in sorted(totals.items())]

    by_structure: dict[str, list[str]] = defaultdict(list)
    for entry in requests:
        by_structure[entry["structure"]].append(gender(entry["people"][0]))
    kinds = {g["key"]: g["total"] for g in grouped("activity", lambda e: e["subtype"])}
    people_in = [p for p in persons.values() if not p["voided"] and (structure is None or p["structure"] == structure)]
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "structure": structure,
        "genders": list(GENDERS),
        "beneficiaries_served": {
            "per_month": [{"month": m, **counts(list(served_month.get(m, {}).values()))} for m in months(start, end)],
            "period": counts(list(period_people.values())),
        },
        "requests": {
            "total": len(requests),
            "per_month": [
                {"month": m, "total": sum(1 for r in requests if f"{r['occurred_on']:%Y-%m}" == m)}
                for m in months(start, end)
            ],
            "by_category": [
                {"category": g["key"], "total": g["total"]} for g in grouped("request", lambda e: e["subtype"])
            ],
            "by_structure_and_gender": [{"structure": k, **counts(v)} for k, v in sorted(by_structure.items())],
        },
        "referrals": {
            "total": len(of("referral")),
            "by_structure": grouped("referral", lambda e: e["structure"]),
            "by_destination": grouped("referral", lambda e: e["subtype"]),
            "by_outcome": grouped("referral", lambda e: e["outcome"] or e["status"]),
        },
        "activities": {
            "networking_meetings": kinds.get("networking_meeting", 0),
            "community_events": kinds.get("community_event", 0),
            "by_kind": [{"key": k, "total": v} for k, v in sorted(kinds.items())],
            "home_visits_by_purpose": grouped("home_visit", lambda e: e["subtype"]),
        },
        "new_beneficiaries": counts([p["gender"] for p in people_in if start <= p["intake_on"] <= end]),
        "beneficiaries_since_opening": counts([p["gender"] for p in people_in if p["intake_on"] <= end]),
    }


def reference_participation(casework: Casework) -> tuple[dict[Any, dict[str, Any]], dict[Any, dict[str, Any]]]:
    """Later operation entries and exits by (person, operation), as the raw log says they are now."""
    later: dict[Any, dict[str, Any]] = {}
    exits: dict[Any, dict[str, Any]] = {}

    def answers(token: str | None) -> dict[str, Any]:
        opened = casework.vault.unseal(token) if token else None
        return dict(opened["special"]) if opened else dict.fromkeys(("disability", "minority", "other_disadvantage"))

    for e in read_log(casework):
        name, key = type(e).__qualname__, (e.originator_id, getattr(e, "operation", None))
        if name == "Beneficiary.OperationEntered":
            later[key] = {**e.profile, **answers(e.sealed_special), "entered_on": e.occurred_on}
            later[key]["structure"] = e.structure
        elif name == "Beneficiary.OperationLeft":
            exits[key] = {**e.status, "left_on": e.occurred_on, "followed_up_on": None}
        elif name == "Beneficiary.LongTermResultRecorded":
            exits[key].update(
                followed_up_on=e.occurred_on,
                employed_after_six_months=e.status["employed"],
                improved_after_six_months=e.status["improved_labour_market_situation"],
            )
        elif name == "Beneficiary.OperationRecordCorrected":
            changes = dict(e.changes)
            if e.record == "entry":
                later[key].update(changes.get("profile", {}))
                if "occurred_on" in changes:
                    later[key]["entered_on"] = changes["occurred_on"]
                if e.sealed_special:
                    later[key].update(answers(e.sealed_special))
            elif e.record == "exit":
                exits[key].update(changes.get("status", {}))
                if "occurred_on" in changes:
                    exits[key]["left_on"] = changes["occurred_on"]
            else:
                status = changes.get("status", {})
                exits[key].update(
                    employed_after_six_months=status["employed"],
                    improved_after_six_months=status["improved_labour_market_situation"],
                )
    return later, exits


def reference_esf(casework: Casework, programme: str, start: date, end: date) -> list[dict[str, Any]]:
    """Every ESF code from the raw log: outputs from the entry into the operation in the period (a
    later entry's data, or the intake's), results from the exit or follow-up in the period, Annex II
    from the ΤΕΒΑ requests resolved in the period."""
    entries, persons = reference_state(casework)
    later, exits = reference_participation(casework)
    fed = {
        e["people"][0]
        for e in entries.values()
        if e["kind"] == "request"
        and not e["voided"]
        and e["subtype"] == "food_aid_teba"
        and e["status"] == "resolved"
        and start <= e["closed_on"] <= end
    }
    scopes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for pid, person in persons.items():
        if person["voided"]:
            continue
        entry = {**person, "entered_on": person["intake_on"]}
        found = later.get((pid, programme))
        if found is not None and not (
            start <= person["intake_on"] <= end and person["intake_on"] <= found["entered_on"]
        ):
            entry = found
        row = {**entry, "homeless": entry["homeless_or_housing_exclusion"]}
        left = exits.get((pid, programme))
        if left is not None and left["left_on"] <= end:
            row.update(left)
        else:
            left = None
        flags = {
            "output": start <= entry["entered_on"] <= end,
            "immediate_result": left is not None and start <= left["left_on"] <= end,
            "longer_term_result": left is not None
            and left["followed_up_on"] is not None
            and start <= left["followed_up_on"] <= end,
            "most_deprived": pid in fed and entry["entered_on"] <= end,
        }
        for kind, counted in flags.items():
            if counted:
                scopes[kind].append(row)
    result = []
    for indicator in RULES[programme]:
        scope = scopes[indicator.kind]
        matched = [p["gender"] for p in scope if indicator.rule(p)]
        row = {"code": indicator.code, "kind": indicator.kind, **counts(matched)}
        if indicator.special:
            row["refused"] = counts([p["gender"] for p in scope if indicator.refused(p)])
        result.append(row)
    return result


# ------------------------------------------------------------------------------ random casework
def fresh_platform() -> tuple[Kentra, str]:
    registry, tenant = isolated_registry(load_registry(DEFAULT_TENANTS_FILE))
    data = Path(tempfile.mkdtemp(prefix="kentra-prop-"))
    kentra = bootstrap(
        Settings(data_dir=data, master_key=SecretStr(TEST_MASTER_KEY)), registry=registry, today=Clock(TODAY)
    )
    kentra.provision(tenant.id)
    return kentra, tenant.id


day = st.integers(0, (TODAY - START).days).map(lambda n: START + timedelta(days=n))
structure = st.sampled_from(["centre", "roma-branch"])
answer = st.sampled_from(["yes", "no", "refused"])
leaving = st.fixed_dictionaries(
    {
        "job_searching": st.booleans(),
        "in_education_or_training": st.booleans(),
        "qualification_gained": st.booleans(),
        "employed": st.booleans(),
    }
).filter(lambda s: not (s["job_searching"] and s["employed"]))


def step(
    data: st.DataObject, casework: Casework, people: list[UUID], entries: dict[str, list[UUID]], serial: int
) -> None:
    """Record one random command; a refusal (wrong state, wrong date order) is fine and records nothing."""
    action = data.draw(
        st.sampled_from(
            ["register"] * 3
            + ["request"] * 4
            + ["close", "referral", "answer", "outcome", "visit", "activity", "amend_request", "amend_person", "void"]
            + ["amend_activity", "amend_referral"]
            + ["leave", "follow_up", "correct_exit"]
        )
    )

    def pick(kind: str) -> UUID | None:
        return data.draw(st.sampled_from(entries[kind])) if entries[kind] else None

    try:
        if action == "register" or not people:
            intake_day = data.draw(day)
            birth = date(data.draw(st.integers(1930, 2010)), 3, 4)
            cmd = intake(
                structure=data.draw(structure),
                occurred_on=intake_day.isoformat(),
                personal__birth_date=birth.isoformat(),
                personal__amka=make_amka(birth, serial),
                profile__gender=data.draw(st.sampled_from(["female", "male", "non_binary"])),
                profile__employment_status=data.draw(
                    st.sampled_from(
                        [
                            "employed",
                            "self_employed",
                            "unemployed",
                            "long_term_unemployed",
                            "inactive",
                            "inactive_in_education",
                        ]
                    )
                ),
                profile__isced_level=data.draw(st.integers(0, 8)),
                profile__residence_area=data.draw(st.sampled_from(["urban", "intermediate", "rural"])),
                profile__foreign_background=data.draw(st.booleans()),
                special__disability=data.draw(answer),
                special__minority=data.draw(answer),
            )
            people.append(casework.execute(cmd).entry_id)
        elif action == "request":
            entries["request"].append(
                casework.execute(
                    command(
                        command="open_request",
                        beneficiary_id=str(data.draw(st.sampled_from(people))),
                        category=data.draw(st.sampled_from(list(RequestCategory))).value,
                        structure=data.draw(structure),
                        occurred_on=data.draw(day).isoformat(),
                    )
                ).entry_id
            )
        elif action == "close" and (request := pick("request")):
            casework.execute(
                command(
                    command=data.draw(
                        st.sampled_from(["resolve_request", "close_request_unresolved", "withdraw_request"])
                    ),
                    request_id=str(request),
                    occurred_on=data.draw(day).isoformat(),
                )
            )
        elif action == "referral":
            entries["referral"].append(
                casework.execute(
                    command(
                        command="send_referral",
                        beneficiary_id=str(data.draw(st.sampled_from(people))),
                        destination=data.draw(st.sampled_from(list(Agency))).value,
                        structure=data.draw(structure),
                        occurred_on=data.draw(day).isoformat(),
                        consent={"given_as": "signed_form"},  # what an NGO's needs (issue 23); the others' too
                    )
                ).entry_id
            )
        elif action == "answer" and (referral := pick("referral")):
            casework.execute(
                command(
                    command=data.draw(st.sampled_from(["accept_referral", "decline_referral"])),
                    referral_id=str(referral),
                    occurred_on=data.draw(day).isoformat(),
                )
            )
        elif action == "outcome" and (referral := pick("referral")):
            casework.execute(
                command(
                    command="record_referral_outcome",
                    referral_id=str(referral),
                    outcome="served",
                    occurred_on=data.draw(day).isoformat(),
                )
            )
        elif action == "visit":
            entries["home_visit"].append(
                casework.execute(
                    command(
                        command="record_home_visit",
                        beneficiary_id=str(data.draw(st.sampled_from(people))),
                        purpose=data.draw(st.sampled_from(list(HomeVisitPurpose))).value,
                        structure=data.draw(structure),
                        occurred_on=data.draw(day).isoformat(),
                    )
                ).entry_id
            )
        elif action == "activity":
            kind = data.draw(st.sampled_from(list(ActivityKind))).value
            named = data.draw(st.lists(st.sampled_from(people), max_size=3, unique=True))
            if kind in ("counselling_session", "psychosocial_session") and not named:
                named = [people[0]]
            entries["activity"].append(
                casework.execute(
                    command(
                        command="record_activity",
                        kind=kind,
                        structure=data.draw(structure),
                        occurred_on=data.draw(day).isoformat(),
                        beneficiary_ids=[str(p) for p in named],
                        participants=len(named) + data.draw(st.integers(0, 5)),
                        event_type="social" if kind == "community_event" else None,
                    )
                ).entry_id
            )
        elif action == "amend_activity" and (activity := pick("activity")):
            # Issue 24: who an activity served and when move its contacts (and the summaries of both days).
            changes = data.draw(
                st.sampled_from(
                    [
                        {
                            "beneficiary_ids": [
                                str(p) for p in data.draw(st.lists(st.sampled_from(people), max_size=3, unique=True))
                            ],
                            "participants": 9,
                        },
                        {"occurred_on": data.draw(day).isoformat()},
                    ]
                )
            )
            casework.execute(
                command(command="amend_entry", entry_id=str(activity), reason="typing_error", changes=changes)
            )
        elif action == "amend_referral" and (referral := pick("referral")):
            changes = data.draw(
                st.sampled_from(
                    [
                        {"occurred_on": data.draw(day).isoformat()},
                        {"destination": data.draw(st.sampled_from(list(Agency))).value},
                    ]
                )
            )
            casework.execute(
                command(command="amend_entry", entry_id=str(referral), reason="typing_error", changes=changes)
            )
        elif action == "amend_request" and (request := pick("request")):
            changes = data.draw(
                st.sampled_from(
                    [
                        {"category": data.draw(st.sampled_from(list(RequestCategory))).value},
                        {"occurred_on": data.draw(day).isoformat()},
                        {"structure": data.draw(structure)},
                    ]
                )
            )
            casework.execute(
                command(command="amend_entry", entry_id=str(request), reason="typing_error", changes=changes)
            )
        elif action == "amend_person":
            person = data.draw(st.sampled_from(people))
            casework.execute(
                command(
                    command="amend_entry",
                    entry_id=str(person),
                    reason="new_information",
                    changes=data.draw(
                        st.sampled_from(
                            [
                                {"profile": {"gender": "female"}},
                                {"profile": {"gender": "non_binary"}},
                                {"occurred_on": data.draw(day).isoformat()},
                                {"structure": data.draw(structure)},
                                {"profile": {"residence_area": "rural", "isced_level": 5}},
                                {},
                            ]
                        )
                    ),
                    special={"disability": data.draw(answer)},
                )
            )
        elif action == "leave":
            casework.execute(
                command(
                    command="leave_operation",
                    beneficiary_id=str(data.draw(st.sampled_from(people))),
                    occurred_on=data.draw(day).isoformat(),
                    status=data.draw(leaving),
                )
            )
        elif action == "follow_up":
            casework.execute(
                command(
                    command="record_long_term_result",
                    beneficiary_id=str(data.draw(st.sampled_from(people))),
                    operation=data.draw(st.sampled_from(["2014-2020", "2021-2027"])),
                    occurred_on=data.draw(day).isoformat(),
                    status={
                        "employed": data.draw(st.booleans()),
                        "improved_labour_market_situation": data.draw(st.booleans()),
                    },
                )
            )
        elif action == "correct_exit":
            casework.execute(
                command(
                    command="correct_operation_record",
                    beneficiary_id=str(data.draw(st.sampled_from(people))),
                    operation=data.draw(st.sampled_from(["2014-2020", "2021-2027"])),
                    record="exit",
                    changes={"status": data.draw(leaving)},
                    reason="typing_error",
                )
            )
        elif action == "void":
            kind = data.draw(st.sampled_from(["request", "referral", "activity", "beneficiary"]))
            target = data.draw(st.sampled_from(people)) if kind == "beneficiary" else pick(kind)
            if target:
                casework.execute(command(command="void_entry", entry_id=str(target), reason="duplicate_entry"))
    except DomainError:
        pass


def snapshot(kentra: Kentra, tenant: str) -> dict[str, Any]:
    views = kentra.views(tenant)
    with views.engine.connect() as conn:
        return {
            "indicators": [indicators(conn, a, b, s) for a, b in INDICATOR_PERIODS for s in (None, "roma-branch")],
            "esf": [esf_indicators(conn, p, a, b, None)["indicators"] for p in PROGRAMMES for a, b in PERIODS],
        }


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_indicators_equal_a_recomputation_from_the_raw_events(data: st.DataObject) -> None:
    kentra, tenant = fresh_platform()
    try:
        casework = kentra.casework(tenant)
        people: list[UUID] = []
        entries: dict[str, list[UUID]] = defaultdict(list)
        for serial in range(data.draw(st.integers(5, 35))):
            step(data, casework, people, entries, serial)
            if data.draw(st.integers(0, 6)) == 0:
                kentra.views(tenant).catch_up(limit=data.draw(st.integers(1, 20)))  # fold part of it now
        kentra.views(tenant).catch_up()
        incremental = snapshot(kentra, tenant)
        for (start, end), (doc, roma) in zip(
            INDICATOR_PERIODS,
            zip(incremental["indicators"][::2], incremental["indicators"][1::2], strict=True),
            strict=True,
        ):
            assert doc == reference_indicators(casework, start, end, None)
            assert roma == reference_indicators(casework, start, end, "roma-branch")
        expected_esf = [reference_esf(casework, p, a, b) for p in PROGRAMMES for a, b in PERIODS]
        assert [
            [{k: v for k, v in row.items() if k != "label"} for row in doc] for doc in incremental["esf"]
        ] == expected_esf
        kentra.views(tenant).rebuild()
        assert snapshot(kentra, tenant) == incremental
        audited_cells_hold_together(casework, incremental)
    finally:
        kentra.close()


def audited_cells_hold_together(casework: Casework, incremental: dict[str, Any]) -> None:
    """The auditor's replay gives the same figures, and every cell drills down to as many as it counts."""
    replayed = replay(casework, casework.vault, athens_today())
    try:
        with replayed.now.connect() as conn:
            scopes = [(a, b, s) for a, b in INDICATOR_PERIODS for s in (None, "roma-branch")]
            assert [indicators(conn, a, b, s) for a, b, s in scopes] == incremental["indicators"]
            for a, b, s in scopes[: 2 * len(PERIODS)]:
                docs = [flatten(indicators(conn, a, b, s))] + [
                    flatten_esf(esf_indicators(conn, p, a, b, s)) for p in PROGRAMMES
                ]
                for cells in docs:
                    for cell, value in cells.items():
                        assert figure(cell, members(conn, cell, a, b, s)) == value, (cell, a, b, s)
    finally:
        replayed.close()


def test_a_crash_in_the_middle_of_a_batch_neither_skips_nor_counts_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    kentra, tenant = fresh_platform()
    try:
        casework = kentra.casework(tenant)
        people = [
            casework.execute(
                intake(personal__amka=make_amka(date(1980, 1, 1), n), profile__gender=("female", "male")[n % 2])
            ).entry_id
            for n in range(6)
        ]
        for n, person in enumerate(people):
            casework.execute(
                command(
                    command="open_request",
                    beneficiary_id=str(person),
                    category="gmi",
                    structure="centre",
                    occurred_on=f"2024-05-{10 + n}",
                )
            )
        real_apply, seen = projections.fold.apply, []

        def crashing(conn: Any, event: Any, unseal: Any) -> None:
            seen.append(event)
            if len(seen) == 9:
                raise RuntimeError("the worker died here")
            real_apply(conn, event, unseal)

        monkeypatch.setattr(projections.runner, "apply", crashing)
        with pytest.raises(RuntimeError):
            kentra.views(tenant).catch_up()
        assert kentra.views(tenant).position() == 0  # the half-done batch was rolled back
        monkeypatch.undo()
        kentra.views(tenant).catch_up()
        kentra.views(tenant).catch_up()  # and again: nothing more to do, nothing counted twice
        with kentra.views(tenant).engine.connect() as conn:
            doc = indicators(conn, date(2024, 1, 1), date(2024, 6, 28), None)
        assert doc == reference_indicators(casework, date(2024, 1, 1), date(2024, 6, 28), None)
        assert doc["requests"]["total"] == 6
        assert doc["new_beneficiaries"] == {"female": 3, "male": 3, "non_binary": 0, "unknown": 0, "total": 6}
    finally:
        kentra.close()
