"""Tenants files of municipalities made up for a test: their own stores on the shared PostgreSQL,
their own partitions, nothing of the shipped tenants' data touched."""

from __future__ import annotations

from pathlib import Path

from infra.settings import DEFAULT_TENANTS_FILE

MUNICIPALITY = """
[[tenants]]
id = "{tenant_id}"
name_el = "Δήμος Δοκιμής {n}"
name_en = "Test municipality {n}"
region = "thessaly"
opened = "2024-03-04"
[[tenants.programmes]]
period = "2014-2020"
name_el = "Περιφερειακό Επιχειρησιακό Πρόγραμμα Θεσσαλίας 2014-2020"
[[tenants.structures]]
id = "centre"
kind = "centre"
name_el = "Κέντρο Κοινότητας"
"""
ROMA_BRANCH = """[[tenants.structures]]
id = "roma-branch"
kind = "roma-branch"
name_el = "Παράρτημα Ρομά"
"""


def tenants_file(directory: Path, tenant_ids: list[str], *, shipped: bool = True, roma: bool = False) -> Path:
    """``directory/tenants.toml``: the shipped tenants (or, with ``shipped=False``, only their Regions)
    and a test municipality per id, each with a centre (and a Roma branch with ``roma``)."""
    text = DEFAULT_TENANTS_FILE.read_text(encoding="utf-8")
    if not shipped:
        text = text[: text.index("\n[[tenants]]")]
    for n, tenant_id in enumerate(tenant_ids, start=1):
        text += MUNICIPALITY.format(tenant_id=tenant_id, n=n) + (ROMA_BRANCH if roma else "")
    path = directory / "tenants.toml"
    path.write_text(text, encoding="utf-8")
    return path
