"""Logs, metrics and health for every long-running process: the API and the three workers.

- Logs are JSON lines on standard error with a request id. They carry only method, route
  *template*, status and timings: no query strings, no bodies, no raw paths. A query such as
  ``?amka=`` or ``?name=`` carries personal data, so it is never logged.
- Metrics are Prometheus text at ``/metrics``, never on the API's public port: a worker serves them
  on ``--health-port``, the API on ``kentra serve --metrics-port`` (loopback by default). Per
  tenant: log position, projection lag, gateway lag and unchained events, read from the stores at
  scrape time. HTTP requests and latency by route, and Kafka delivery errors, are counted in the
  process.
- ``/health/live`` says the process is looping; ``/health/ready`` says its database (and, for the
  gateway and the roll-up, its broker) answers. The API serves these itself; a worker serves them
  on ``--health-port``.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any
from uuid import uuid4
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateways.kafka.gateway import published_position
from infra.bootstrap import Kentra

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
log = logging.getLogger("kentra.http")
Check = Callable[[], None]  # raises when the thing checked does not answer


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Whatever ``sys.stderr`` is at the time of writing (a test runner swaps it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


class _Formatter(JsonFormatter):
    """JSON lines whose tracebacks keep the frames and the exception types, never their messages.

    A message may carry SQL parameters (SQLAlchemy, psycopg's DETAIL), the input pydantic refused,
    or ids and names put there by any library: none of that may reach a log line.
    """

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return withheld_traceback(ei[1]) if ei and ei[1] is not None else ""


def withheld_traceback(error: BaseException) -> str:
    """A traceback (the chain of causes included) with every exception's message left out."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    lines = ["Traceback (most recent call last):\n"]
    for each in reversed(chain):
        lines += traceback.format_tb(each.__traceback__)
        lines.append(f"{type(each).__module__}.{type(each).__qualname__} (message withheld)\n")
    return "".join(lines).rstrip("\n")


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for every logger (uvicorn's included), each with the current request id."""
    handler = _Stderr()
    handler.setFormatter(
        _Formatter(
            "{asctime}{levelname}{name}{message}{request_id}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )
    )
    handler.addFilter(_RequestId())
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not isinstance(h, _Stderr)] + [handler]  # once, however often
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # it logs raw paths and query strings
    for name in ("httpx", "httpcore", "urllib3"):  # HTTP clients log whole URLs, queries included
        logging.getLogger(name).setLevel(logging.WARNING)
    # kafka-python logs every failed connection attempt as an error; the workers say it once themselves.
    logging.getLogger("kafka").setLevel(logging.DEBUG if level == "DEBUG" else logging.CRITICAL)


class Metrics:
    """The process's metrics: its own registry, so tests and several apps in one process never mix."""

    def __init__(self, kentra: Kentra) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kentra_http_requests", "HTTP requests by route", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "kentra_http_request_seconds",
            "HTTP request latency by route",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.delivery_errors = Counter(
            "kentra_kafka_delivery_errors",
            "Deliveries the broker did not acknowledge",
            ["topic"],
            registry=self.registry,
        )
        self.registry.register(TenantCollector(kentra))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class TenantCollector(Collector):
    """Per tenant, read at scrape time from the stores: how far each follower is behind the log."""

    def __init__(self, kentra: Kentra) -> None:
        self.kentra = kentra

    def collect(self) -> Iterable[GaugeMetricFamily]:
        position = GaugeMetricFamily("kentra_log_position", "Events recorded in the tenant's log", labels=["tenant"])
        views = GaugeMetricFamily(
            "kentra_projection_lag_events", "Events not yet in the read models", labels=["tenant"]
        )
        seconds = GaugeMetricFamily(
            "kentra_projection_lag_seconds", "Age of the oldest event not yet in the read models", labels=["tenant"]
        )
        gateway = GaugeMetricFamily("kentra_gateway_lag_events", "Events not yet published", labels=["tenant"])
        chain = GaugeMetricFamily("kentra_audit_unchained_events", "Events not yet chained", labels=["tenant"])
        for tenant in self.kentra.registry.tenants:
            if not self.kentra.is_provisioned(tenant.id):
                continue
            lag = self.kentra.views(tenant.id).lag()
            position.add_metric([tenant.id], lag["head"])
            views.add_metric([tenant.id], lag["events_behind"])
            seconds.add_metric([tenant.id], lag["seconds_behind"])
            gateway.add_metric([tenant.id], max(0, lag["head"] - published_position(self.kentra, tenant.id)))
            chain.add_metric([tenant.id], max(0, lag["head"] - self.kentra.audit_chain(tenant.id).head_position()))
        yield from (position, views, seconds, gateway, chain)


def database_check(kentra: Kentra) -> Check:
    """The platform database answers (the users table; on SQLite the file opens)."""

    def check() -> None:
        kentra.accounts.ping()

    return check


# ------------------------------------------------------------------------------------------ the API
class Observe:
    """ASGI middleware: a request id for each request, one JSON log line, and the HTTP metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if VALID_REQUEST_ID.match(given) else uuid4().hex
        token = REQUEST_ID.set(request_id)
        status = 500
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            log.info(
                "request",
                extra={"method": method, "route": route, "status": status, "duration_ms": round(elapsed * 1000, 2)},
            )
            REQUEST_ID.reset(token)


# -------------------------------------------------------------------------------------- the workers
class Heartbeat:
    """A worker beats once per loop; it is live while the last beat is recent."""

    def __init__(self, allowed_seconds: float = 120.0) -> None:
        self.allowed_seconds = allowed_seconds
        self.last = time.monotonic()

    def beat(self) -> None:
        self.last = time.monotonic()

    def check(self) -> None:
        late = time.monotonic() - self.last
        if late > self.allowed_seconds:
            raise RuntimeError(f"no loop for {late:.0f} s")


def answer(checks: dict[str, Check]) -> tuple[bool, bytes]:
    failed = []
    for name, check in checks.items():
        try:
            check()
        except Exception as error:
            failed.append(f'"{name}": "{type(error).__name__}"')
    body = "{" + ", ".join(failed) + "}" if failed else '{"status": "ok"}'
    return not failed, body.encode()


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Probes every few seconds would flood the log."""


def serve_health(
    port: int,
    metrics: Metrics,
    live: dict[str, Check],
    ready: dict[str, Check],
    host: str = "0.0.0.0",  # noqa: S104 - a worker's probes come from outside
) -> WSGIServer:
    """``/health/live``, ``/health/ready`` and ``/metrics`` on ``host:port``, in a daemon thread.

    A worker has no other port; the API (``kentra serve --metrics-port``) serves its metrics here,
    apart from its public port, bound to loopback unless told otherwise.
    """

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            start_response("200 OK", [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")])
            return iter([metrics.render()])
        if path in ("/health/live", "/health/ready"):
            ok, body = answer(live if path == "/health/live" else {**live, **ready})
            start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "application/json")])
            return iter([body])
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return iter([b'{"error": "not found"}'])

    server = make_server(host, port, app, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    return server
