"""Pages: A municipality's own catalogue: local request categories, agencies, activity kinds and
visit purposes, each mapped to a national code (issue 23)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
