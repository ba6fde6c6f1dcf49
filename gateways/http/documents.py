"""HTTP API: Documents attached to a person or an entry, sealed under the person's key (issue 23)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
