"""How the layers above read a view without holding a database connection.

A query function of the projections takes a connection first (``queries.indicators(conn, ...)``);
``ViewReader.read`` opens one, calls it and closes it, so services ask their questions of the views
through these functions alone and never import SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine, Table

P = ParamSpec("P")
R = TypeVar("R")


class ViewReader:
    """A view store's read side: ``read(query, *args)`` runs one query function on a fresh connection."""

    engine: Engine
    # Tables a compaction rewrites by TRUNCATE and refill (``compact_views``): not MVCC-safe, so an
    # answer's snapshot taken before it would read them empty. ``read_at_once`` locks them first.
    rewritten: tuple[Table, ...] = ()

    def read(self, query: Callable[Concatenate[Connection, P], R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.engine.connect() as conn:
            return query(conn, *args, **kwargs)

    def read_at_once(self, query: Callable[Concatenate[Connection, P], R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """``read``, with every statement of ``query`` seeing one snapshot of the views: on PostgreSQL a
        REPEATABLE READ transaction, so a fold committing between two of its statements (an answer of
        several tables) is seen by none or all of them. SQLite's store is one process's file; its
        reads stay as ``read``'s. The tables a compaction rewrites are locked (ACCESS SHARE) before the
        snapshot is taken: a compaction then waits for the answer, or the answer for the compaction,
        instead of the answer reading a table TRUNCATEd after its snapshot as empty."""
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")  # before the transaction begins
                if self.rewritten:
                    # LOCK takes no snapshot (nor does the role's SET LOCAL before it): the first SELECT does.
                    schema = (conn.get_execution_options().get("schema_translate_map") or {}).get(None)
                    quote = conn.dialect.identifier_preparer.quote_identifier
                    names = ", ".join(
                        f"{quote(schema)}.{quote(t.name)}" if schema else quote(t.name) for t in self.rewritten
                    )
                    conn.exec_driver_sql(f"LOCK TABLE {names} IN ACCESS SHARE MODE")
            return query(conn, *args, **kwargs)
