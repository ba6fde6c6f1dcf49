"""Every command type has its handler, found by the command's class (services/casework.py)."""

from __future__ import annotations

from typing import get_args

from services import commands as c
from services.casework import HANDLERS


def test_every_command_type_has_a_handler_and_every_handler_a_command_type() -> None:
    union, _discriminator = get_args(c.AnyCommand)
    assert set(get_args(union)) == set(HANDLERS)
