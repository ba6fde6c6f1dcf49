"""Disclosure control for figures that leave the municipality (the regional dashboards).

(About 410 lines, kept in one file on purpose: the audit and the suppression are one algorithm,
the relations, the linear programmes that attack them and the choice of cells to hide, and a
reader checks that protection answers exactly the attack only when both are in view.)

A published answer is a *linked table*: cells (counts of people or of their entries) and the
relations an attacker knows hold between them:
- an **additive** relation: a total equals the sum of its parts (genders to their total, categories
  to the requests, municipalities to the region's consolidated row, months to their quarter...);
- a **bound**: a count is at least another (the people served in a period include those who came
  in during it);
- a **distinct** relation: a count of distinct people over a union of groups lies between the
  largest group and the sum of the groups (people served in a quarter and in each of its months).

``protect`` chooses the cells to hide. Primary cells are the counts of 1 to ``THRESHOLD - 1``.
Secondary cells are added until the **attacker problem** of the ESSnet handbook on statistical
disclosure control (Hundepool et al., ch. 4 and 5: the bounds a user derives by linear programming
from what is shown, the relations and non-negativity) leaves every hidden cell an interval of at
least ``PROTECTION`` people. ``audit`` is that attacker problem, solved with HiGHS; ``protect`` calls
it after every choice, so what it returns has passed the audit. The choice of secondary cells is a
greedy heuristic (the smallest shown cell next to a cell that fails, see ``_candidate``); it may hide
more than an optimal pattern, never less than the audit needs. Zeros are shown: an empty cell is
about no one, and hiding it would not widen any interval enough on its own.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np  # highspy's own dependency: its typed calls take arrays

THRESHOLD = 5  # a cell of 1 to 4 people is hidden (the frequency rule)
PROTECTION = 5  # no hidden cell may be narrowed to an interval of fewer than 5 people
FLOOR = 1  # the least a hidden cell can be: zeros are never hidden, and the attacker knows it
HIDDEN = "χ"  # the one symbol for a hidden cell, wherever a person reads the figures
GENDER_CELLS = ("female", "male", "non_binary", "unknown")
_EPS = 1e-6

Cell = tuple[Any, ...]
_first = threading.Lock()
_banner_done = False


def _solver() -> highspy.Highs:
    """A silent HiGHS. Its first instance in a process prints a banner on the C level's standard output,
    before any option can be set: that one is made with file descriptor 1 on /dev/null."""
    global _banner_done  # noqa: PLW0603 - once per process
    with _first:
        if not _banner_done:
            sys.stdout.flush()
            saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, 1)
                h = highspy.Highs()  # type: ignore[no-untyped-call]
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(null)
            _banner_done = True
        else:
            h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    return h


@dataclass(frozen=True)
class Relation:
    """``total`` = sum(parts) when additive; max(parts) <= ``total`` <= sum(parts) when distinct;
    max(parts) <= ``total`` when only ``at_least``."""

    total: Cell
    parts: tuple[Cell, ...]
    distinct: bool = False
    at_least: bool = False

    def holds(self, values: Mapping[Cell, int]) -> bool:
        total, parts = values[self.total], [values[p] for p in self.parts]
        if self.at_least:
            return total >= max(parts)
        if self.distinct:
            return max(parts) <= total <= sum(parts)
        return total == sum(parts)


@dataclass
class LinkedTable:
    """Cells with their true values and the relations between them."""

    values: dict[Cell, int] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)

    def add(self, total: Cell, parts: Iterable[Cell], *, distinct: bool = False, at_least: bool = False) -> None:
        parts = tuple(p for p in parts if p in self.values)
        if total in self.values and parts:
            relation = Relation(total, parts, distinct, at_least)
            # One that the true figures break (a correction in flight between two views) is no
            # knowledge for anyone, and would make the attacker's programme infeasible: left out.
            if relation.holds(self.values):
                self.relations.append(relation)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


def audit(
    shown: Mapping[Cell, int | None],
    relations: Iterable[Relation],
    cells: Iterable[Cell] | None = None,
    *,
    whole: bool = False,
    enough: float | None = None,
) -> dict[Cell, Interval]:
    """For every hidden cell (``None``), the interval an attacker derives from what is shown.

    The attacker knows every relation and that a hidden cell is at least ``FLOOR`` (zeros are always
    shown): each bound is the
    optimum of a linear programme (HiGHS), rounded inwards to a whole number. An unbounded cell gets
    ``math.inf`` as its upper bound. ``cells`` limits the answer to some of the hidden cells.
    ``whole`` solves the integer programme instead, the exact bounds of an attacker who also uses
    that counts are whole (slower; its bounds can be narrower than the linear ones rounded inwards).
    ``enough`` stops at an upper bound ``enough`` above the lower one (see ``_bounds``).
    """
    hidden = sorted((c for c, v in shown.items() if v is None), key=repr)
    if not hidden:
        return {}
    index = {c: i for i, c in enumerate(hidden)}
    rows: list[tuple[float, float, dict[int, float]]] = []
    for r in relations:
        if not any(c in index for c in (r.total, *r.parts)):
            continue
        if r.distinct or r.at_least:  # total - part >= 0 for each part
            for part in r.parts:
                rows.append(_row({r.total: 1.0, part: -1.0}, shown, index, low=0.0, high=math.inf))
        if r.at_least:
            continue
        coefficients: dict[Cell, float] = defaultdict(float)  # sum(parts) - total = 0, or >= 0 if distinct
        for part in r.parts:
            coefficients[part] += 1.0
        coefficients[r.total] -= 1.0
        rows.append(_row(coefficients, shown, index, low=0.0, high=math.inf if r.distinct else 0.0))
    asked = hidden if cells is None else sorted(set(cells) & set(index), key=repr)
    return _bounds(hidden, rows, [index[c] for c in asked], whole=whole, enough=enough)


def _row(
    coefficients: Mapping[Cell, float],
    shown: Mapping[Cell, int | None],
    index: Mapping[Cell, int],
    *,
    low: float,
    high: float,
) -> tuple[float, float, dict[int, float]]:
    """low <= sum(coefficient * cell) <= high, with shown cells moved to the bounds."""
    constant = sum(k * (shown[c] or 0) for c, k in coefficients.items() if c not in index)
    variables = {index[c]: k for c, k in coefficients.items() if c in index and k != 0.0}
    return low - constant, high - constant, variables


Row = tuple[float, float, dict[int, float]]


def _bounds(
    hidden: list[Cell], rows: list[Row], asked: list[int], *, whole: bool, enough: float | None
) -> dict[Cell, Interval]:
    """Each asked cell's bounds, one programme per group of hidden cells that rows tie together.

    A cell seen at ``FLOOR`` in any solution has it as its lower bound: its minimum is not solved again.
    With ``enough``, a cell seen at ``enough`` or more above its lower bound is wide enough: its upper
    bound is then given as that value, a lower estimate (``protect`` needs no more).
    """
    group = list(range(len(hidden)))

    def root(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    for _, _, variables in rows:
        tied = list(variables)
        for other in tied[1:]:
            group[root(other)] = root(tied[0])
    by_group: dict[int, list[int]] = defaultdict(list)
    for i in asked:
        by_group[root(i)].append(i)
    rows_of: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        if row[2]:
            rows_of[root(next(iter(row[2])))].append(row)
    result: dict[Cell, Interval] = {}
    for g, wanted in by_group.items():
        members = sorted(i for i in range(len(hidden)) if root(i) == g)
        result |= _group_bounds(hidden, members, rows_of.get(g, []), wanted, whole=whole, enough=enough)
    return result


def _group_bounds(
    hidden: list[Cell], members: list[int], rows: list[Row], wanted: list[int], *, whole: bool, enough: float | None
) -> dict[Cell, Interval]:
    local = {i: k for k, i in enumerate(members)}
    n = len(members)
    h = _solver()
    inf = highspy.kHighsInf
    # Zeros are always shown, so whoever reads the answer knows that every hidden cell is at least 1.
    h.addVars(n, [float(FLOOR)] * n, [inf] * n)
    if whole:
        integer = np.full(n, int(highspy.HighsVarType.kInteger), dtype=np.uint8)
        h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), integer)
    for low, high, variables in rows:
        h.addRow(
            -inf if low == -math.inf else low,
            inf if high == math.inf else high,
            len(variables),
            [local[v] for v in variables],
            list(variables.values()),
        )
    at_zero: set[int] = set()
    seen_high = [0.0] * n

    def solve(sense: highspy.ObjSense) -> float:
        h.changeObjectiveSense(sense)
        value = _solve(h)
        if value != math.inf:
            solution = h.getSolution().col_value
            at_zero.update(k for k in range(n) if solution[k] <= FLOOR + _EPS)
            for k in range(n):
                seen_high[k] = max(seen_high[k], solution[k])
        return value

    result: dict[Cell, Interval] = {}
    previous: int | None = None
    for i in wanted:
        k = local[i]
        if previous is not None:
            h.changeColCost(previous, 0.0)
        h.changeColCost(k, 1.0)
        previous = k
        low = float(FLOOR) if k in at_zero else solve(highspy.ObjSense.kMinimize)
        rounded_low = math.ceil(low - _EPS)
        if enough is not None and seen_high[k] >= rounded_low + enough - _EPS:
            high = seen_high[k]
        else:
            high = solve(highspy.ObjSense.kMaximize)
        result[hidden[i]] = Interval(rounded_low, high if high == math.inf else math.floor(high + _EPS))
    return result


_ENDED = (
    highspy.HighsModelStatus.kOptimal,
    highspy.HighsModelStatus.kUnbounded,
    highspy.HighsModelStatus.kUnboundedOrInfeasible,
)


def _solve(h: highspy.Highs) -> float:
    h.run()
    status = h.getModelStatus()
    if status not in _ENDED:
        # The simplex can stall from the last basis (HiGHS says "Unknown"): again from scratch,
        # then with the interior-point solver.
        h.clearSolver()
        h.run()
        status = h.getModelStatus()
        if status not in _ENDED:
            h.setOptionValue("solver", "ipm")
            h.clearSolver()
            h.run()
            h.setOptionValue("solver", "choose")
            status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return float(h.getInfo().objective_function_value)
    if status in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return math.inf
    raise RuntimeError(f"the disclosure audit's programme ended as {h.modelStatusToString(status)}")


def primary(values: Mapping[Cell, int]) -> set[Cell]:
    return {c for c, v in values.items() if 0 < v < THRESHOLD}


def protect(
    table: LinkedTable, before: Iterable[Cell] = (), published: Mapping[Cell, Collection[int]] | None = None
) -> set[Cell]:
    """The cells to hide so that every hidden cell keeps an interval of at least ``PROTECTION``.

    ``before``: cells hidden in an earlier version of the same table. They stay hidden (unless now
    zero), so that a reader who kept the earlier answers learns from the new ones nothing but what
    changed: a cell shown now that was hidden before would give it back.
    ``published``: the values each cell was shown with in earlier versions. A cell whose value is one
    of them is *known*: whoever kept that answer has it, so hiding it now protects nothing (and would
    let the cells it was hidden for be worked out from the earlier answer). A known cell is never
    chosen as a secondary cell, and the audit takes it as shown, even where it stays hidden.
    """
    known = {c for c, v in table.values.items() if published is not None and v in published.get(c, ())}
    hidden = primary(table.values) | {c for c in before if table.values.get(c, 0) > 0}
    by_cell: dict[Cell, list[Relation]] = defaultdict(list)
    for r in table.relations:
        for c in (r.total, *r.parts):
            by_cell[c].append(r)
    for component in _components(table, hidden - known, by_cell):
        hidden |= _protect_component(table, component, hidden & component, by_cell, known)
    return hidden


def _components(table: LinkedTable, hidden: set[Cell], by_cell: Mapping[Cell, list[Relation]]) -> list[set[Cell]]:
    """The groups of cells linked by relations that hold a primary cell (the rest needs nothing)."""
    seen: set[Cell] = set()
    groups = []
    for start in sorted(hidden, key=repr):
        if start in seen:
            continue
        group, todo = {start}, [start]
        while todo:
            for r in by_cell.get(todo.pop(), []):
                for c in (r.total, *r.parts):
                    if c not in group:
                        group.add(c)
                        todo.append(c)
        seen |= group
        groups.append(group)
    return groups


def _protect_component(
    table: LinkedTable,
    component: set[Cell],
    hidden: set[Cell],
    by_cell: Mapping[Cell, list[Relation]],
    known: set[Cell],
) -> set[Cell]:
    relations = [r for r in table.relations if r.total in component]  # in the table's order, not a set's
    hidden = set(hidden)
    pending = hidden - known
    while pending:
        # a known cell is shown to the attacker whatever this version does with it
        shown = {c: (None if c in hidden and c not in known else table.values[c]) for c in component}
        intervals = audit(shown, relations, pending, enough=PROTECTION)
        failing = sorted(
            (c for c in pending if intervals[c].width < PROTECTION), key=lambda c: (table.values[c], repr(c))
        )
        added: set[Cell] = set()
        for cell in failing:
            choice = _candidate(table, cell, hidden | added, by_cell, known)
            if choice is not None:
                added.add(choice)
        if not added:
            # nothing shown and unknown is left next to the failing cells: hiding more cannot widen them
            # (docs/design.md, "Issue 26: shown once, shown for good")
            break
        hidden |= added
        # Hiding more only widens intervals: a cell that passed keeps passing.
        pending = set(failing) | added
    return hidden


def _candidate(
    table: LinkedTable, cell: Cell, hidden: set[Cell], by_cell: Mapping[Cell, list[Relation]], known: set[Cell]
) -> Cell | None:
    """The smallest shown, non-zero cell in a relation with ``cell`` (or with the hidden cells it is tied to).

    Never a known cell (shown before with its value): hiding it again would protect nothing.
    Relations with the fewest hidden cells come first: they are the ones that pin ``cell`` down.
    """
    seen, frontier = {cell}, [cell]
    while frontier:
        options: list[tuple[int, int, str, Cell]] = []
        for c in frontier:
            for r in by_cell.get(c, []):
                cells = (r.total, *r.parts)
                unknown = sum(1 for x in cells if x in hidden and x not in known)
                options += [
                    (unknown, table.values[x], repr(x), x)
                    for x in cells
                    if x not in hidden and x not in known and table.values[x] > 0
                ]
        if options:
            return min(options)[3]
        frontier = [
            x
            for c in frontier
            for r in by_cell.get(c, [])
            for x in (r.total, *r.parts)
            if x in hidden and x not in known and x not in seen
        ]
        seen.update(frontier)
    return None


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
