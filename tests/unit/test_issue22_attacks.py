"""Issue 22's manifests attacked: what a process does in production that the files did not provide for."""

from __future__ import annotations

from typing import Any

import pytest
from kafka.errors import KafkaError

from gateways.kafka.inflight import highest_published
from tests.unit.test_deploy import installs, named, pod


def secret_files(doc: dict[str, Any]) -> dict[str, str]:
    """Each file of ``/run/secrets`` a workload's pods see, and the Secret it comes from."""
    files: dict[str, str] = {}
    for volume in pod(doc).get("volumes", []):
        for source in volume.get("projected", {}).get("sources", []):
            secret = source.get("secret")
            if secret is None:
                continue
            for item in secret.get("items", []):
                files[item["path"]] = secret["name"]
            if not secret.get("items"):
                files.setdefault(f"*{secret['name']}", secret["name"])
    return files


def test_the_apis_chain_follower_listens_straight_to_postgresql_not_through_pgbouncer() -> None:
    """The API follows its share of the audit chains (leases of kind "chain"), woken by LISTEN. Its URL
    (`kentra-db-app`) is PgBouncer in transaction mode, which keeps no LISTEN: without a listen URL of
    its own the chains moved only at the 30-second safety poll, and the LISTEN's server connection
    was handed on to other clients."""
    for name, docs in installs().items():
        api = named(docs, "Deployment", "kentra-api")
        assert secret_files(api).get("kentra_database_listen_url") == "kentra-db-direct", name


class _SilentBroker:
    """A reader whose partition has messages to its end but whose broker answers no poll."""

    def end_offsets(self, partitions: list[object]) -> dict[object, int]:
        return dict.fromkeys(partitions, 5)

    def assign(self, partitions: list[object]) -> None: ...

    def seek(self, partition: object, offset: int) -> None: ...

    def position(self, partition: object) -> int:
        return 0

    def poll(self, timeout_ms: int) -> dict[object, list[object]]:
        return {}


def test_a_broker_silent_during_the_take_overs_read_back_is_retried_like_any_broker_trouble() -> None:
    """`gateway run` retries on a KafkaError; a builtin TimeoutError here stopped the whole process."""
    with pytest.raises(KafkaError):
        highest_published(_SilentBroker(), "kentra.events.v1", 0, 0, tenant_id="sofades", timeout_ms=10)
