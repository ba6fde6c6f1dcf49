"""Durable jobs: imports (and any other long job) as rows in the platform schema, taken by workers.

Issue 22, part 3. Uploads and reports are stored in the database, sealed, so every API replica answers
for every job, and a worker killed mid-job leaves it to another. Owned by the jobs helper.
"""

from __future__ import annotations

from sqlalchemy import Engine


def create_tables(engine: Engine) -> None:
    """Create the job tables if missing (``engine`` carries the platform schema's translate map)."""
