"""How the pages show and read dates, months, numbers and codes: the Greek way, whatever the browser's locale.

Staff type and read dates as dd/mm/yyyy; a browser's own ``<input type=date>`` shows the date in the
browser's locale (mm/dd/yyyy on an English one), so the pages' date inputs are text inputs read here.
Timestamps are shown in Athens time, months as «Ιούλ 2022», numbers with Greek grouping («1.234»).
The filters are registered on the pages' one Jinja environment (``gateways.web.session``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from domain import catalogue as cat
from domain.errors import DomainError

ATHENS = ZoneInfo("Europe/Athens")
DATE_HINT = {"el": "ηη/μμ/εεεε", "en": "dd/mm/yyyy"}
# CLDR's stand-alone abbreviated month names (what Greek calendars print above a month).
MONTHS_SHORT = {
    "el": ("Ιαν", "Φεβ", "Μάρ", "Απρ", "Μάι", "Ιούν", "Ιούλ", "Αύγ", "Σεπ", "Οκτ", "Νοέ", "Δεκ"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
_DAY_FIRST = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
# ddmmyyyy: a phone's digits-only keypad (inputmode=numeric on iOS) has no "/" to type.
_DIGITS = re.compile(r"^(\d{2})(\d{2})(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")  # what old bookmarks and the API carry
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# The codes a page may show, by the name a template gives them: `{{ row.subtype | label("agency") }}`.
CATALOGUES: dict[str, type[cat.Labelled]] = {
    "category": cat.RequestCategory,
    "request_status": cat.RequestStatus,
    "agency": cat.Agency,
    "agency_status": cat.AgencyApplicationStatus,
    "referral_status": cat.ReferralStatus,
    "referral_outcome": cat.ReferralOutcome,
    "purpose": cat.HomeVisitPurpose,
    "activity": cat.ActivityKind,
    "event_type": cat.CommunityEventType,
    "gender": cat.Gender,
}


EARLIEST_YEAR = 1880  # the oldest birth date of a person at most 120 years old at an intake since 2000


class DateFormatError(ValueError):
    """What was typed is not a date written dd/mm/yyyy (or yyyy-mm-dd)."""


def parse_date(text: str) -> date:
    """A date typed as dd/mm/yyyy or d/m/yyyy (or ddmmyyyy), or yyyy-mm-dd; anything else, or no such day,
    is refused."""
    typed = text.strip()
    if found := _DAY_FIRST.match(typed) or _DIGITS.match(typed):
        day, month, year = (int(part) for part in found.groups())
    elif found := _ISO.match(typed):
        year, month, day = (int(part) for part in found.groups())
    else:
        raise DateFormatError(typed)
    if year < EARLIEST_YEAR:  # 02/05/0024: a year mistyped, no date Kentra keeps (births included)
        raise DateFormatError(typed)
    try:
        return date(year, month, day)
    except ValueError as exc:  # 31/02/2024: the shape is right, the day does not exist
        raise DateFormatError(typed) from exc


def optional_date(text: str | None) -> date | None:
    """``parse_date`` for a query parameter that may be absent or empty."""
    return parse_date(text) if text and text.strip() else None


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return parse_date(value[:10])
        except DateFormatError:
            return None
    return None


def shown_date(value: Any) -> str:
    """A date as dd/mm/yyyy; a value that is no date is shown as it is (nothing for None)."""
    day = _as_date(value)
    if day is None:
        return "" if value is None else str(value)
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def typed_date(value: Any) -> str:
    """A date input's value: the server's ISO date as dd/mm/yyyy, what the user typed exactly as typed."""
    if isinstance(value, str) and _ISO.match(value.strip()):
        return shown_date(value)
    return "" if value is None else str(value)


def shown_timestamp(value: Any) -> str:
    """A moment as dd/mm/yyyy hh:mm in Athens time (a naive one is taken as UTC, as the store keeps it)."""
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(moment, datetime):
        return shown_date(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    local = moment.astimezone(ATHENS)
    return f"{shown_date(local.date())} {local:%H:%M}"


def month_name(value: Any, lang: str = "el") -> str:
    """A month («2022-07» or a date) as «Ιούλ 2022» (English: "Jul 2022")."""
    if isinstance(value, date):
        year, month = value.year, value.month
    elif isinstance(value, str) and (found := _MONTH.match(value[:7])):
        year, month = int(found[1]), int(found[2])
    else:
        return "" if value is None else str(value)
    if not 1 <= month <= 12:
        return str(value)
    return f"{MONTHS_SHORT['en' if lang == 'en' else 'el'][month - 1]} {year}"


def grouped(value: Any, lang: str = "el") -> str:
    """A whole number with its thousands grouped: 12.345 in Greek, 12,345 in English."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "" if value is None else str(value)
    text = f"{value:,}"
    return text if lang == "en" else text.replace(",", ".")


def code_label(code: Any, catalogue: str, lang: str = "el") -> str:
    """A code's words in the page's language (``catalogue`` names one of ``CATALOGUES``); unknown as is."""
    labels = CATALOGUES[catalogue]
    if code is None:
        return ""
    if str(code) not in labels._value2member_map_:
        return str(code)
    return str(getattr(labels(str(code)), f"label_{'en' if lang == 'en' else 'el'}"))


def staff_name(value: Any, names: Mapping[str, str] | None = None) -> str:
    """A member of staff by full name where one is known, else by user name.

    ``value`` is a Principal (its ``display_name``) or a user name, looked up in ``names`` (user name to
    full name: the tenant's staff directory)."""
    shown = getattr(value, "display_name", None)
    if isinstance(shown, str) and shown:
        return shown
    username = getattr(value, "username", value)
    if username is None:
        return ""
    return (names or {}).get(str(username)) or str(username)


def _directory(context: Context) -> Mapping[str, str]:
    """The page's tenant's staff by user name, read once per request (``accounts.staff``: the lead's directory)."""
    request, tenant = context.get("request"), context.get("tenant")
    if request is None or not isinstance(tenant, str):
        return {}
    cached: dict[str, dict[str, str]] = getattr(request.state, "staff_names", None) or {}
    if tenant not in cached:
        kentra = request.app.state.kentra
        cached[tenant] = {p.username: p.display_name for p in kentra.accounts.staff(tenant)}
        request.state.staff_names = cached
    return cached[tenant]


def _structures(context: Context) -> Mapping[str, str]:
    """The page's tenant's structures by id (their Greek names: a structure has no English one)."""
    request, tenant = context.get("request"), context.get("tenant")
    if request is None or not isinstance(tenant, str):
        return {}
    registry = request.app.state.kentra.registry
    try:
        return {s.id: s.name_el for s in registry.tenant(tenant).structures}
    except DomainError:
        return {}


@pass_context
def _structure_filter(context: Context, value: Any) -> str:
    if value is None:
        return ""
    return str(_structures(context).get(str(value), value))


@pass_context
def _staff_filter(context: Context, value: Any) -> str:
    if isinstance(getattr(value, "display_name", None), str):
        return staff_name(value)
    return staff_name(value, _directory(context))


_METRICS = {
    "served": ("Μοναδικοί ωφελούμενοι", "Unique beneficiaries"),
    "requests": ("Αιτήματα", "Requests"),
    "referrals": ("Παραπομπές", "Referrals"),
    "activities": ("Δράσεις", "Activities"),
    "home_visits": ("Κατ' οίκον επισκέψεις", "Home visits"),
    "new_beneficiaries": ("Νέοι ωφελούμενοι", "New beneficiaries"),
    "beneficiaries_since_opening": ("Ωφελούμενοι από την έναρξη", "Beneficiaries since opening"),
}
_CELL_WORDS = {
    "period": ("περίοδος", "period"),
    "total": ("σύνολο", "total"),
    "participants": ("συμμετέχοντες", "participants"),
    "female": ("Γυναίκες", "Women"),
    "male": ("Άνδρες", "Men"),
    "non_binary": ("Μη δυαδικό", "Non-binary"),
    "unknown": ("Άγνωστο", "Unknown"),
}
_CELL_KEYS = {
    "category": "category",
    "destination": "agency",
    "outcome": "referral_outcome",
    "kind": "activity",
    "purpose": "purpose",
}


_ENTRY_KINDS = {
    "CaseRequest": ("Αίτημα", "Request"),
    "Referral": ("Παραπομπή", "Referral"),
    "HomeVisit": ("Κατ' οίκον επίσκεψη", "Home visit"),
    "Beneficiary": ("Ωφελούμενος/η", "Person"),
    "Activity": ("Δράση", "Activity"),
}
_EVENTS = {
    "Registered": ("εισαγωγή", "registered"),
    "Opened": ("άνοιγμα", "opened"),
    "ProgressStarted": ("σε εξέλιξη", "in progress"),
    "AgencyStatusRecorded": ("κατάσταση στον φορέα", "status at the agency"),
    "Closed": ("κλείσιμο", "closed"),
    "Reopened": ("επανάνοιγμα", "reopened"),
    "Sent": ("αποστολή", "sent"),
    "Answered": ("απάντηση του φορέα", "the agency's answer"),
    "OutcomeRecorded": ("έκβαση", "outcome"),
    "Conducted": ("πραγματοποιήθηκε", "conducted"),
    "FollowUpCompleted": ("έγινε η επανεπίσκεψη", "follow-up done"),
    "Recorded": ("καταχώριση", "recorded"),
    "Amended": ("διόρθωση", "amended"),
    "Voided": ("ακύρωση", "voided"),
    "Erased": ("διαγραφή προσωπικών δεδομένων", "personal data erased"),
    "LegalHoldPlaced": ("δέσμευση για νομικό λόγο", "legal hold placed"),
    "Completed": ("ολοκλήρωση", "completed"),
}


def event_name(event: str, lang: str = "el") -> str:
    """An event's class name (``CaseRequest.Opened``) in words: «Αίτημα: άνοιγμα»; an unknown one as it is."""
    en = 1 if lang == "en" else 0
    kind, _, what = event.rpartition(".")
    if kind not in _ENTRY_KINDS or what not in _EVENTS:
        return event
    return f"{_ENTRY_KINDS[kind][en]}: {_EVENTS[what][en]}"


def cell_name(cell: str, lang: str = "el", structures: Mapping[str, str] | None = None) -> str:
    """An indicator cell (``served/2022-07/female``) in words: «Μοναδικοί ωφελούμενοι · Ιούλ 2022 · Γυναίκες».

    A part it does not know (an ESF code, a structure's id) is shown as it is."""
    en = 1 if lang == "en" else 0
    parts = cell.split("/")
    if len(parts) != 3:
        return cell
    metric, key, gender = parts
    if metric.startswith("esf-"):
        shown_metric = ("Δείκτες ΕΚΤ " if not en else "ESF indicators ") + metric.removeprefix("esf-")
    else:
        shown_metric = _METRICS.get(metric, (metric, metric))[en]
    kind, _, code = key.partition(":")
    if metric.startswith("esf-") and code == "refused":
        shown_key = kind + (" (δεν απάντησε)" if not en else " (refused to answer)")
    elif kind == "structure" and code:
        shown_key = (structures or {}).get(code, code)
    elif code and kind in _CELL_KEYS:
        shown_key = code_label(code, _CELL_KEYS[kind], lang)
        if kind == "outcome" and shown_key == code:
            shown_key = code_label(code, "referral_status", lang)
    elif _MONTH.match(key):
        shown_key = month_name(key, lang)
    else:
        shown_key = _CELL_WORDS.get(key, (code or key, code or key))[en]
    return " · ".join((shown_metric, shown_key, _CELL_WORDS.get(gender, (gender, gender))[en]))


def _lang(context: Context) -> str:
    return "en" if context.get("lang") == "en" else "el"


@pass_context
def _cell_filter(context: Context, value: Any) -> str:
    return cell_name(str(value), _lang(context), _structures(context))


@pass_context
def _event_filter(context: Context, value: Any) -> str:
    return event_name(str(value), _lang(context))


@pass_context
def _month_filter(context: Context, value: Any) -> str:
    return month_name(value, _lang(context))


@pass_context
def _number_filter(context: Context, value: Any) -> str:
    return grouped(value, _lang(context))


@pass_context
def _label_filter(context: Context, value: Any, catalogue: str) -> str:
    return code_label(value, catalogue, _lang(context))


def register(env: Environment, extra: Mapping[str, Any] | None = None) -> None:
    """Put the filters on the pages' Jinja environment (``date``, ``timestamp``, ``month``, ``label``…)."""
    env.filters.update(
        {
            "date": shown_date,
            "date_input": typed_date,
            "timestamp": shown_timestamp,
            "month": _month_filter,
            "number": _number_filter,
            "label": _label_filter,
            "cell": _cell_filter,
            "event": _event_filter,
            "structure": _structure_filter,
            "staff_name": _staff_filter,
            **(extra or {}),
        }
    )
    env.globals["date_hint"] = DATE_HINT
