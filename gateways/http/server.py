"""The app of one API process of ``kentra serve --workers N`` (issue 24): uvicorn's supervisor starts
N processes, each calling ``worker_app`` to build its own platform and app. The work that must run
once (the audit chain follower, the import jobs, the metrics port) stays in the supervisor
(``gateways.cli.serve``); a process here serves requests only."""

from __future__ import annotations

from fastapi import FastAPI

from gateways.http.app import create_app
from gateways.observability import configure_logging
from infra.bootstrap import bootstrap
from infra.settings import Settings


def worker_app() -> FastAPI:
    """One API process's app: its platform from the settings, closed when the process stops."""
    kentra = bootstrap(Settings.load())
    configure_logging(kentra.settings.log_level)
    return create_app(kentra, jobs=False, owns_platform=True)
