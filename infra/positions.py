"""A follower's position in a tenant's log (the ``positions`` table beside the tenant's views).

The gateway keeps how far it published here; it moves only from where it was read, so two
gateways racing on one batch cannot both move it. Under a lease (``infra/leases.py``) it moves only
under the fencing token that holds it: the holder writes its token in a row of the same table
(``fence:<kind>``) when it takes the lease, and each move checks that row in its own transaction,
so a replica paused past its lease finds a newer token there and moves nothing.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from projections.tables import positions

Fence = tuple[str, int]  # (the kind of lease, its token)


class Positions:
    """Read and move named positions in one tenant's views store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, name: str) -> int:
        """Where ``name`` stands; 0 if it never moved."""
        with self.engine.connect() as conn:
            row = conn.execute(select(positions.c.position).where(positions.c.view == name)).first()
        return 0 if row is None else int(row[0])

    def advance(self, name: str, start: int, to: int, *, fence: Fence | None = None, clear: str | None = None) -> bool:
        """Move ``name`` from ``start`` to ``to``; False if someone else moved it from ``start`` meanwhile,
        or if ``fence``'s token no longer holds the lease. ``clear``: names starting so are forgotten with it."""
        with self.engine.begin() as conn:
            if fence is not None and not _fenced(conn, fence):
                return False
            moved = conn.execute(
                update(positions).where(positions.c.view == name, positions.c.position == start).values(position=to)
            ).rowcount
            if moved == 0 and start == 0:
                conn.execute(insert(positions).values(view=name, position=to))
                moved = 1
            if moved and clear:
                conn.execute(delete(positions).where(positions.c.view.startswith(clear)))
        return bool(moved)

    def claim(self, fence: Fence) -> bool:
        """Write a new holder's token; False if a newer one is there already (this holder lost it)."""
        name, token = _fence_name(fence[0]), fence[1]
        try:
            with self.engine.begin() as conn:
                if conn.execute(
                    update(positions)
                    .where(positions.c.view == name, positions.c.position <= token)
                    .values(position=token)
                ).rowcount:
                    return True
                if conn.execute(select(positions.c.position).where(positions.c.view == name)).first() is not None:
                    return False
                conn.execute(insert(positions).values(view=name, position=token))
        except IntegrityError:  # another holder wrote its row first: see whose token is newer
            return self.claim(fence)
        return True

    def fence_token(self, kind: str) -> int:
        """The newest token written for ``kind`` (0 if none yet)."""
        return self.get(_fence_name(kind))

    def mark(self, name: str, value: int, *, fence: Fence | None = None) -> bool:
        """Set ``name`` to ``value`` (a marker, not a position: it may go back); False if fenced off."""
        with self.engine.begin() as conn:
            if fence is not None and not _fenced(conn, fence):
                return False
            if not conn.execute(update(positions).where(positions.c.view == name).values(position=value)).rowcount:
                conn.execute(insert(positions).values(view=name, position=value))
        return True

    def starting(self, prefix: str) -> dict[str, int]:
        """Every name starting with ``prefix`` and its value."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(positions.c.view, positions.c.position).where(positions.c.view.startswith(prefix))
            )
            return {str(view): int(value) for view, value in rows}

    def reset(self, name: str) -> None:
        """Back to 0: the follower starts from the beginning of the log next time."""
        with self.engine.begin() as conn:
            conn.execute(update(positions).where(positions.c.view == name).values(position=0))


def _fence_name(kind: str) -> str:
    return "fence:" + kind


def _fenced(conn: Connection, fence: Fence) -> bool:
    """The token still holds: its row is locked until the transaction ends, so a new holder's claim
    waits for this move to commit and reads the position after it."""
    name, token = _fence_name(fence[0]), fence[1]
    return bool(
        conn.execute(
            update(positions).where(positions.c.view == name, positions.c.position == token).values(position=token)
        ).rowcount
    )
