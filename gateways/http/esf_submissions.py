"""ESF submissions over the API: submitting a delivery, the list, and each one's restatement
(services.esf_submissions).
"""

from __future__ import annotations

from fastapi import APIRouter

from gateways.http.schemas import problem_responses

router = APIRouter(
    prefix="/api/v1/tenants/{tenant}",
    tags=["esf"],
    responses=problem_responses(400, 401, 403, 404, 422, 500, 503),
)
