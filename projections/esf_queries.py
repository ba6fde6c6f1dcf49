"""What a centre delivers to its managing authority for one operation and period: the ESF indicators
by gender and the participant file behind them (issue 21; rules in projections/esf_rules.py, their
definitions in docs/indicators.md).

Who counts where, for operation O and the period [start, end] (which the caller guarantees lies
within O):

- **Entry.** A person's entry into O is a later ``OperationEntered`` for O, or else the intake (the
  intake *is* the entry into the operation of its day). Should both fall in the period (an intake
  corrected into it), the first counts. A return within O counts once, with the first entry's data.
- **Outputs** count the participants whose entry into O falls in the period, from the entry data.
- **Immediate results** count those whose exit from O falls in the period, from the status on
  leaving (and the entry data, for the codes that read them).
- **Longer-term results** count those whose six-month follow-up falls in the period.
- **Annex II (2021-2027)** counts the end recipients of ΤΕΒΑ food support: people with a
  ``food_aid_teba`` request resolved in the period who have entered O by its end.
- Voided people count nowhere; erased people keep counting (their rows stay for the figures), with
  the special-category answers their erasure kept. The structure is the entry's.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, and_, or_, select

from projections.esf_rules import RULES, SPECIAL, Indicator
from projections.genders import by_gender
from projections.tables import case_index, operation_entries, operation_exits, people

PROFILE = (
    "gender",
    "age_at_entry",
    "employment_status",
    "isced_level",
    "household_situation",
    "residence_area",
    "foreign_background",
    "third_country_national",
    "homeless",
    *SPECIAL,
)
LEAVING = ("job_searching", "in_education_or_training", "qualification_gained", "employed")
FOLLOW_UP = ("employed_after_six_months", "improved_after_six_months")
# The participant file's columns, in order (one row per participant the document counts).
PEOPLE_COLUMNS = (
    "beneficiary_id",
    "structure",
    "entered_on",
    "entry",
    "automatic",
    *PROFILE,
    "left_on",
    *LEAVING,
    "followed_up_on",
    *FOLLOW_UP,
)
TEBA = "food_aid_teba"
# Which participants each kind of indicator reads (the flags ``participants`` sets).
SCOPE = {
    "output": "entered",
    "immediate_result": "left",
    "longer_term_result": "followed_up",
    "most_deprived": "food_aid",
}


class UnknownOperationError(ValueError):
    """No ESF rules for this operation key (a programme period, "2014-2020" or "2021-2027")."""

    def __init__(self, operation: str) -> None:
        super().__init__(f"no ESF indicators for operation {operation!r}: one of {', '.join(RULES)}")


def rules_of(operation: str) -> tuple[Indicator, ...]:
    """The indicators of an operation's programme period."""
    if operation not in RULES:
        raise UnknownOperationError(operation)
    return RULES[operation]


def _in(column: Any, start: date, end: date) -> Any:
    return and_(column >= start, column <= end)


def _food_aid(start: date, end: date) -> Any:
    """Who had a ΤΕΒΑ request resolved in the period (voided requests not)."""
    return select(case_index.c.beneficiary_id).where(
        case_index.c.kind == "request",
        case_index.c.subtype == TEBA,
        case_index.c.status == "resolved",
        case_index.c.voided.is_(False),
        _in(case_index.c.closed_on, start, end),
    )


def participants(
    conn: Connection, operation: str, start: date, end: date, structure: str | None
) -> list[dict[str, Any]]:
    """Every person the document of ``operation`` for [start, end] counts, as one row each: the entry
    data, the exit and follow-up as known by ``end``, and the flags ``entered``, ``left``,
    ``followed_up`` and ``food_aid`` saying where they count (the module's text has the rules)."""
    deprived = any(i.kind == "most_deprived" for i in rules_of(operation))
    exits_in = select(operation_exits.c.beneficiary_id).where(
        operation_exits.c.operation == operation,
        or_(_in(operation_exits.c.left_on, start, end), _in(operation_exits.c.followed_up_on, start, end)),
    )
    concerned = [exits_in, *([_food_aid(start, end)] if deprived else [])]
    entry_where = and_(
        operation_entries.c.operation == operation,
        or_(
            _in(operation_entries.c.entered_on, start, end),
            *(operation_entries.c.beneficiary_id.in_(q) for q in concerned),
        ),
    )
    entries = {
        row["beneficiary_id"]: dict(row)
        for row in conn.execute(select(operation_entries).where(entry_where)).mappings()
    }
    persons = conn.execute(
        select(people).where(
            people.c.voided.is_(False),
            or_(
                _in(people.c.intake_on, start, end),
                people.c.beneficiary_id.in_(select(operation_entries.c.beneficiary_id).where(entry_where)),
                *(people.c.beneficiary_id.in_(q) for q in concerned),
            ),
        )
    ).mappings()
    exits = {
        row["beneficiary_id"]: dict(row)
        for row in conn.execute(
            select(operation_exits).where(
                operation_exits.c.operation == operation,
                or_(_in(operation_exits.c.left_on, start, end), _in(operation_exits.c.followed_up_on, start, end)),
            )
        ).mappings()
    }
    fed = {row[0] for row in conn.execute(_food_aid(start, end))} if deprived else set()
    rows = []
    for person in persons:
        pid: UUID = person["beneficiary_id"]
        row = _entry(dict(person), entries.get(pid), start, end)
        if structure and row["structure"] != structure:
            continue
        _exit(row, exits.get(pid), end)
        entered_on: date = row["entered_on"]
        row["entered"] = start <= entered_on <= end
        row["left"] = row["left_on"] is not None and start <= row["left_on"] <= end
        row["followed_up"] = row["followed_up_on"] is not None and start <= row["followed_up_on"] <= end
        row["food_aid"] = pid in fed and entered_on <= end
        if row["entered"] or row["left"] or row["followed_up"] or row["food_aid"]:
            rows.append(row)
    return sorted(rows, key=lambda r: (r["entered_on"], str(r["beneficiary_id"])))


def _entry(person: dict[str, Any], later: dict[str, Any] | None, start: date, end: date) -> dict[str, Any]:
    """The person's entry into the operation: a later entry's, or the intake's; the first if both count."""
    intake = {
        "beneficiary_id": person["beneficiary_id"],
        "structure": person["structure"],
        "entered_on": person["intake_on"],
        "entry": "intake",
        "automatic": False,
        **{k: person.get(k) for k in PROFILE},
    }
    if later is None:
        return intake
    entered = {
        "beneficiary_id": later["beneficiary_id"],
        "structure": later["structure"],
        "entered_on": later["entered_on"],
        "entry": "return",
        "automatic": bool(later["automatic"]),
        **{k: later.get(k) for k in PROFILE},
    }
    # The intake is this operation's too only if it lies in the period (which lies in the operation).
    if start <= person["intake_on"] <= end and person["intake_on"] <= later["entered_on"]:
        return intake
    return entered


def _exit(row: dict[str, Any], found: dict[str, Any] | None, end: date) -> None:
    """The exit and the follow-up as known at the period's end (a later one is not this document's)."""
    left = found is not None and found["left_on"] <= end
    followed = left and found is not None and found["followed_up_on"] is not None and found["followed_up_on"] <= end
    row["left_on"] = found["left_on"] if left and found else None
    for name in LEAVING:
        row[name] = found[name] if left and found else None
    row["followed_up_on"] = found["followed_up_on"] if followed and found else None
    for name in FOLLOW_UP:
        row[name] = found[name] if followed and found else None


def counted(indicator: Indicator, rows: list[dict[str, Any]], *, refused: bool = False) -> list[dict[str, Any]]:
    """The participants an indicator counts (or, with ``refused``, counts under "refused")."""
    scope = SCOPE[indicator.kind]
    test = indicator.refused if refused else indicator.counts
    return [r for r in rows if r[scope] and test(r)]


def _genders(rows: list[dict[str, Any]]) -> dict[str, int]:
    return by_gender([(r["gender"], 1) for r in rows])


def esf_delivery(conn: Connection, operation: str, start: date, end: date, structure: str | None) -> dict[str, Any]:
    """The indicators of ``operation`` for [start, end] by gender, and the participant file."""
    rows = participants(conn, operation, start, end, structure)
    indicators = []
    for indicator in rules_of(operation):
        item: dict[str, Any] = {
            "code": indicator.code,
            "label": indicator.label,
            "kind": indicator.kind,
            **_genders(counted(indicator, rows)),
        }
        if indicator.special:
            item["refused"] = _genders(counted(indicator, rows, refused=True))
        indicators.append(item)
    return {
        "programme": operation,
        "operation": operation,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "structure": structure,
        "participants": _genders([r for r in rows if r["entered"]]),
        "indicators": indicators,
        # Annex II's end recipients are counted, not filed: ESF+ asks no participant data of them.
        "people": [{k: r[k] for k in PEOPLE_COLUMNS} for r in rows if r["entered"] or r["left"] or r["followed_up"]],
    }
