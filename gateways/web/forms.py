"""HTML forms for the caseworkers: which fields a form has, reading them back, and errors in words.

A form is described once (its fields, grouped in sections) and drawn by one template. What staff
type is checked by the very schemas the API uses (``services.commands``), then by the domain, and
every refusal is told beside the field at fault, in the page's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from domain import errors
from domain.catalogue import Labelled
from domain.consent import ConsentRequiredError
from domain.local_catalogue import RetiredLocalCodeError
from gateways.web.present import DateFormatError, parse_date

Kind = Literal["text", "date", "select", "number", "checkbox", "textarea", "hidden"]


@dataclass(frozen=True)
class Field:
    """One input. ``name`` is its dotted place in the command's body (``personal.first_name``)."""

    name: str
    label: str  # a key of LABELS
    kind: Kind = "text"
    options: type[Labelled] | None = None
    choices: Sequence[tuple[str, str]] = ()  # (value, label) when the options are not a catalogue
    required: bool = False
    hint: str | None = None  # a key of LABELS
    autocomplete: str | None = None

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")

    def choices_in(self, lang: str, t: Mapping[str, str]) -> list[tuple[str, str]]:
        if self.options is not None:
            return [(member.value, getattr(member, f"label_{lang}")) for member in self.options]
        return [(value, t.get(label, label)) for value, label in self.choices]


@dataclass(frozen=True)
class Section:
    legend: str | None  # a key of LABELS; None for fields outside any fieldset
    fields: Sequence[Field]
    hint: str | None = None


@dataclass
class Filled:
    """A form as the user left it: the values to show again and the errors per field (or general)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def fields_of(sections: Sequence[Section]) -> list[Field]:
    return [f for section in sections for f in section.fields]


def read(sections: Sequence[Section], form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The body the form describes (nested by the dotted names), and the raw values to show again.

    Empty inputs are left out, so that an optional field is absent rather than an empty string;
    a checkbox is true when ticked and false otherwise. A date is typed dd/mm/yyyy (``present.parse_date``)
    and goes into the body as ISO; one that is no date goes in as ``NOT_A_DATE``, which the schema
    refuses beside its field, while the form shows again what was typed.
    """
    body: dict[str, Any] = {}
    shown: dict[str, str] = {}
    for f in fields_of(sections):
        raw = form.get(f.name)
        text = raw.strip() if isinstance(raw, str) else ""
        if f.kind == "checkbox":
            value: Any = raw is not None
            shown[f.name] = "on" if value else ""
        elif not text:
            continue
        elif f.kind == "date":
            value = _iso(text)
            shown[f.name] = text
        else:
            value = text
            shown[f.name] = text
        *parents, leaf = f.name.split(".")
        place = body
        for parent in parents:
            place = place.setdefault(parent, {})
        place[leaf] = value
    return body, shown


NOT_A_DATE = "not-a-date"  # never a date to pydantic (a typed "1714608000" would be one: a Unix time)


def _iso(text: str) -> str:
    try:
        return parse_date(text).isoformat()
    except DateFormatError:
        return NOT_A_DATE


_BY_TYPE = {
    "missing": "err_required",
    "string_too_short": "err_required",
    "enum": "err_choice",
    "literal_error": "err_choice",
    "date_parsing": "err_date",
    "date_from_datetime_parsing": "err_date",
    "date_from_datetime_inexact": "err_date",
    "date_type": "err_date",
    "int_parsing": "err_number",
    "int_type": "err_number",
    "greater_than_equal": "err_range",
    "less_than_equal": "err_range",
    "string_too_long": "err_too_long",
    "string_pattern_mismatch": "err_format",
    "uuid_parsing": "err_choice",
}
_BY_FIELD = {"amka": "err_amka", "afm": "err_afm", "email": "err_email", "phone": "err_phone"}


def _place(name: str, names: Sequence[str]) -> str:
    """The form field an error names: the same dotted name, or the one it is the last part of."""
    if name in names:
        return name
    for candidate in names:
        if candidate.endswith("." + name):
            return candidate
    return ""  # a general error, shown above the form


def invalid(exc: ValidationError, sections: Sequence[Section], t: Mapping[str, str]) -> dict[str, str]:
    """Each schema error in words, by field. Never the value typed: it may be personal data."""
    names = [f.name for f in fields_of(sections)]
    found: dict[str, str] = {}
    for error in exc.errors(include_input=False, include_url=False):
        name = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
        place = _place(name, names)
        key = (
            _BY_FIELD.get(name.rsplit(".", 1)[-1])
            if error["type"] in ("value_error", "string_pattern_mismatch")
            else None
        )
        found.setdefault(place, t[key or _BY_TYPE.get(error["type"], "err_value")])
    return found


def refused(exc: errors.DomainError, sections: Sequence[Section], t: Mapping[str, str]) -> dict[str, str]:
    """A domain refusal in words, beside the field it names."""
    key = "err_value"
    for kind, label in (
        (errors.AmkaDateMismatchError, "err_amka_date"),
        (RetiredLocalCodeError, "err_local_retired"),  # issue 23: a local entry no longer offered
        (errors.DateInFutureError, "err_future"),
        (errors.DateOrderError, "err_date_order"),
        (errors.UnknownStructureError, "err_choice"),
        (errors.BeneficiaryErasedError, "err_erased"),
        (ConsentRequiredError, "err_consent_required"),  # issue 23: consent
        (errors.EntryVoidedError, "err_gone"),
        (errors.InvalidTransitionError, "err_not_now"),
        (errors.EntryNotFoundError, "err_not_found"),
        (errors.ConcurrentChangeError, "err_changed"),
        (errors.CommandIdReusedError, "err_sent_twice"),
    ):
        if isinstance(exc, kind):
            key = label
            break
    if isinstance(exc, errors.InvalidValueError) and exc.field and exc.field.rsplit(".", 1)[-1] in _BY_FIELD:
        key = key if key != "err_value" else _BY_FIELD[exc.field.rsplit(".", 1)[-1]]
    return {_place(exc.field or "", [f.name for f in fields_of(sections)]): t[key]}
