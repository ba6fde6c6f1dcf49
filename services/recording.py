"""Recording a casework command for a caller: her rights on its target, then the command itself.

The gateways turn a body into a payload and call ``record``; what the answer looks like (status,
headers) stays theirs.
"""

from __future__ import annotations

from uuid import UUID

from domain.errors import DuplicateBeneficiaryError
from services import commands as c
from services.access import Principal, may_record_casework, sees_every_structure
from services.casework import Casework, Outcome
from services.people import visible_entry


def record(casework: Casework, user: Principal, payload: c.Payload, command: str, key: str, **ids: UUID) -> Outcome:
    """Turn a body into a command of the caller, check the caller's rights on its target, record it.

    ``ids`` are the path's ids (``request_id=...``); the first one, else the body's entry or person,
    is the target, whose structure the caller must see and may record for. An activity's people must
    each be visible to her."""
    for beneficiary_id in getattr(payload, "beneficiary_ids", None) or ():
        visible_entry(casework, user, beneficiary_id)
    target = (
        next(iter(ids.values()), None) or getattr(payload, "entry_id", None) or getattr(payload, "beneficiary_id", None)
    )
    structure = getattr(payload, "structure", None)
    if target is not None:
        entry = visible_entry(casework, user, target)
        structure = structure or entry.structure
    may_record_casework(user, casework.tenant.id, structure)
    document = {
        **payload.model_dump(mode="json", exclude_unset=False),
        **{k: str(v) for k, v in ids.items()},
        "command": command,
        "command_id": key,
        "recorded_by": user.username,
    }
    try:
        return casework.execute(c.COMMAND_ADAPTER.validate_python(document))
    except DuplicateBeneficiaryError as taken:
        if sees_every_structure(user, casework.tenant.id):
            raise
        # The same answer whichever structure holds the ΑΜΚΑ: no id, no structure (docs/design.md).
        raise taken.withheld() from None
