"""The search page's own words and conversions: its labels (Greek, English), the birth date as staff
type it (dd/mm/yyyy, or yyyy-mm-dd as a browser's date field sends it), dates as they read them, and
the sealed search a results page's address carries instead of what was searched for.

Apart from ``gateways.web.labels`` and ``gateways.web.forms`` so that the search can change without
touching the forms every page shares.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from datetime import date

from cryptography.fernet import Fernet, InvalidToken

from domain.errors import InvalidValueError
from domain.name_keys import MIN_TYPED

LIMIT = 50  # people shown at most on the page
FIELDS = ("amka", "name", "birth_date")
SEARCH_TTL_SECONDS = 8 * 3600  # a working day: a results page's address opens no later

_WORDS: dict[str, tuple[str, str]] = {
    "name_hint": (
        f"Τουλάχιστον {MIN_TYPED} γράμματα του επωνύμου, με ελληνικούς ή λατινικούς χαρακτήρες "
        "(π.χ. «Παπαδ» ή «Papad»).",
        f"At least {MIN_TYPED} letters of the surname, in Greek or Latin letters (e.g. «Papad»).",
    ),
    "birth_date_search": ("Ημερομηνία γέννησης", "Date of birth"),
    "birth_date_hint": ("ηη/μμ/εεεε, μόνη της ή μαζί με επώνυμο", "dd/mm/yyyy, alone or with a surname"),
    "search_full_name": ("Ονοματεπώνυμο", "Full name"),
    "search_amka": ("ΑΜΚΑ", "ΑΜΚΑ"),
    "search_born": ("Ημ. γέννησης", "Born"),
    "last_contact": ("Τελευταία επαφή", "Last contact"),
    "no_contact": ("—", "—"),
    "err_search_short": (
        f"Δώστε τουλάχιστον {MIN_TYPED} γράμματα του επωνύμου.",
        f"Give at least {MIN_TYPED} letters of the surname.",
    ),
    "err_search_date": (
        "Δώστε την ημερομηνία γέννησης ως ηη/μμ/εεεε (π.χ. 04/03/1979).",
        "Give the date of birth as dd/mm/yyyy (e.g. 04/03/1979).",
    ),
    "err_search_empty": (
        "Δώστε ΑΜΚΑ, επώνυμο ή ημερομηνία γέννησης.",
        "Give an ΑΜΚΑ, a surname or a date of birth.",
    ),
    "search_cut": (
        "Εμφανίζονται οι πρώτοι {shown} από {total}: δώστε περισσότερα στοιχεία (π.χ. ημερομηνία γέννησης).",
        "Showing the first {shown} of {total}: give more details (e.g. the date of birth).",
    ),
    "search_too_many": (
        "Υπάρχουν κι άλλοι: δώστε περισσότερα στοιχεία (περισσότερα γράμματα ή ημερομηνία γέννησης).",
        "There are more: give more details (more letters, or the date of birth).",
    ),
}
WORDS = {lang: {key: pair[i] for key, pair in _WORDS.items()} for i, lang in enumerate(("el", "en"))}

_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def birth_date(typed: str) -> date | None:
    """The date typed (dd/mm/yyyy, d/m/yyyy, dd.mm.yyyy, or yyyy-mm-dd), None if nothing was typed;
    InvalidValueError (field ``birth_date``) for anything else, or a day that does not exist."""
    typed = typed.strip()
    if not typed:
        return None
    if found := _ISO.match(typed):
        year, month, day = (int(part) for part in found.groups())
    elif found := _DAY_FIRST.match(typed):
        day, month, year = (int(part) for part in found.groups())
    else:
        raise InvalidValueError("a birth date is dd/mm/yyyy", field="birth_date")
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidValueError("no such day", field="birth_date") from None


def shown_date(day: date | None) -> str:
    """A date as Greek staff read it: dd/mm/yyyy."""
    return "" if day is None else f"{day:%d/%m/%Y}"


def _fernet(session_secret: str) -> Fernet:
    digest = hashlib.sha256(b"kentra/people-search/v1|" + session_secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def sealed_search(fields: Mapping[str, str], session_secret: str) -> str:
    """What was searched for, encrypted under a key of the signed-in session (its form token): the
    results page's address carries this, never an ΑΜΚΑ or a name, so a proxy's log, the browser's
    history or a copied link hold nothing readable, and it opens in no other session."""
    kept = {key: fields[key] for key in FIELDS if fields.get(key)}
    return _fernet(session_secret).encrypt(json.dumps(kept, ensure_ascii=False).encode()).decode()


def opened_search(token: str, session_secret: str) -> dict[str, str]:
    """The fields of a sealed search of this session, or none if it is another's, too old, or altered."""
    try:
        data = json.loads(_fernet(session_secret).decrypt(token.encode(), ttl=SEARCH_TTL_SECONDS))
    except (InvalidToken, ValueError):
        return {}
    return {key: str(data[key]) for key in FIELDS if isinstance(data, dict) and key in data}
