"""The coordinator's ESF delivery page (Παραδοτέα ΕΚΤ): an operation's indicator table and participant
file, each a download.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from gateways.web.session import csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
