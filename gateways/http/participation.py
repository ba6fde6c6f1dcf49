"""ESF participation steps over the API: entering a later operation, a change of situation, leaving,
the six-month follow-up, corrections (services.casework_esf).
"""

from __future__ import annotations

from fastapi import APIRouter

from gateways.http.schemas import problem_responses

router = APIRouter(
    prefix="/api/v1/tenants/{tenant}",
    tags=["esf"],
    responses=problem_responses(400, 401, 403, 404, 422, 500, 503),
)
