"""HTTP API: Households: people linked as head and members, moves between households (issue 23)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
