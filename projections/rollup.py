"""Regional roll-up: a municipality's published envelopes folded into the same views, in the Region's store.

The envelope's facts go through the very fold the municipality uses (projections/fold.py), so a
municipality's regional figures are its own figures, computed from pseudonymised data. Each
envelope is applied at most once (its event id is recorded in the same transaction), so replays
and duplicates from the broker never count twice.

Beside the views, the Region keeps each person's region-wide link (``region_links``), written in
the same transaction: the link a registration carries, replaced by an amendment of the person's
personal data, removed by an erasure.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, delete, func, insert, select

from domain.beneficiaries import Beneficiary
from domain.clock import as_utc
from domain.entries import CaseEntry
from domain.events import PUBLISHED_BY_NAME, EventClass
from projections.fold import apply
from projections.reading import ViewReader
from projections.summary import Touched, refresh
from projections.tables import region_links, rollup_events


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


def facts(envelope: dict[str, Any]) -> SimpleNamespace:
    """The envelope as the fold reads an event: the same attribute names, pseudonymised ids."""
    body = envelope["body"]
    special = body.get("special")
    changes = dict(body.get("changes") or {})
    return SimpleNamespace(
        originator_id=UUID(body["entry"]),
        originator_version=envelope["version"],
        structure=body["structure"],
        occurred_on=_date(body["occurred_on"]),
        recorded_by="-",  # staff names stay in the municipality
        profile=body.get("profile"),
        sealed=json.dumps({"special": special}) if special else None,
        sealed_changes=json.dumps({"special": special}) if special else None,
        beneficiary_id=UUID(body["person"]) if body.get("person") else None,
        beneficiary_ids=[UUID(p) for p in body.get("people", [])],
        category=body.get("category"),
        agency=body.get("agency"),
        destination=body.get("destination"),
        purpose=body.get("purpose"),
        kind=body.get("kind"),
        follow_up_due=_date(body.get("follow_up_due")),
        status=body.get("status"),
        accepted=body.get("accepted"),
        outcome=body.get("outcome"),
        changes=changes,
    )


def _published_special(token: str) -> dict[str, Any] | None:
    opened: dict[str, Any] = json.loads(token)
    return opened


class RegionalViews(ViewReader):
    """One municipality's views in its Region's store."""

    def __init__(self, tenant_id: str, engine: Engine, schema: str | None) -> None:
        self.tenant_id = tenant_id
        self.engine = engine.execution_options(schema_translate_map={None: schema}) if schema else engine

    def apply(self, envelopes: list[dict[str, Any]]) -> int:
        """Fold a batch of this municipality's envelopes; returns how many were new.

        Each is marked applied at the end of the batch, just before the commit that makes its effect
        visible, so the regional lag counts the whole batch's folding.
        """
        with self.engine.begin() as conn:
            taken: list[dict[str, Any]] = []
            ids: set[str] = set()  # a batch may hold a duplicate too (delivered at least once)
            touched = Touched()  # the indicators' summaries of what the batch changed, recomputed below
            for envelope in envelopes:
                if envelope["tenant"] != self.tenant_id:
                    raise ValueError(f"envelope of {envelope['tenant']} offered to {self.tenant_id}")
                if envelope["event_id"] not in ids and self._apply(conn, envelope, touched):
                    taken.append(envelope)
                    ids.add(envelope["event_id"])
            refresh(conn, touched)
            if taken:
                now = datetime.now(UTC)
                conn.execute(
                    insert(rollup_events),
                    [
                        {
                            "event_id": envelope["event_id"],
                            "position": envelope["position"],
                            "recorded_at": datetime.fromisoformat(envelope["recorded_at"]),
                            "applied_at": now,
                        }
                        for envelope in taken
                    ],
                )
        return len(taken)

    def _apply(self, conn: Connection, envelope: dict[str, Any], touched: Touched) -> bool:
        seen = select(rollup_events.c.event_id).where(rollup_events.c.event_id == envelope["event_id"])
        if conn.execute(seen).first() is not None:
            return False
        kind = PUBLISHED_BY_NAME.get(envelope["event_type"])
        if kind is not None:  # a type this version does not know changes no view (and is still marked applied)
            apply(conn, facts(envelope), _published_special, kind, touched)
            _apply_link(conn, kind, envelope["body"])
        return True

    def position(self) -> int:
        """The highest log position applied (envelopes of one tenant arrive in order)."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(rollup_events.c.position), 0))).scalar_one())

    def as_of(self) -> dict[str, str | None]:
        """When the figures here last took a batch, and the latest recording in the municipality they hold."""
        with self.engine.connect() as conn:
            applied, recorded = conn.execute(
                select(func.max(rollup_events.c.applied_at), func.max(rollup_events.c.recorded_at))
            ).one()
        return {
            "applied_at": as_utc(applied).isoformat() if applied is not None else None,
            "latest_recorded_at": as_utc(recorded).isoformat() if recorded is not None else None,
        }

    def lag(self) -> dict[str, Any]:
        """Seconds from an event's recording in the municipality to its effect here."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(rollup_events.c.recorded_at, rollup_events.c.applied_at)
                .order_by(rollup_events.c.applied_at.desc())
                .limit(1000)
            ).all()
        delays = sorted(max(0.0, (as_utc(a) - as_utc(r)).total_seconds()) for r, a in rows)
        if not delays:
            return {"events": 0}
        return {
            "events": len(delays),
            "p50_seconds": round(delays[len(delays) // 2], 3),
            "p99_seconds": round(delays[min(len(delays) - 1, int(len(delays) * 0.99))], 3),
            "max_seconds": round(delays[-1], 3),
            "position": self.position(),
        }


def _apply_link(conn: Connection, kind: EventClass, body: dict[str, Any]) -> None:
    """A registration sets the person's link, an amendment that carries one replaces it, an erasure removes it."""
    if kind is Beneficiary.Registered or (kind is CaseEntry.Amended and "link" in body):
        person = UUID(body["entry"])
        conn.execute(delete(region_links).where(region_links.c.beneficiary_id == person))
        link = body.get("link")
        if link:
            conn.execute(insert(region_links).values(beneficiary_id=person, kid=link["kid"], link=link["value"]))
    elif kind is Beneficiary.Erased:
        conn.execute(delete(region_links).where(region_links.c.beneficiary_id == UUID(body["entry"])))
