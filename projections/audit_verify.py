"""Verifying a tenant's audit chain: both chains and every seal recomputed from the log as stored now.

``ChainVerification`` is the verifying half of ``projections.audit.AuditChain`` (which supplies the
log, the chain's rows, the keys and the witness); it names the first thing broken (docs/audit.md).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from sqlalchemy import Engine, select

from projections.audit_seal import (
    ERASED_TOPIC,
    NO_LEGACY,
    SEALED_SUBJECT,
    Checkpoint,
    Verdict,
    Witness,
    genesis,
    link,
    mac_genesis,
    mac_link,
    mac_new_store,
    seal_verdict,
)
from projections.tables import audit_chain

BATCH = 2000


class ChainVerification:
    """The verify side of a tenant's chain; the attributes and the three readers come from ``AuditChain``."""

    app: Application[UUID]
    engine: Engine
    tenant_id: str
    public_key: str
    chain_key: bytes
    seal_key: bytes
    witness: Witness | None
    subjects_with_keys: Callable[[], set[UUID]] | None

    def checkpoints(self, *, unpublished: bool = False) -> list[Checkpoint]:
        raise NotImplementedError

    def _notifications(self, after: int) -> Iterator[Any]:
        raise NotImplementedError

    def _marks(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def verify(self, published: Iterable[Checkpoint] = ()) -> Verdict:
        """Recompute both chains and every seal from the log as stored now; name the first thing broken.

        Every checkpoint, stored, published or witnessed, must carry the tenant's signature and match
        the hash recomputed at its position; a published or witnessed checkpoint must still be in the
        store; the last witnessed head must still be reached; every key missing from the vault (or not
        unwrapping for its subject) must have an erasure in the log; no row may sit below position 1.
        """
        with self.engine.connect() as conn:
            chain = conn.execute(
                select(audit_chain.c.position, audit_chain.c.hash, audit_chain.c.mac, audit_chain.c.legacy).order_by(
                    audit_chain.c.position
                )
            ).all()
        stored = self.checkpoints()
        witnessed = self.witness.read() if self.witness is not None else []
        try:
            due = self._checkpoints_to_meet(stored, published, witnessed)
            self._nothing_before_the_log()
            new_store = self._new_store_mark(witnessed)
            head, pending, subjects, erased = self._walk(chain, due, new_store=new_store)
            self._erasures_recorded(subjects, erased)
        except _BrokenError as broken:
            return Verdict(
                False,
                len(chain),
                broken.head,
                first_broken=broken.position,
                problem=broken.problem,
                kind=broken.kind,
                witnessed=_signed_heads(witnessed),
            )
        return Verdict(
            True,
            len(chain),
            head,
            position=chain[-1][0] if chain else 0,
            pending=pending,
            checkpoints=len(stored),
            witnessed=_signed_heads(witnessed),
        )

    def _nothing_before_the_log(self) -> None:
        """Positions are numbers a writer may choose: a row at 0 or below is never chained, yet the
        application reads it (by its aggregate's id), so its presence alone is reported."""
        below = self.app.recorder.select_notifications(start=None, limit=BATCH, stop=0)
        if below:
            raise _BrokenError(
                below[0].id,
                f"{len(below)}{'+' if len(below) == BATCH else ''} row(s) at positions below the log's first"
                " (inserted, never chained): forged",
                genesis(self.tenant_id),
                "forged",
            )

    def _new_store_mark(self, witnessed: list[tuple[str, Checkpoint]]) -> bool:
        """Whether the store was marked new; the mark must be the chain key's, and must still be there if
        the witness saw it made."""
        start = genesis(self.tenant_id)
        marks = self._marks()
        for mark, mac in marks:
            if mark != NO_LEGACY or not hmac.compare_digest(mac, mac_new_store(self.chain_key, self.tenant_id)):
                raise _BrokenError(0, "a mark on the store that Kentra did not write (forged)", start, "forged")
        if marks:
            return True
        if any(kind == "new-store" and self._genuine(c) for kind, c in witnessed):
            raise _BrokenError(
                0,
                "the store was provisioned new, but the mark saying it has no legacy events is gone (deleted)",
                start,
                "deleted",
            )
        return False

    def _genuine(self, checkpoint: Checkpoint) -> bool:
        return checkpoint.tenant == self.tenant_id and checkpoint.signature_ok(self.public_key)

    def _checkpoints_to_meet(
        self, stored: list[Checkpoint], published: Iterable[Checkpoint], witnessed: list[tuple[str, Checkpoint]]
    ) -> dict[int, list[Checkpoint]]:
        """The checkpoints by position, once each is known to be genuine and none was deleted."""
        signatures = {c.signature for c in stored}
        start = genesis(self.tenant_id)
        # Only what this tenant signed counts: a stranger's message on the topic proves nothing.
        copies = [*published, *(c for kind, c in witnessed if kind == "checkpoint")]
        for checkpoint in copies:
            if checkpoint.signature not in signatures and self._genuine(checkpoint):
                raise _BrokenError(
                    checkpoint.position,
                    f"the checkpoint signed at {checkpoint.signed_at} is missing from the store (deleted)",
                    start,
                    "checkpoint-deleted",
                )
        due: dict[int, list[Checkpoint]] = {}
        for checkpoint in stored:
            if not self._genuine(checkpoint):
                raise _BrokenError(
                    checkpoint.position,
                    f"the checkpoint of {checkpoint.signed_at} is not signed by this tenant's key",
                    start,
                    "checkpoint-forged",
                )
            due.setdefault(checkpoint.position, []).append(checkpoint)
        # The furthest head the follower witnessed: the log and the chain must still reach it.
        heads = sorted((c for kind, c in witnessed if kind == "head"), key=lambda c: c.position, reverse=True)
        last = next((c for c in heads if self._genuine(c)), None)
        if last is not None:
            due.setdefault(last.position, []).append(last)
        return due

    def _walk(
        self, chain: Sequence[Any], due: dict[int, list[Checkpoint]], *, new_store: bool
    ) -> tuple[str, int, dict[UUID, int], set[UUID]]:
        """Recompute each position from the log; returns the head, how many wait to be chained, the
        subjects whose sealed values the log holds (with the first position of each) and the erased.
        On a store marked new no row may lack a seal."""
        subjects: dict[UUID, int] = {}
        erased: set[UUID] = set()
        sealed_seen = False

        def meet(position: int, computed: str) -> None:
            for checkpoint in due.pop(position, []):
                if checkpoint.hash != computed:
                    raise _BrokenError(
                        position,
                        f"the log no longer agrees with the checkpoint signed at {checkpoint.signed_at}",
                        computed,
                        "altered",
                    )

        def look_at(event: Any, previous: str, verdict: str) -> str:
            """The event's seal, and what it says about subjects and erasures."""
            nonlocal sealed_seen
            if verdict == "sealed":
                sealed_seen = True
            elif verdict == "unsealed" and (sealed_seen or new_store):
                raise _BrokenError(
                    event.id, "a row Kentra did not write (no seal): forged or inserted", previous, "forged"
                )
            _note_subjects(event, subjects, erased)
            return verdict

        events = self._notifications(0)
        previous = genesis(self.tenant_id)
        mac = mac_genesis(self.chain_key, self.tenant_id)
        meet(0, previous)
        current = next(events, None)
        for position, stored_hash, stored_mac, legacy in chain:
            if current is not None and current.id < position:
                raise _BrokenError(current.id, "a row that was never chained (inserted)", previous, "forged")
            if current is None or current.id != position:
                raise _BrokenError(position, "the event is missing (deleted or moved)", previous, "deleted")
            seal = seal_verdict(self.seal_key, current)
            computed, computed_mac = self._recompute(
                current, previous, mac, (stored_hash, stored_mac, bool(legacy)), seal=seal, sealed_seen=sealed_seen
            )
            if seal == "unsealed" and (new_store or not legacy):
                raise _BrokenError(
                    position, "a row Kentra did not write (no seal), chained as if genuine: forged", previous, "forged"
                )
            if look_at(current, previous, seal) == "broken":
                raise _BrokenError(position, "the stored event differs from what Kentra sealed", previous, "altered")
            meet(position, computed)
            previous, mac = computed, computed_mac
            current = next(events, None)
        pending = 0
        while current is not None:  # recorded, not chained yet: the seals still say who wrote them
            seal = seal_verdict(self.seal_key, current)
            if seal == "unsealed" and (chain or new_store):  # after the first build, every event must be sealed
                raise _BrokenError(
                    current.id, "a row Kentra did not write (no seal): forged or inserted", previous, "forged"
                )
            if look_at(current, previous, seal) == "broken":
                raise _BrokenError(current.id, "the stored event differs from what Kentra sealed", previous, "altered")
            pending += 1
            current = next(events, None)
        if due:
            lost = min(due)
            raise _BrokenError(
                lost,
                f"position {lost} was signed or witnessed, but the chain no longer reaches it (the tail was removed)",
                previous,
                "truncated",
            )
        return previous, pending, subjects, erased

    def _recompute(
        self, event: Any, previous: str, mac: str, stored: tuple[str, str, bool], *, seal: str, sealed_seen: bool
    ) -> tuple[str, str]:
        """Both chains at the event's position, which must equal the stored row; names what differs."""
        position, (stored_hash, stored_mac, legacy) = event.id, stored
        computed = link(previous, event)
        if computed != stored_hash:
            if seal == "sealed":
                raise _BrokenError(
                    position, "a genuine event, but not the one chained here (reordered)", previous, "reordered"
                )
            raise _BrokenError(position, "the stored event differs from what was chained", previous, "altered")
        computed_mac = mac_link(self.chain_key, mac, position, computed, legacy)
        if not hmac.compare_digest(computed_mac, str(stored_mac)):
            if seal == "unsealed" and sealed_seen:
                raise _BrokenError(
                    position,
                    "a row Kentra did not write, with a chain row it did not write (forged)",
                    previous,
                    "forged",
                )
            raise _BrokenError(
                position,
                "the chain was recomputed without the chain key (rows changed and re-chained)",
                previous,
                "rechained",
            )
        return computed, computed_mac

    def _erasures_recorded(self, subjects: dict[UUID, int], erased: set[UUID]) -> None:
        """A subject's key may be missing from the vault, or fail to unwrap for them (replaced, altered),
        only if the log says they were erased."""
        if self.subjects_with_keys is None:
            return
        present = self.subjects_with_keys()
        silent = {s: p for s, p in subjects.items() if s not in present and s not in erased}
        if silent:
            position = min(silent.values())
            raise _BrokenError(
                position,
                f"{len(silent)} subject key(s) missing from the vault, or not opening for their subject,"
                " without an erasure in the log "
                f"(first sealed at position {position}): a silent erasure",
                genesis(self.tenant_id),
                "silent-erasure",
            )


def _signed_heads(witnessed: list[tuple[str, Checkpoint]]) -> int:
    """How many heads and checkpoints the witness holds (its note that the store began new aside)."""
    return sum(1 for kind, _ in witnessed if kind in ("head", "checkpoint"))


def _note_subjects(event: Any, subjects: dict[UUID, int], erased: set[UUID]) -> None:
    """The subjects whose sealed values the event holds (with the first position of each), and whom it erases."""
    state = event.state
    raw = bytes(state) if isinstance(state, bytes | bytearray | memoryview) else str(state).encode()
    for match in SEALED_SUBJECT.finditer(raw):
        subjects.setdefault(UUID(hex=match.group(1).decode()), event.id)
    if event.topic == ERASED_TOPIC:
        # An originator that is not an id is not an erasure Kentra recorded (and its seal is broken).
        with suppress(ValueError):
            erased.add(UUID(str(event.originator_id)))


class _BrokenError(Exception):
    def __init__(self, position: int, problem: str, head: str, kind: str) -> None:
        super().__init__(problem)
        self.position, self.problem, self.head, self.kind = position, problem, head, kind
