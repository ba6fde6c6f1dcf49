"""Every figure is split by gender: female, male, non_binary, and unknown (no person behind it)."""

from __future__ import annotations

GENDERS = ("female", "male", "non_binary", "unknown")


def by_gender(rows: list[tuple[str | None, int]]) -> dict[str, int]:
    """Counts by gender, with their total, from (gender, count) pairs; an unknown gender is "unknown"."""
    counts = dict.fromkeys(GENDERS, 0)
    for gender, n in rows:
        counts[gender if gender in counts else "unknown"] += int(n)
    return {**counts, "total": sum(counts.values())}
