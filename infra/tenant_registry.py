"""Loading and validating the tenant registry data file."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from domain.tenants import TenantRegistry


class RegistryFileError(Exception):
    """The tenants file cannot be read or does not validate; the message names the place."""


def load_registry(path: Path) -> TenantRegistry:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryFileError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as error:
        raise RegistryFileError(f"{path}: not valid TOML: {error}") from None
    try:
        return TenantRegistry.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        raise RegistryFileError(f"{path}: {problems}") from None
