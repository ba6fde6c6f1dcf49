"""Followers wake when a tenant records something: PostgreSQL's NOTIFY, as the event store sends it.

The eventsourcing library's PostgreSQL recorder sends ``NOTIFY <events table>`` in each transaction
that inserts events (``PostgresApplicationRecorder._notify_channel``; ``PostgresSubscription`` listens
on it). Every tenant's table is named ``casework_events`` in its own schema, so the channel is one for
all tenants and carries no tenant: a notification wakes the follower, which asks each tenant it holds
how far its log goes (one cheap query each). One connection per process listens; it runs no query.
"""

from __future__ import annotations

import logging
import threading

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from infra.stores import EVENTS_TABLE

log = logging.getLogger("kentra.worker")
CHANNEL = EVENTS_TABLE  # the library's channel_name: the events table's name, dots made underscores


def listen_for_events(database_url: str, wake: threading.Event, stopping: threading.Event) -> threading.Thread:
    """Set ``wake`` at each notification until ``stopping`` is set; a lost connection is made again."""
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)

    def listen() -> None:
        while not stopping.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
                    wake.set()  # anything recorded while no one listened is looked for at once
                    while not stopping.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            wake.set()
            except psycopg.Error as error:
                log.warning("not listening for new events (%s); polling until back", type(error).__name__)
                stopping.wait(5.0)

    thread = threading.Thread(target=listen, name="kentra-event-listener", daemon=True)
    thread.start()
    return thread
