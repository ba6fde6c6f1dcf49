"""HTTP API: Information given to a person (GDPR Art. 13) and their consents,
with withdrawal (issue 23)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
