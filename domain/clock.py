"""The municipalities' time zone, and moments read back from a database that may drop the zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

ATHENS = ZoneInfo("Europe/Athens")  # every Kentra municipality is in Greece: "today" is Athens's day


def athens_today() -> date:
    """Today's date in Athens."""
    return datetime.now(ATHENS).date()


def as_utc(moment: datetime) -> datetime:
    """A moment with its zone: SQLite gives back a naive one, always written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
