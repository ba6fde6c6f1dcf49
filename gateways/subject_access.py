"""Subject access (GDPR Art. 15): everything Kentra holds on one beneficiary, as JSON and as a Greek PDF.

The beneficiary's own record and every entry about them (with their history, personal data opened),
the read-model rows that concern them, and who read their personal data and when. Producing it is
itself recorded as a read of their personal data.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy import or_, select

from domain.errors import EntryNotFoundError
from infra.bootstrap import Kentra
from projections.tables import case_index, contacts, people
from services.casework import read_log

# fontTools (under fpdf2) logs, at INFO and DEBUG, the glyphs each PDF's font subset keeps: the
# letters of the person's name. Those loggers say only warnings, whatever the process's level.
for _name in ("fontTools", "fpdf"):
    logging.getLogger(_name).setLevel(logging.WARNING)

FONT = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf")  # Greek glyphs, shipped


def _rows(result: Any) -> list[dict[str, Any]]:
    return [json.loads(json.dumps(dict(row), default=str)) for row in result.mappings()]


def subject_access(kentra: Kentra, tenant_id: str, beneficiary_id: UUID, *, asked_by: str, role: str) -> dict[str, Any]:
    """The JSON document. Raises EntryNotFoundError for an unknown beneficiary."""
    casework = kentra.casework(tenant_id)
    record = casework.describe(beneficiary_id, reveal=True)
    if record["kind"] != "beneficiary":
        raise EntryNotFoundError(beneficiary_id, "beneficiary")
    casework.record_access(beneficiary_id, accessed_by=asked_by, role=role, endpoint="subject-access")
    views = kentra.views(tenant_id)
    views.catch_up()
    with views.engine.connect() as conn:
        entry_ids = {
            row[0]
            for row in conn.execute(select(case_index.c.entry_id).where(case_index.c.beneficiary_id == beneficiary_id))
        } | {
            row[0]
            for row in conn.execute(select(contacts.c.entry_id).where(contacts.c.beneficiary_id == beneficiary_id))
        }
        entry_ids.discard(beneficiary_id)
        read_models = {
            "view_people": _rows(conn.execute(select(people).where(people.c.beneficiary_id == beneficiary_id))),
            "view_case_index": _rows(
                conn.execute(
                    select(case_index).where(
                        or_(case_index.c.entry_id == beneficiary_id, case_index.c.entry_id.in_(entry_ids))
                    )
                )
            ),
            "view_contacts": _rows(conn.execute(select(contacts).where(contacts.c.beneficiary_id == beneficiary_id))),
        }
    accesses = [
        {
            "at": e.timestamp.isoformat(),
            "by": e.accessed_by,
            "role": e.role,
            "endpoint": e.endpoint,
        }
        for e in read_log(casework)
        if type(e).__qualname__ == "PersonalDataAccess.Recorded" and e.beneficiary_id == beneficiary_id
    ]
    return {
        "tenant": tenant_id,
        "beneficiary_id": str(beneficiary_id),
        "generated_at": datetime.now(UTC).isoformat(),
        "generated_for": asked_by,
        "beneficiary": {**record, "history": casework.history(beneficiary_id, reveal=True)},
        "entries": [
            {**casework.describe(entry, reveal=True), "history": casework.history(entry, reveal=True)}
            for entry in sorted(entry_ids, key=str)
        ],
        "read_models": read_models,
        "accessed_by": accesses,
    }


LABELS = {
    "beneficiary": "Ωφελούμενος/η",
    "entries": "Καταχωρίσεις που τον/την αφορούν",
    "read_models": "Πίνακες ανάγνωσης",
    "accessed_by": "Ποιος είδε τα προσωπικά δεδομένα και πότε",
}


def to_pdf(document: dict[str, Any], municipality: str) -> bytes:
    """The same document, in Greek, as a PDF (fonts from an installed package; nothing fetched)."""
    pdf = FPDF()
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("DejaVu", size=14)
    pdf.multi_cell(
        0, 8, f"{municipality}: δεδομένα ωφελούμενου/ης (άρθρο 15 ΓΚΠΔ)", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font("DejaVu", size=9)
    pdf.multi_cell(
        0,
        5,
        f"Κωδικός: {document['beneficiary_id']} · Συντάχθηκε: {document['generated_at']}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    for key, title in LABELS.items():
        pdf.ln(3)
        pdf.set_font("DejaVu", size=12)
        pdf.multi_cell(0, 7, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", size=7)
        text = json.dumps(document[key], ensure_ascii=False, indent=1, default=str)
        pdf.multi_cell(0, 3.5, text if text.strip() not in ("[]", "{}") else "—", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
