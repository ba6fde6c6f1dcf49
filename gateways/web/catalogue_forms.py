"""The record forms' coded fields with the municipality's own entries beside the national ones (issue 23).

A form's select of request categories, agencies (a referral's destination), visit purposes or activity
kinds lists the national codes, then the tenant's active local entries, each with the national code it
counts under. Retired entries are not offered (the domain refuses them all the same).
"""

from __future__ import annotations

from dataclasses import replace

from domain.local_catalogue import KINDS, LocalEntry
from gateways.web.forms import Field, Section
from services.casework import Casework
from services.casework_catalogue import stored_catalogue

# The catalogue kind behind each coded field of a form (a correction's ``changes.`` ones too).
CODED = {"category": "request_category", "destination": "agency", "purpose": "visit_purpose", "kind": "activity_kind"}


def local_choice(entry: LocalEntry, lang: str) -> tuple[str, str]:
    national = KINDS[entry.kind](entry.national)
    under = national.label_en if lang == "en" else national.label_el
    return entry.code, f"{entry.label(lang)} ({under})"


def with_local(sections: list[Section], casework: Casework, lang: str) -> list[Section]:
    """The sections with each coded select offering the tenant's active local entries too."""
    catalogue = stored_catalogue(casework)
    if catalogue is None:
        return sections
    return [replace(s, fields=[_offered(f, catalogue.of_kind, lang) for f in s.fields]) for s in sections]


def _offered(f: Field, of_kind: object, lang: str) -> Field:
    kind = CODED.get(f.name.removeprefix("changes."))
    if kind is None or f.kind != "select" or f.options is None or not callable(of_kind):
        return f
    local = [local_choice(e, lang) for e in of_kind(kind) if e.active]
    if not local:
        return f
    national = [(m.value, str(getattr(m, f"label_{lang}"))) for m in f.options]
    return replace(f, options=None, choices=[*national, *local])
