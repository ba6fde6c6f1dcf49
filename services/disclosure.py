"""Small-cell suppression for figures that leave the municipality (regional dashboards)."""

from __future__ import annotations

from typing import Any

THRESHOLD = 5
GENDER_CELLS = ("female", "male", "non_binary", "unknown")


def suppress(figures: Any) -> Any:
    """Hide breakdown cells of 1-4 people, and one more cell where a single hidden one could be derived."""
    if isinstance(figures, list):
        return [suppress(item) for item in figures]
    if not isinstance(figures, dict):
        return figures
    result = {key: suppress(value) for key, value in figures.items()}
    if all(cell in figures and isinstance(figures[cell], int) for cell in GENDER_CELLS):
        hidden = [c for c in GENDER_CELLS if 0 < figures[c] < THRESHOLD]
        if len(hidden) == 1:  # the total minus the others would give it away: hide the next smallest too
            others = sorted((figures[c], c) for c in GENDER_CELLS if c not in hidden and figures[c] > 0)
            hidden += [others[0][1]] if others else []
        for cell in hidden:
            result[cell] = None
        if hidden:
            result["suppressed"] = sorted(hidden)
    return result


def add(left: Any, right: Any) -> Any:
    """Sum two indicator documents of the same shape (consolidating municipalities)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return left
    if isinstance(left, int) and isinstance(right, int):
        return left + right
    if isinstance(left, dict) and isinstance(right, dict):
        return {
            key: add(left.get(key), right.get(key)) if key in left and key in right else left.get(key, right.get(key))
            for key in {**left, **right}
        }
    if isinstance(left, list) and isinstance(right, list):
        keyed = _keyed(left) and _keyed(right)
        if keyed:
            merged: dict[str, Any] = {}
            for item in [*left, *right]:
                name = _key(item)
                merged[name] = add(merged[name], item) if name in merged else item
            return [merged[k] for k in sorted(merged)]
    return left


def _key(item: dict[str, Any]) -> str:
    return str(item.get("month") or item.get("category") or item.get("structure") or item.get("key"))


def _keyed(items: list[Any]) -> bool:
    return all(isinstance(i, dict) and any(k in i for k in ("month", "category", "structure", "key")) for i in items)
