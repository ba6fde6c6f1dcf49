"""What the households commands do (issue 23), one handler per command type, merged into
``services.casework.HANDLERS``.

Households: people linked as head and members, moves between households (issue 23).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

HANDLERS: dict[type[BaseModel], Callable[..., Any]] = {}
