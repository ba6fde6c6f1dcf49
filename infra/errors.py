"""Which infrastructure errors mean "the store went away", for the gateways that answer them.

The drivers' own exception classes stay here, so no gateway imports SQLAlchemy or psycopg.
"""

from __future__ import annotations

import psycopg
import sqlalchemy.exc
from eventsourcing import persistence


class DocumentStoreUnavailableError(Exception):
    """The S3-compatible store of documents did not answer, or answered that it is failing (5xx): the
    request may be sent again. Raised by ``infra.documents.S3DocumentStore`` (issue 23) without the
    client's message, which names the endpoint and the object."""


# The database went away (restarted, failed over, network): the request may be sent again as it was.
STORE_UNAVAILABLE: tuple[type[Exception], ...] = (
    DocumentStoreUnavailableError,
    persistence.OperationalError,
    persistence.InterfaceError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
