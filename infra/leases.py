"""Leases: how any number of worker replicas (`projections run`, `gateway run`) share the tenants.

Issue 22, part 2. A lease is a row in the platform schema (``worker_leases``): one holder per (kind,
tenant) at a time, with a fencing token that grows at each new holder, so a replica that was paused
past its lease cannot move a position (or publish) afterwards. Owned by the leases helper.
"""

from __future__ import annotations

from sqlalchemy import Engine


def create_tables(engine: Engine) -> None:
    """Create the lease tables if missing (``engine`` carries the platform schema's translate map)."""
