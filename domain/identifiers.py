"""Greek identity numbers: ΑΜΚΑ (social-security number) and ΑΦΜ (tax number), with their checks."""

from __future__ import annotations

import unicodedata
from datetime import date

from domain.errors import InvalidValueError


def luhn_is_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that makes ``partial + digit`` pass the Luhn check."""
    for candidate in "0123456789":
        if luhn_is_valid(partial + candidate):
            return candidate
    raise AssertionError("unreachable: one of ten digits always completes a Luhn number")


def normalise_amka(raw: str) -> str:
    """An ΑΜΚΑ: 11 digits, the first six the holder's birth date (DDMMYY), the last a Luhn digit."""
    amka = raw.strip().replace(" ", "")
    if len(amka) != 11 or not amka.isdigit():
        raise InvalidValueError("ΑΜΚΑ must be 11 digits", field="amka")
    day, month = int(amka[0:2]), int(amka[2:4])
    if not (1 <= day <= 31 and 1 <= month <= 12):
        raise InvalidValueError("ΑΜΚΑ must start with a birth date DDMMYY", field="amka")
    if not luhn_is_valid(amka):
        raise InvalidValueError("ΑΜΚΑ check digit is wrong", field="amka")
    return amka


def amka_matches_birth_date(amka: str, birth_date: date) -> bool:
    """Whether an ΑΜΚΑ's first six digits are the birth date (DDMMYY); some were issued with another."""
    return amka[:6] == f"{birth_date:%d%m%y}"


def make_amka(birth_date: date, serial: int) -> str:
    """A well-formed ΑΜΚΑ for ``birth_date``; used by the demo history and tests only."""
    partial = f"{birth_date:%d%m%y}{serial % 10000:04d}"
    return partial + luhn_check_digit(partial)


def normalise_afm(raw: str) -> str:
    """An ΑΦΜ: 9 digits whose last is sum(d_i * 2^(8-i)) mod 11 mod 10."""
    afm = raw.strip().replace(" ", "")
    if len(afm) != 9 or not afm.isdigit():
        raise InvalidValueError("ΑΦΜ must be 9 digits", field="afm")
    total = sum(int(d) * 2 ** (8 - i) for i, d in enumerate(afm[:8]))
    if total % 11 % 10 != int(afm[8]) or afm == "000000000":
        raise InvalidValueError("ΑΦΜ check digit is wrong", field="afm")
    return afm


def make_afm(serial: int) -> str:
    """A well-formed ΑΦΜ; used by the demo history and tests only."""
    partial = f"{1 + serial % 99_999_999:08d}"
    total = sum(int(d) * 2 ** (8 - i) for i, d in enumerate(partial))
    return partial + str(total % 11 % 10)


def normalise_name(raw: str) -> str:
    """Names compared as staff mean them: no accents, upper case, single spaces (Ελένη = ΕΛΕΝΗ = ελενη)."""
    decomposed = unicodedata.normalize("NFD", raw)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.upper().split())
