"""What every benchmark shares: the platform on the harness's PostgreSQL and Kafka, fresh tenants,
timing, percentiles and one result row per figure."""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from pydantic import SecretStr

from domain.identifiers import make_amka
from infra.bootstrap import Kentra, bootstrap
from infra.settings import DEFAULT_TENANTS_FILE, Settings

# A fixed key for benchmark stores only (they are thrown away); never a deployment's.
BENCH_MASTER_KEY = "YmVuY2htYXJrLW9ubHktbWFzdGVyLWtleS0zMi1ieXQ="
TODAY = date(2025, 6, 1)


@dataclass
class Result:
    """One figure, the baseline it is compared with in the same run, and the target if there is one."""

    bench: str
    figure: str
    value: float
    unit: str
    baseline: str = ""
    baseline_value: float | None = None
    target: str = ""
    met: bool | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return self.value / self.baseline_value

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def service(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"{name} is not set: run bench/run, which starts PostgreSQL and Kafka")
    return value


def tenants_file(directory: Path, ids: list[str], *, shipped: bool = True, name: str | None = None) -> Path:
    """``directory/name`` (a new name if none is given): the real tenants (only their Regions with
    ``shipped=False``) plus ``ids``, each a copy of a small municipality with two structures."""
    text = DEFAULT_TENANTS_FILE.read_text(encoding="utf-8")
    if not shipped:
        text = text[: text.index("\n[[tenants]]")]
    for n, tenant_id in enumerate(ids):
        text += f"""
[[tenants]]
id = "{tenant_id}"
name_el = "Δήμος Μέτρησης {n}"
name_en = "Benchmark municipality {n}"
region = "thessaly"
opened = "2019-03-04"
[[tenants.programmes]]
period = "2014-2020"
name_el = "Περιφερειακό Επιχειρησιακό Πρόγραμμα Θεσσαλίας 2014-2020"
[[tenants.structures]]
id = "centre"
kind = "centre"
name_el = "Κέντρο Κοινότητας"
[[tenants.structures]]
id = "roma-branch"
kind = "roma-branch"
name_el = "Παράρτημα Ρομά"
"""
    path = directory / (name or f"tenants-{uuid4().hex[:8]}.toml")
    path.write_text(text, encoding="utf-8")
    return path


def intake_body(serial: int) -> dict[str, Any]:
    """The body of ``POST …/beneficiaries`` for a made-up person, distinct for each ``serial``."""
    born = date(1950, 1, 1) + timedelta(days=serial // 9000)
    return {
        "structure": "centre",
        "occurred_on": "2025-05-02",
        "personal": {
            "first_name": "Μέτρηση",
            "last_name": f"Δοκιμαστική{serial}",
            "birth_date": born.isoformat(),
            "amka": make_amka(born, serial % 9000),
        },
        "profile": {
            "gender": "female",
            "employment_status": "unemployed",
            "isced_level": 3,
            "household_situation": "lives_alone",
            "residence_area": "urban",
            "foreign_background": False,
            "third_country_national": False,
            "homeless_or_housing_exclusion": False,
        },
        "special": {"disability": "no", "minority": "no", "other_disadvantage": "no"},
    }


def new_tenant_ids(count: int) -> list[str]:
    run = uuid4().hex[:8]
    return [f"bench-{run}-{n}" for n in range(count)]


def settings(
    directory: Path, tenant_ids: list[str], *, kafka_topic: str | None = None, tenants: Path | None = None
) -> Settings:
    extra: dict[str, Any] = {}
    if kafka_topic:
        extra = {"kafka_bootstrap_servers": service("KENTRA_TEST_KAFKA_BOOTSTRAP_SERVERS"), "kafka_topic": kafka_topic}
    return Settings(
        data_dir=directory,
        master_key=SecretStr(BENCH_MASTER_KEY),
        tenants_file=tenants or tenants_file(directory, tenant_ids),
        database_url=SecretStr(service("KENTRA_TEST_DATABASE_URL")),
        database_owner_url=SecretStr(service("KENTRA_TEST_DATABASE_OWNER_URL")),
        **extra,
    )


@contextmanager
def platform(directory: Path, tenant_ids: list[str], **kw: Any) -> Iterator[Kentra]:
    kentra = bootstrap(settings(directory, tenant_ids, **kw), today=lambda: TODAY)
    kentra.provision_platform()
    for tenant_id in tenant_ids:
        kentra.provision(tenant_id)
    try:
        yield kentra
    finally:
        kentra.close()


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    outcome = work()
    return time.perf_counter() - start, outcome


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0-100) by the inclusive method; samples in any unit."""
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def peak_of(pid: int) -> float:
    """Another live process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
