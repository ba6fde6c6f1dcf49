"""ESF submissions in the pages: the coordinator submits a delivery; coordinators and auditors see each
submission and whether it still holds or was restated.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from gateways.web.session import csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
