"""Rows of the log that do not decode: every reader skips and counts them, and goes on.

A row Kentra did not write (the tenant's role can INSERT one; ``audit verify`` reports it as forged)
may hold a state that is not JSON, a topic that names no class, or a value that does not open. The
views, the auditor's replay and drill-down, the Kafka gateway and ``read_log`` read it as if it were
not there, so one such row never takes a tenant's lists, figures, replay or feed down.

Standard library only (the domain's rule): decoding a stored row is a pure function of the row, so
whatever the decoder raises means "this row cannot be opened", and nothing else is caught here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

log = logging.getLogger("kentra.log")

Row = TypeVar("Row")
Decoded = TypeVar("Decoded")


def decodable(decode: Callable[[Row], Decoded], rows: Iterable[Row], *, reader: str) -> tuple[list[Decoded], int]:
    """What ``decode`` makes of each row, leaving out the rows it cannot decode; and how many those were.

    The log line names the reader and the count only: no id and no value (the library's error message
    carries the originator id)."""
    decoded, skipped = [], 0
    for row in rows:
        try:
            decoded.append(decode(row))
        except Exception:  # any failure to decode one row is that row's: see the module's text
            skipped += 1
    if skipped:
        log.warning(
            "%s: %d event(s) of the log do not decode and were skipped (`kentra audit verify`)", reader, skipped
        )
    return decoded, skipped
