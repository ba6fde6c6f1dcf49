"""Import of historical records (beneficiaries, requests, referrals, home visits, activities).

Rows arrive as dicts keyed by column (the file readers live in gateways/importing.py). Each row
becomes the same command a caseworker's form would send, so every rule of live recording holds:

- **Identity.** Every row has a ``ref``, its id in the earlier system. The command id is derived
  from (kind, ref), so importing the same row again records nothing new.
- **Corrections.** A row whose ref was imported before with other content becomes an
  ``amend_entry`` of the fields that changed, with its own content-derived id, so that is
  idempotent too.
- **People** are matched by ΑΜΚΑ: an intake for an ΑΜΚΑ already registered records nothing, and
  other kinds name their beneficiary by ΑΜΚΑ. Personal data are sealed exactly as at a live intake.
- **Provenance.** Events carry ``recorded_by = "import"``, and an ``ImportRun`` event records the
  file's name, its SHA-256, the counts, and the range of log positions the run recorded: the
  imported events of that file are those of ``import`` in that range. (The file is not part of a
  row's identity, so the same row in a corrected file is recognised as the same.) When it happened
  is the row's date; when it was recorded is the import time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from domain.errors import CommandIdReusedError, DomainError, DuplicateBeneficiaryError, InvalidValueError
from domain.identifiers import normalise_amka
from domain.import_run import ImportRun
from services import commands as c
from services.casework import Casework, Outcome
from services.idempotency import entry_id_for
from services.import_layouts import (
    LAYOUTS,
    ORDER,
    Column,
    ImportFileError,
    ImportTooLargeError,
    Layout,
    masked_amka,
    match_headers,
)

__all__ = [  # the layouts live in services/import_layouts.py; importers of this module still find them here
    "LAYOUTS",
    "ORDER",
    "ImportFileError",
    "ImportTooLargeError",
    "Importer",
    "Layout",
    "Problem",
    "Summary",
    "masked_amka",
    "match_headers",
]

# Rows recorded per batch (one prefetch, one transaction of events). Each batch costs some twenty round
# trips whatever its size; 2,000 rows made a loaded machine import 1.2 to 1.8 times faster than 500
# (docs/performance.md, issue 24), for some 20 MB held at once.
BATCH = 2000


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    el: str
    en: str


GREEK = {
    "missing": "λείπει η τιμή",
    "date_from_datetime_parsing": "μη έγκυρη ημερομηνία",
    "date_parsing": "μη έγκυρη ημερομηνία",
    "enum": "μη αποδεκτή τιμή",
    "literal_error": "μη αποδεκτή τιμή",
    "string_pattern_mismatch": "μη έγκυρη μορφή",
    "int_parsing": "δεν είναι ακέραιος αριθμός",
    "bool_parsing": "δεν είναι ναι ή όχι",
    "greater_than_equal": "πολύ μικρή τιμή",
    "less_than_equal": "πολύ μεγάλη τιμή",
    "value_error": "μη έγκυρη τιμή",
    "extra_forbidden": "άγνωστο πεδίο",
}
DOMAIN_GREEK = {
    "DateInFutureError": "η ημερομηνία είναι στο μέλλον",
    "DateOrderError": "οι ημερομηνίες δεν είναι στη σωστή σειρά",
    "AmkaDateMismatchError": "τα 6 πρώτα ψηφία του ΑΜΚΑ δεν είναι η ημερομηνία γέννησης· αν ισχύει, σημειώστε το",
    "EntryNotFoundError": "δεν βρέθηκε η καταχώριση",
    "EntryVoidedError": "η καταχώριση έχει ακυρωθεί",
    "BeneficiaryErasedError": "τα στοιχεία του ωφελούμενου έχουν διαγραφεί",
    "UnknownStructureError": "άγνωστη δομή",
    "InvalidValueError": "μη έγκυρη τιμή",
}
YES = {"yes", "ναι", "true", "1", "ν", "y"}
NO = {"no", "όχι", "οχι", "false", "0", "ο", "n"}


def _value(col: Column, raw: str) -> Any:
    text = raw.strip()
    if col.type == "bool":
        low = text.lower()
        return True if low in YES else False if low in NO else text
    if col.type == "date" or col.name == "occurred_on":
        matched = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)  # the Greek way: 04/03/2019
        return f"{matched[3]}-{int(matched[2]):02}-{int(matched[1]):02}" if matched else text
    return text


@dataclass
class Summary:
    kind: str
    rows: int = 0
    recorded: int = 0
    unchanged: int = 0
    corrected: int = 0
    matched: int = 0
    rejected: int = 0
    problems: int = 0
    examples: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k != "examples"}


class Importer:
    """Turns rows into commands and records them in batches; problems go to ``on_problem`` as they are found."""

    def __init__(self, casework: Casework, *, on_problem: Callable[[Problem], None]) -> None:
        self.casework = casework
        self.on_problem = on_problem
        self.source = ""
        self.recorded_by = "import"  # constant: a row's identity is (kind, ref), not the file it came in
        self.amkas_in_run: set[str] = set()  # dry runs: people this run (any of its files) would register
        self.known: dict[str, UUID | None] = {}  # the current batch's ΑΜΚΑ, looked up together

    def _problem(self, summary: Summary, problem: Problem) -> None:
        summary.problems += 1
        if len(summary.examples) < 20:
            summary.examples.append(problem)
        self.on_problem(problem)

    def _person(self, amka: str, dry_run: bool) -> UUID | str | None:
        found = self.known[amka] if amka in self.known else self.casework.find_by_amka(amka)
        if found is None and dry_run and normalise_amka(amka) in self.amkas_in_run:
            return "in-this-run"
        return found

    def command_of(self, layout: Layout, line: int, row: dict[str, str], *, dry_run: bool) -> tuple[Any, list[Problem]]:
        """The command for one row, or the problems that stop it."""
        document, problems = _fill(layout, line, row)
        references, unknown = self._references(line, row, dry_run=dry_run)
        document.update(references)
        problems += unknown
        ref = (row.get("ref") or "").strip()
        key = hashlib.sha256(f"{layout.kind}\x1f{ref}".encode()).hexdigest()[:32]
        document.update(command=layout.command, command_id=f"import:{layout.kind}:{key}", recorded_by=self.recorded_by)
        command, invalid = _validated(layout, line, document)
        problems += invalid
        if problems:
            return None, problems
        if dry_run and isinstance(command, c.RegisterBeneficiary) and command.personal.amka:
            self.amkas_in_run.add(command.personal.amka)
        return command, problems

    def _references(self, line: int, row: dict[str, str], *, dry_run: bool) -> tuple[dict[str, Any], list[Problem]]:
        """Beneficiaries named by ΑΜΚΑ, as ids (a dry run also accepts people the same run registers)."""
        found: dict[str, Any] = {}
        problems: list[Problem] = []

        def resolve(amka: str, column: str) -> str:
            try:
                person = self._person(amka, dry_run)
            except InvalidValueError as error:
                shown = masked_amka(amka)
                problems.append(Problem(line, column, f"μη έγκυρο ΑΜΚΑ {shown}", f"{shown}: {error.message}"))
                return str(PLACEHOLDER)
            if person is None:
                problems.append(
                    Problem(
                        line,
                        column,
                        f"δεν βρέθηκε ωφελούμενος με ΑΜΚΑ {masked_amka(amka)}",
                        f"no one with ΑΜΚΑ {masked_amka(amka)}",
                    )
                )
            # A person the run itself registers has no id yet: a placeholder lets the rest be checked.
            return str(person) if isinstance(person, UUID) else str(PLACEHOLDER)

        amka = (row.get("beneficiary_amka") or "").strip()
        if amka:
            found["beneficiary_id"] = resolve(amka, "beneficiary_amka")
        many = [a.strip() for a in (row.get("beneficiary_amkas") or "").split(";") if a.strip()]
        if many:
            found["beneficiary_ids"] = [resolve(each, "beneficiary_amkas") for each in many]
        return found, problems

    def run(
        self,
        layout: Layout,
        rows: Iterable[tuple[int, dict[str, str]]],
        *,
        source: str,
        checksum: str,
        dry_run: bool,
        on_rows: Callable[[int], None] | None = None,
        first_position: int | None = None,
    ) -> Summary:
        """Import one file's rows (``source`` is its name, ``checksum`` its SHA-256). A job taken over
        from a stopped worker gives the ``first_position`` the first attempt began at, so the run's
        range of positions covers the rows that attempt recorded too."""
        self.source = source
        first = first_position or (self.casework.recorder.max_notification_id() or 0) + 1
        summary = Summary(layout.kind)
        for batch in _batches(rows, BATCH):
            self.known = self.casework.find_many_by_amka(_amkas(batch))
            commands: list[tuple[int, Any]] = []
            for line, row in batch:
                summary.rows += 1
                command, problems = self.command_of(layout, line, row, dry_run=dry_run)
                for problem in problems:
                    self._problem(summary, problem)
                if command is None:
                    summary.rejected += 1
                else:
                    commands.append((line, command))
            if not dry_run and commands:
                self._record(layout, commands, summary)
            elif dry_run:
                summary.recorded += len(commands)  # would be recorded (or found unchanged)
            if on_rows is not None:
                on_rows(len(batch))
        if not dry_run and (summary.recorded or summary.corrected):  # a re-run adds nothing at all
            run = ImportRun(
                source=source,
                checksum=checksum,
                kind=layout.kind,
                counts=summary.as_dict(),
                positions=[first, self.casework.recorder.max_notification_id() or 0],
                recorded_by=self.recorded_by,
            )
            self.casework.save(run)
        return summary

    def _record(self, layout: Layout, commands: list[tuple[int, Any]], summary: Summary) -> None:
        results = self.casework.execute_many([command for _, command in commands])
        for (line, command), result in zip(commands, results, strict=True):
            if isinstance(result, Outcome):
                if result.replayed:
                    summary.unchanged += 1
                else:
                    summary.recorded += 1
            elif isinstance(result, DuplicateBeneficiaryError):
                summary.matched += 1  # this ΑΜΚΑ was registered already: the person is that one
            elif isinstance(result, CommandIdReusedError):
                self._correct(layout, line, command, summary)
            else:
                summary.rejected += 1
                self._refused(summary, line, result)

    def _refused(self, summary: Summary, line: int, error: DomainError) -> None:
        greek = DOMAIN_GREEK.get(type(error).__name__, "απορρίφθηκε")
        self._problem(summary, Problem(line, error.field or "row", greek, error.message))

    def _correct(self, layout: Layout, line: int, command: Any, summary: Summary) -> None:
        """The ref was imported before with other content: amend what may be amended."""
        entry_id = entry_id_for(self.casework.tenant.id, command.command_id)
        entry = self.casework.entry(entry_id)
        changes = {}
        for name in layout.amendable:
            new = getattr(command, name)
            if getattr(entry, name, None) != new:
                changes[name] = new.isoformat() if isinstance(new, date | datetime) else new
        if not changes:
            summary.rejected += 1
            self._problem(
                summary,
                Problem(
                    line,
                    "row",
                    "η γραμμή άλλαξε σε πεδία που δεν διορθώνονται με εισαγωγή",
                    "the row changed in fields an import cannot correct",
                ),
            )
            return
        content = hashlib.sha256(repr(sorted(changes.items())).encode()).hexdigest()[:16]
        fix = c.COMMAND_ADAPTER.validate_python(
            {
                "command": "amend_entry",
                "command_id": f"{command.command_id}:fix:{content}",
                "recorded_by": self.recorded_by,
                "entry_id": str(entry_id),
                "changes": changes,
                "reason": "typing_error",
                "reason_note": f"διόρθωση από εισαγωγή {self.source}",
            }
        )
        result = self.casework.execute_many([fix])[0]
        if isinstance(result, Outcome):
            summary.corrected += 0 if result.replayed else 1
            summary.unchanged += 1 if result.replayed else 0
        else:
            summary.rejected += 1
            self._problem(
                summary,
                Problem(
                    line, result.field or "row", DOMAIN_GREEK.get(type(result).__name__, "απορρίφθηκε"), result.message
                ),
            )


PLACEHOLDER = UUID("00000000-0000-4000-8000-000000000000")


def _fill(layout: Layout, line: int, row: dict[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    """The command document from the row's columns; a required column left empty is a problem."""
    document: dict[str, Any] = {}
    problems: list[Problem] = []
    for col in layout.columns:
        raw = (row.get(col.name) or "").strip()
        if not raw:
            if col.required and not col.path:  # the others: by the validation, with every other fault
                problems.append(Problem(line, col.name, f"{col.el}: λείπει η τιμή", f"{col.name}: missing"))
            continue
        if col.path:
            target = document
            *parents, leaf = col.path.split(".")
            for parent in parents:
                target = target.setdefault(parent, {})
            target[leaf] = _value(col, raw)
    return document, problems


def _validated(layout: Layout, line: int, document: dict[str, Any]) -> tuple[Any, list[Problem]]:
    try:
        return c.COMMAND_ADAPTER.validate_python(document), []
    except ValidationError as error:
        problems = []
        for err in error.errors():
            where = ".".join(str(p) for p in err["loc"][1:]) or "row"
            column = next((col for col in layout.columns if col.path == where), None)
            name, label = (column.name, column.el) if column else (where, where)
            reason = GREEK.get(err["type"], "μη έγκυρη τιμή")
            problems.append(Problem(line, name, f"{label}: {reason}", f"{name}: {err['msg']}"))
        return None, problems


def _amkas(batch: list[tuple[int, dict[str, str]]]) -> set[str]:
    """The ΑΜΚΑ a batch's rows name (as the beneficiary, or among an activity's beneficiaries)."""
    named = set()
    for _, row in batch:
        named.add((row.get("beneficiary_amka") or "").strip())
        named.update(a.strip() for a in (row.get("beneficiary_amkas") or "").split(";"))
    return named - {""}


def _batches(rows: Iterable[tuple[int, dict[str, str]]], size: int) -> Iterator[list[tuple[int, dict[str, str]]]]:
    batch: list[tuple[int, dict[str, str]]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
