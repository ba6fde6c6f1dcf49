"""The layouts of import files: for each kind, its columns (English and Greek headers), the command a
row becomes, and the entry it records; and how a file's headers are matched to them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from domain.activities import Activity
from domain.beneficiaries import Beneficiary
from domain.entries import CaseEntry
from domain.errors import DomainError
from domain.home_visits import HomeVisit
from domain.referrals import Referral
from domain.requests import CaseRequest


@dataclass(frozen=True)
class Column:
    name: str  # the English header
    el: str  # the Greek header
    path: str  # where the value goes in the command; "" for a column handled apart
    required: bool = True
    example: str = ""
    type: str = "text"  # text, date, int, bool, amka_list


def _col(name: str, el: str, path: str | None = None, **kw: Any) -> Column:
    return Column(name, el, name if path is None else path, **kw)


PROFILE = (
    _col("gender", "Φύλο", "profile.gender", example="female"),
    _col("employment_status", "Εργασιακή κατάσταση", "profile.employment_status", example="long_term_unemployed"),
    _col("isced_level", "Επίπεδο εκπαίδευσης ISCED", "profile.isced_level", type="int", example="2"),
    _col("household_situation", "Νοικοκυριό", "profile.household_situation", example="single_parent"),
    _col("residence_area", "Περιοχή κατοικίας", "profile.residence_area", example="rural"),
    _col("foreign_background", "Αλλοδαπή καταγωγή", "profile.foreign_background", type="bool", example="όχι"),
    _col(
        "third_country_national", "Υπήκοος τρίτης χώρας", "profile.third_country_national", type="bool", example="όχι"
    ),
    _col(
        "homeless",
        "Άστεγος/η ή στεγαστικός αποκλεισμός",
        "profile.homeless_or_housing_exclusion",
        type="bool",
        example="όχι",
    ),
)


@dataclass(frozen=True)
class Layout:
    """One kind of file: its columns, the command each row becomes, and the entry it records."""

    kind: str
    command: str
    el: str
    columns: tuple[Column, ...]
    entry: type[CaseEntry]

    @property
    def amendable(self) -> tuple[str, ...]:
        """The payload fields a corrected row may change (as an amendment): the columns the entry's
        kind declares amendable (domain), so no list here can drift from it."""
        return tuple(col.path for col in self.columns if col.path in self.entry.AMENDABLE)


REF = _col("ref", "Κωδικός εγγραφής", "", example="A-000123")
ON = _col("occurred_on", "Ημερομηνία", example="2019-03-04")
STRUCTURE = _col("structure", "Δομή", example="centre")
BENEFICIARY = _col("beneficiary_amka", "ΑΜΚΑ ωφελούμενου", "", example="04037900422")

LAYOUTS: dict[str, Layout] = {
    layout.kind: layout
    for layout in (
        Layout(
            "beneficiaries",
            "register_beneficiary",
            "Ωφελούμενοι",
            (
                REF,
                ON,
                STRUCTURE,
                _col("first_name", "Όνομα", "personal.first_name", example="Ελένη"),
                _col("last_name", "Επώνυμο", "personal.last_name", example="Παπαδοπούλου"),
                _col("birth_date", "Ημερομηνία γέννησης", "personal.birth_date", type="date", example="1979-03-04"),
                _col("amka", "ΑΜΚΑ", "personal.amka", required=False, example="04037900422"),
                _col(
                    "amka_date_mismatch_confirmed",
                    "ΑΜΚΑ με άλλη ημερομηνία (επιβεβαιωμένο)",
                    required=False,
                    type="bool",
                    example="όχι",
                ),
                _col("phone", "Τηλέφωνο", "personal.phone", required=False, example="6912345678"),
                _col("address", "Διεύθυνση", "personal.address", required=False, example="Καραϊσκάκη 14"),
                *PROFILE,
                _col("disability", "Αναπηρία", "special.disability", example="no"),
                _col("minority", "Μειονότητα (και Ρομά)", "special.minority", example="refused"),
                _col("other_disadvantage", "Άλλη μειονεκτική θέση", "special.other_disadvantage", example="no"),
            ),
            Beneficiary,
        ),
        Layout(
            "requests",
            "open_request",
            "Αιτήματα",
            (
                REF,
                BENEFICIARY,
                _col("category", "Κατηγορία", example="gmi"),
                STRUCTURE,
                ON,
                _col("agency", "Φορέας", required=False, example="opeka"),
            ),
            CaseRequest,
        ),
        Layout(
            "referrals",
            "send_referral",
            "Παραπομπές",
            (
                REF,
                BENEFICIARY,
                _col("destination", "Φορέας παραπομπής", example="dypa"),
                STRUCTURE,
                ON,
                # issue 23: consent, given with the referral: signed_form or orally_recorded
                _col("consent_given_as", "Συναίνεση για διαβίβαση", "consent.given_as", required=False, example=""),
            ),
            Referral,
        ),
        Layout(
            "home_visits",
            "record_home_visit",
            "Κατ' οίκον επισκέψεις",
            (
                REF,
                BENEFICIARY,
                _col("purpose", "Σκοπός", example="living_conditions"),
                STRUCTURE,
                ON,
                _col("follow_up_due", "Επόμενη επίσκεψη έως", required=False, type="date", example=""),
                _col("order_reference", "Αρ. εισαγγελικής παραγγελίας", required=False, example=""),
                _col("order_deadline", "Προθεσμία παραγγελίας", required=False, type="date", example=""),
            ),
            HomeVisit,
        ),
        Layout(
            "activities",
            "record_activity",
            "Δράσεις",
            (
                REF,
                _col("kind", "Είδος", example="networking_meeting"),
                STRUCTURE,
                ON,
                _col("participants", "Συμμετέχοντες", type="int", required=False, example="6"),
                _col("beneficiary_amkas", "ΑΜΚΑ ωφελούμενων", "", required=False, type="amka_list", example=""),
            ),
            Activity,
        ),
    )
}
ORDER = tuple(LAYOUTS)  # people first, so that the other kinds find them by ΑΜΚΑ


def masked_amka(amka: str) -> str:
    """An ΑΜΚΑ as a report may show it: its last three digits, enough for staff to find the row."""
    kept = amka.strip()[-3:]
    return "•" * 8 + kept


class ImportFileError(DomainError):
    """The file as a whole cannot be read as this kind (unknown kind, missing columns)."""


class ImportTooLargeError(ImportFileError):
    """The file is over a limit (unpacked size, rows, columns, shared strings): none of it is read."""


def _norm(header: str) -> str:
    return re.sub(r"\s+", " ", header.strip().lower())


def match_headers(layout: Layout, headers: list[str]) -> dict[int, Column]:
    """Which column each header is, by its English or Greek name; raises naming any required one missing."""
    names = {_norm(col.name): col for col in layout.columns} | {_norm(col.el): col for col in layout.columns}
    found = {i: names[_norm(h)] for i, h in enumerate(headers) if _norm(h) in names}
    missing = [col for col in layout.columns if col.required and col not in found.values()]
    if missing:
        listed = ", ".join(f"{col.el} / {col.name}" for col in missing)
        raise ImportFileError(f"missing columns: {listed} (λείπουν στήλες)", field="header")
    return found
