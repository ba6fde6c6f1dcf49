"""What the catalogue commands do (issue 23), one handler per command type, merged into
``services.casework.HANDLERS``.

A municipality's own catalogue: local request categories, agencies, activity kinds and
visit purposes, each mapped to a national code (issue 23).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

HANDLERS: dict[type[BaseModel], Callable[..., Any]] = {}
