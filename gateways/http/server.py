"""The app of one API process of ``kentra serve --workers N`` (issue 24): uvicorn's supervisor starts
N processes, each calling ``worker_app`` to build its own platform and app. The work that must run
once (the audit chain follower, the import jobs, the metrics port) stays in the supervisor
(``gateways.cli.serve``); a process here serves requests only."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

from fastapi import FastAPI

from gateways.http.app import create_app
from gateways.observability import configure_logging
from infra.bootstrap import bootstrap
from infra.settings import Settings

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_the_supervisor() -> None:
    """An API process ends when its supervisor does, however it ends: a SIGKILLed (or OOM-killed)
    ``kentra serve`` must not leave processes serving on its port, which a restarted one could not
    take, with nothing running what runs once (Linux: the kernel sends SIGTERM at the parent's death)."""
    if not sys.platform.startswith("linux"):
        return
    supervisor = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != supervisor:  # it died before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


def worker_app() -> FastAPI:
    """One API process's app: its platform from the settings, closed when the process stops."""
    _die_with_the_supervisor()
    kentra = bootstrap(Settings.load())
    configure_logging(kentra.settings.log_level)
    return create_app(kentra, jobs=False, owns_platform=True)
