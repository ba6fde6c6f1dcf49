"""What the documents commands do (issue 23), one handler per command type, merged into
``services.casework.HANDLERS``.

Documents attached to a person or an entry, sealed under the person's key (issue 23).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

HANDLERS: dict[type[BaseModel], Callable[..., Any]] = {}
