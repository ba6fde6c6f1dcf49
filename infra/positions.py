"""A follower's position in a tenant's log (the ``positions`` table beside the tenant's views).

The gateway keeps how far it published here; it moves only from where it was read, so two
gateways racing on one batch cannot both move it.
"""

from __future__ import annotations

from sqlalchemy import Engine, insert, select, update

from projections.tables import positions


class Positions:
    """Read and move named positions in one tenant's views store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, name: str) -> int:
        """Where ``name`` stands; 0 if it never moved."""
        with self.engine.connect() as conn:
            row = conn.execute(select(positions.c.position).where(positions.c.view == name)).first()
        return 0 if row is None else int(row[0])

    def advance(self, name: str, start: int, to: int) -> bool:
        """Move ``name`` from ``start`` to ``to``; False if someone else moved it from ``start`` meanwhile."""
        with self.engine.begin() as conn:
            moved = conn.execute(
                update(positions).where(positions.c.view == name, positions.c.position == start).values(position=to)
            ).rowcount
            if moved == 0 and start == 0:
                conn.execute(insert(positions).values(view=name, position=to))
                return True
        return bool(moved)

    def reset(self, name: str) -> None:
        """Back to 0: the follower starts from the beginning of the log next time."""
        with self.engine.begin() as conn:
            conn.execute(update(positions).where(positions.c.view == name).values(position=0))
