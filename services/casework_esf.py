"""The ESF participation commands: entering a later operation, a change of situation, leaving, the
six-month follow-up, and corrections of those records (domain/beneficiaries.py, domain/esf.py).

TODO(issue 21, helper "esf-casework"): the handlers, and the automatic entry at a person's first
contact in an operation they have not entered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.beneficiaries import Beneficiary
from services import commands as c

if TYPE_CHECKING:
    from services.casework import Casework, UnitOfWork


def enter_operation(app: Casework, work: UnitOfWork, cmd: c.EnterOperation) -> Beneficiary:
    raise NotImplementedError


def change_situation(app: Casework, work: UnitOfWork, cmd: c.ChangeSituation) -> Beneficiary:
    raise NotImplementedError


def leave_operation(app: Casework, work: UnitOfWork, cmd: c.LeaveOperation) -> Beneficiary:
    raise NotImplementedError


def record_long_term_result(app: Casework, work: UnitOfWork, cmd: c.RecordLongTermResult) -> Beneficiary:
    raise NotImplementedError


def correct_operation_record(app: Casework, work: UnitOfWork, cmd: c.CorrectOperationRecord) -> Beneficiary:
    raise NotImplementedError
