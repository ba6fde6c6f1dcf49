"""Issue 22's manifests attacked: what a process does in production that the files did not provide for."""

from __future__ import annotations

from typing import Any

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
