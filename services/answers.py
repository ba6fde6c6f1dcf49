"""Answers by log position (issue 24): an answer of the views to the same question, at the same
position of the same fold, is computed once and served from memory until the position moves.

The key is the tenant's views (this process's object for that store: never shared between tenants or
platforms), the views' generation (a new one each time they are folded from empty: a rebuild, a
migration that emptied them), their position after catching up with the log (so a figure read after a
write includes it; catching up also derives a rebuild's summaries if they are still due, which the
state says), and the question as the caller scoped it (``services.reporting.scope`` has already
put a caseworker's own structure in it). An erasure is an event: it moves the position.

Per process, thread-safe, bounded (least recently used entries go first). An answer is stored only if
the views did not move while it was computed, and each caller gets its own deep copy, so nobody can
change what the next one is given. Two callers asking the same question at once: the second waits
for the first's answer instead of computing it again.
"""

from __future__ import annotations

import copy
import itertools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

_MISSING = object()
DEFAULT_ENTRIES = 512  # KENTRA_ANSWER_CACHE_ENTRIES; an indicators answer is a few kilobytes


class Positioned(Protocol):
    """What the cache needs of a tenant's views (``projections.runner.CaseworkViews``)."""

    def head(self) -> int: ...

    def state(self) -> tuple[int, int, bool]: ...

    def catch_up(self) -> int: ...


class Answers:
    """A bounded, thread-safe LRU of answers keyed by (views, generation, position, question)."""

    def __init__(self, entries: int = DEFAULT_ENTRIES) -> None:
        self._entries = entries
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()
        self._computing: dict[Hashable, Future[Any]] = {}
        self._lock = threading.Lock()
        self._stores: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        self._serials = itertools.count(1)
        self.hits = 0
        self.misses = 0
        self.waited = 0  # callers given another's computation of the same question

    def resize(self, entries: int) -> None:
        """Keep at most ``entries`` answers from now on (0: keep none)."""
        with self._lock:
            self._entries = entries
            self._trim()

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)

    def _store(self, views: Positioned) -> int:
        """A serial for this views object, never reused in the process (unlike ``id()``)."""
        with self._lock:
            serial = self._stores.get(views)
            if serial is None:
                serial = self._stores[views] = next(self._serials)
            return serial

    def _trim(self) -> None:
        while len(self._kept) > self._entries:
            self._kept.popitem(last=False)

    def answer(self, views: Positioned, question: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` for ``question`` at the views' position after catching up, or its kept answer.

        ``compute`` reads the views (and nothing that changes without moving their position)."""
        state = views.state()
        # Something to fold first (read-your-writes), or a rebuild's summaries still to derive (by another
        # process that stopped, or has not got there yet, after its last batch): catching up does both.
        if state[0] < views.head() or state[2]:
            views.catch_up()
            state = views.state()
        key = (self._store(views), state, question)
        waiting: Future[Any] | None = None
        with self._lock:
            kept = self._kept.get(key, _MISSING)
            if kept is not _MISSING:
                self._kept.move_to_end(key)
                self.hits += 1
            elif (waiting := self._computing.get(key)) is None:
                mine: Future[Any] = Future()
                self._computing[key] = mine
                self.misses += 1
            else:
                self.waited += 1
        if kept is not _MISSING:  # never changed once kept: copied outside the lock
            return copy.deepcopy(kept)  # type: ignore[no-any-return]
        if waiting is not None:  # the same question is being computed: its answer, not a second computation
            return copy.deepcopy(waiting.result())  # type: ignore[no-any-return]
        return copy.deepcopy(self._compute(views, key, state, mine, compute))

    def _compute(
        self,
        views: Positioned,
        key: Hashable,
        state: tuple[int, int, bool],
        future: Future[Any],
        compute: Callable[[], T],
    ) -> T:
        try:
            value = compute()
        except BaseException as error:
            with self._lock:
                del self._computing[key]
            future.set_exception(error)
            raise
        still = views.state() == state  # nothing folded (nor the views emptied) while it was computed
        with self._lock:
            del self._computing[key]
            if still and self._entries > 0:
                self._kept[key] = value
                self._trim()
        future.set_result(value)
        return value


ANSWERS = Answers()  # this process's answers (kentra serve sizes it from KENTRA_ANSWER_CACHE_ENTRIES)
