"""Subject access (GDPR Art. 15) as a Greek PDF; the document itself is gathered by ``services.privacy``."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos

# fontTools (under fpdf2) logs, at INFO and DEBUG, the glyphs each PDF's font subset keeps: the
# letters of the person's name. Those loggers say only warnings, whatever the process's level.
for _name in ("fontTools", "fpdf"):
    logging.getLogger(_name).setLevel(logging.WARNING)

FONT = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf")  # Greek glyphs, shipped


LABELS = {
    "beneficiary": "Ωφελούμενος/η",
    "entries": "Καταχωρίσεις που τον/την αφορούν",
    "read_models": "Πίνακες ανάγνωσης",
    "privacy": "Ενημέρωση (άρθρο 13 ΓΚΠΔ) και συναινέσεις, με τις ανακλήσεις τους",  # issue 23: consent
    "accessed_by": "Ποιος είδε τα προσωπικά δεδομένα και πότε",
    "documents": "Έγγραφα στον φάκελο (είδος, ημερομηνία, όνομα αρχείου· τα αρχεία δίνονται χωριστά)",  # issue 23
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
