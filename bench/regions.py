"""Disclosure control of a Region's year: the cells chosen to hide (protect) against one audit of them.

The tables are generated in the shape of a municipality's indicators: 19 fixed periods, every
breakdown, counts drawn as a small municipality's are (many of them under 5). The baseline, from
the same run, is one audit of the pattern that ``protect`` returned: the check that choosing the
cells repeats while it adds them.
"""

from __future__ import annotations

import random
from functools import partial
from typing import Any

from bench.common import Result, timed
from domain.periods import year_periods
from services.disclosure import audit, primary, protect
from services.regions import build_table, cells_of, detailed

CATEGORIES = ("disability_benefit", "food_aid", "heating_allowance", "housing_benefit", "mgi", "other")
DESTINATIONS = ("dypa", "efka", "hospital", "kep", "ngo")


def _month(rng: random.Random, size: float) -> dict[str, Any]:
    def n(mean: float) -> int:
        return max(0, round(rng.gauss(mean * size, mean * size / 2)))

    genders = {
        "female": n(8),
        "male": n(7),
        "non_binary": rng.choice([0] * 30 + [1]),
        "unknown": rng.choice([0] * 10 + [1, 2]),
    }
    served = {**genders, "total": sum(genders.values())}
    new = {g: v // 4 for g, v in genders.items()}
    categories = {c: n(2) for c in CATEGORIES}
    by_structure = {g: sum(categories.values()) * served[g] // max(1, served["total"]) for g in genders}
    by_structure["unknown"] += sum(categories.values()) - sum(by_structure.values())
    destinations = {d: n(0.3) for d in DESTINATIONS}
    referrals = sum(destinations.values())
    return {
        "beneficiaries_served": {"period": served},
        "new_beneficiaries": {**new, "total": sum(new.values())},
        "requests": {
            "total": sum(categories.values()),
            "by_category": [{"category": c, "total": v} for c, v in categories.items()],
            "by_structure_and_gender": [{"structure": "centre", **by_structure, "total": sum(by_structure.values())}],
        },
        "referrals": {
            "total": referrals,
            "by_structure": [{"key": "centre", "total": referrals}],
            "by_destination": [{"key": d, "total": v} for d, v in destinations.items()],
            "by_outcome": [{"key": "sent", "total": referrals}],
        },
        "activities": {"networking_meetings": 1, "community_events": 0, "by_kind": [], "home_visits_by_purpose": []},
    }


def _sum(docs: list[dict[str, Any]]) -> dict[Any, int]:
    """A period's cells as the sum of its months' (people too: an upper bound that keeps the relations)."""
    total: dict[Any, int] = {}
    for doc in docs:
        for key, value in cells_of(doc).items():
            total[key] = total.get(key, 0) + value
    return total


def region(municipalities: int, seed: int) -> Any:
    rng = random.Random(seed)
    periods = year_periods(2025)
    tenants = [f"m{i:03d}" for i in range(municipalities)]
    months = {
        (p.code, t): _month(rng, rng.choice([0.3, 0.6, 1, 2, 5])) for p in periods if not p.children() for t in tenants
    }
    cells: dict[tuple[str, str], dict[Any, int]] = {}
    for p in periods:
        parts = [q for q in periods if not q.children() and p.start <= q.start and q.end <= p.end]
        for t in tenants:
            summed = _sum([months[(q.code, t)] for q in parts])
            cells[(p.code, t)] = (
                summed
                if detailed(p)
                else {k: v for k, v in summed.items() if k[0] in ("served", "new") or k[1] == "total"}
            )
    return build_table(tenants, cells, periods, None)


def run(sizes: list[int], seed: int = 18) -> list[Result]:
    results = []
    for size in sizes:
        table = region(size, seed)
        seconds, hidden = timed(partial(protect, table))
        shown = {c: None if c in hidden else v for c, v in table.values.items()}
        check, intervals = timed(partial(audit, shown, table.relations))
        narrowest = min(i.width for i in intervals.values())
        results.append(
            Result(
                "regions",
                f"protecting a Region's year, {size} municipalities",
                seconds,
                "s",
                "one audit of the pattern it chose",
                check,
                "",
                None,
                f"{len(table.values):,} cells, {len(primary(table.values)):,} primary, {len(hidden):,} hidden; "
                f"narrowest interval {narrowest:g}",
                {"cells": len(table.values), "hidden": len(hidden)},
            )
        )
    return results


if __name__ == "__main__":
    import sys

    for size in [int(a) for a in sys.argv[1:]] or [3, 10]:
        for result in run([size]):
            print(
                f"{result.figure}: {result.value:.2f} s (audit {result.baseline_value:.2f} s); {result.notes}",
                flush=True,
            )
