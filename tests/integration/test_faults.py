"""Faults, on loopback against the harness's PostgreSQL: the API killed with SIGKILL in the middle of
a stream of commands, PostgreSQL restarted mid-stream, and concurrent conflicting commands on one
record. Each time every acknowledged command is in the log exactly once, and clients are told
plainly what to do.

(The gateway killed mid-stream and Kafka away for 30 seconds are in ``test_kafka_rollup.py``.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from pydantic import SecretStr

from domain.identifiers import make_amka
from infra.bootstrap import bootstrap
from infra.settings import Settings
from services.access import Principal, Role
from services.casework import read_log
from services.idempotency import entry_id_for
from tests.conftest import TEST_MASTER_KEY, service_url
from tests.e2e.conftest import intake_body
from tests.e2e.test_serve import free_port
from tests.fleet import tenants_file

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]
PASSWORD = "a long fault-test password"


@dataclass
class Platform:
    """A fresh tenant on the harness's PostgreSQL, served by `kentra serve` as a process of its own."""

    settings: Settings
    tenant: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        assert self.settings.database_url is not None
        assert self.settings.database_owner_url is not None
        return {
            **os.environ,
            "KENTRA_DATA_DIR": str(self.settings.data_dir),
            "KENTRA_MASTER_KEY": TEST_MASTER_KEY,
            "KENTRA_TENANTS_FILE": str(self.settings.tenants_file),
            "KENTRA_DATABASE_URL": self.settings.database_url.get_secret_value(),
            "KENTRA_DATABASE_OWNER_URL": self.settings.database_owner_url.get_secret_value(),
            "KENTRA_LOG_LEVEL": "WARNING",
        }

    def start(self) -> None:
        command = [sys.executable, "-m", "gateways.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=self.env(), cwd=ROOT, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 180  # generous: a loaded machine takes long to import the app
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health/live", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        pytest.fail("kentra serve did not answer within 180 s")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def token(self) -> str:
        response = httpx.post(
            f"{self.url}/api/v1/auth/token", data={"username": f"coord.{self.tenant}", "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def registrations(self) -> Counter[UUID]:
        """How many times each beneficiary was registered, read from the log by a fresh process view."""
        kentra = bootstrap(self.settings)
        try:
            log = read_log(kentra.casework(self.tenant))
            return Counter(e.originator_id for e in log if type(e).__qualname__ == "Beneficiary.Registered")
        finally:
            kentra.close()


@pytest.fixture
def platform() -> Iterator[Platform]:
    data = Path(tempfile.mkdtemp(prefix="kentra-faults-"))
    tenant = f"fault-{uuid4().hex[:10]}"
    settings = Settings(
        data_dir=data,
        master_key=SecretStr(TEST_MASTER_KEY),
        tenants_file=tenants_file(data, [tenant], roma=True),
        database_url=SecretStr(service_url("KENTRA_TEST_DATABASE_URL")),
        database_owner_url=SecretStr(service_url("KENTRA_TEST_DATABASE_OWNER_URL")),
    )
    kentra = bootstrap(settings)
    kentra.provision_platform()
    kentra.provision(tenant)
    kentra.accounts.add(Principal(f"coord.{tenant}", Role.COORDINATOR, frozenset({tenant})), PASSWORD)
    kentra.close()
    made = Platform(settings, tenant)
    made.start()
    yield made
    made.stop()


@dataclass
class Stream:
    """Clients sending intakes, each retried with its own Idempotency-Key until acknowledged."""

    platform: Platform
    token: str
    acknowledged: list[str] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)  # what the clients were told along the way
    problems: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, key: str, serial: int, deadline: float) -> None:
        body = intake_body(personal__amka=make_amka(date(1979, 3, 4), serial), personal__first_name=f"Δοκιμή{serial}")
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}
        url = f"{self.platform.url}/api/v1/tenants/{self.platform.tenant}/beneficiaries"
        while time.monotonic() < deadline:
            try:
                response = httpx.post(url, json=body, headers=headers, timeout=10)
            except httpx.TransportError as error:
                with self.lock:
                    self.answers[type(error).__name__] += 1
                time.sleep(0.2)
                continue
            with self.lock:
                self.answers[str(response.status_code)] += 1
                if response.status_code in (200, 201):
                    self.acknowledged.append(key)
                    return
                if response.headers.get("content-type") == "application/problem+json":
                    self.problems.append({**response.json(), "retry_after": response.headers.get("retry-after")})
            if response.status_code != 503:
                return  # not retryable: the test will say so
            time.sleep(0.2)

    def run(self, count: int, fault_after: int, fault: Callable[[], None]) -> None:
        deadline = time.monotonic() + 180
        keys = [f"fault-{uuid4().hex[:12]}" for _ in range(count)]
        faulted = threading.Event()

        def watch() -> None:
            while len(self.acknowledged) < fault_after and time.monotonic() < deadline:
                time.sleep(0.01)
            fault()
            faulted.set()

        watcher = threading.Thread(target=watch)
        watcher.start()
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda item: self.send(item[1], item[0], deadline), enumerate(keys)))
        watcher.join(timeout=120)
        assert faulted.is_set(), "the fault never happened"
        assert sorted(self.acknowledged) == sorted(keys), f"not every command was acknowledged: {self.answers}"


def test_the_api_killed_mid_stream_keeps_every_acknowledged_command_exactly_once(platform: Platform) -> None:
    stream = Stream(platform, platform.token())

    def kill_and_restart() -> None:
        platform.kill()
        time.sleep(1)
        platform.start()

    stream.run(120, 30, kill_and_restart)
    assert stream.answers["ConnectError"] + stream.answers["RemoteProtocolError"] + stream.answers["ReadError"] > 0
    registered = platform.registrations()
    assert set(registered) == {entry_id_for(platform.tenant, key) for key in stream.acknowledged}
    assert set(registered.values()) == {1}  # none twice, though some were sent again


def test_postgresql_restarted_mid_stream_gives_a_retryable_error_and_loses_nothing(platform: Platform) -> None:
    if not os.environ.get("KENTRA_TEST_PG_HARNESS"):
        pytest.skip("PostgreSQL is not the harness's own, so this test cannot restart it")
    script = ROOT / "infra/services/postgres.sh"
    stream = Stream(platform, platform.token())

    def restart_postgres() -> None:
        subprocess.run(["bash", str(script), "stop"], check=True, timeout=60, capture_output=True)
        time.sleep(3)
        subprocess.run(["bash", str(script), "start"], check=True, timeout=120, capture_output=True)

    stream.run(120, 30, restart_postgres)
    assert stream.answers["503"] > 0, stream.answers  # the outage was felt, and said so
    assert stream.answers["500"] == 0, stream.problems
    unavailable = [p for p in stream.problems if p["status"] == 503]
    assert {p["title"] for p in unavailable} == {"Store unavailable"}
    assert all(p["retryable"] is True and p["retry_after"] for p in unavailable)
    registered = platform.registrations()
    assert set(registered) == {entry_id_for(platform.tenant, key) for key in stream.acknowledged}
    assert set(registered.values()) == {1}


def test_concurrent_conflicting_commands_on_one_record_one_wins_and_the_others_are_told(platform: Platform) -> None:
    token = platform.token()
    base = f"{platform.url}/api/v1/tenants/{platform.tenant}"
    auth = {"Authorization": f"Bearer {token}"}
    person = httpx.post(f"{base}/beneficiaries", json=intake_body(), headers=auth).json()["entry_id"]
    opened = httpx.post(
        f"{base}/requests",
        json={"beneficiary_id": person, "category": "gmi", "structure": "centre", "occurred_on": "2024-05-02"},
        headers=auth,
    ).json()
    categories = ["housing_benefit", "birth_benefit", "food_aid_teba", "unemployment_card"] * 3
    start = threading.Barrier(len(categories))

    def amend(category: str) -> httpx.Response:
        body = {
            "entry_id": opened["entry_id"],
            "changes": {"category": category},
            "reason": "typing_error",
            "expected_version": opened["version"],
        }
        start.wait()
        return httpx.post(f"{base}/corrections", json=body, headers=auth, timeout=30)

    with ThreadPoolExecutor(max_workers=len(categories)) as pool:
        answers = list(pool.map(amend, categories))
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: 1, 409: len(categories) - 1}, [a.text for a in answers]
    losers = [a.json() for a in answers if a.status_code == 409]
    assert {p["error"] for p in losers} == {"ConcurrentChangeError"}
    winner = next(a.json() for a in answers if a.status_code == 201)
    history = httpx.get(f"{base}/requests/{opened['entry_id']}", headers=auth).json()
    assert history["version"] == winner["version"] == opened["version"] + 1  # exactly one amendment


def test_intakes_served_at_once_each_keep_their_own_key_and_their_data_opens(platform: Platform) -> None:
    """Requests served in parallel threads once shared one vault batch, so a key could be written by
    another request's transaction, or not at all. Each person's data must open afterwards."""
    token = platform.token()
    base = f"{platform.url}/api/v1/tenants/{platform.tenant}"
    auth = {"Authorization": f"Bearer {token}"}
    people = 24
    start = threading.Barrier(people)

    def register(serial: int) -> httpx.Response:
        body = intake_body(
            personal__amka=make_amka(date(1981, 5, 6), serial), personal__last_name=f"Ταυτόχρονη{serial}"
        )
        start.wait()
        return httpx.post(f"{base}/beneficiaries", json=body, headers=auth, timeout=60)

    with ThreadPoolExecutor(max_workers=people) as pool:
        answers = list(pool.map(register, range(people)))
    assert [a.status_code for a in answers] == [201] * people, [a.text[:200] for a in answers if a.status_code != 201]
    for serial, answer in enumerate(answers):
        shown = httpx.get(f"{base}/beneficiaries/{answer.json()['entry_id']}", headers=auth, timeout=30).json()
        assert shown["state"]["sealed"]["personal"]["last_name"] == f"Ταυτόχρονη{serial}"
