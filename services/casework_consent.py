"""What the consent commands do (issue 23), one handler per command type, merged into
``services.casework.HANDLERS``.

Information given to a person (GDPR Art. 13) and their consents, with withdrawal (issue 23).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

HANDLERS: dict[type[BaseModel], Callable[..., Any]] = {}
