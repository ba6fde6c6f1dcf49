"""Who is calling: the client's address as the server saw it, for the API and the pages alike."""

from __future__ import annotations

from starlette.requests import Request


def client_address(request: Request) -> str:
    """The caller's address as the server saw it (behind a proxy: as uvicorn's --proxy-headers made it)."""
    return request.client.host if request.client else "unknown"
