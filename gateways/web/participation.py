"""The ESF participation steps on a person's page: entering a later operation, a change of situation,
leaving, the six-month follow-up.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from gateways.web.session import csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
