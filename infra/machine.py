"""What this process may use of the machine it runs on."""

from __future__ import annotations

import math
import os
from pathlib import Path


def usable_cores() -> int:
    """The cores this process may use: ``os.cpu_count()`` narrowed to its CPU affinity and to a cgroup's
    CPU quota (a container limited to 2 CPUs on a 64-core node gets 2, not 64)."""
    try:
        found = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        found = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            found = min(found, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass  # no cgroup v2 limit here
    return max(1, found)
