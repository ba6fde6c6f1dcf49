"""The pages' words for documents (issue 23): (Greek, English), merged into gateways.web.labels.LABELS."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "documents": ("Έγγραφα", "Documents"),
    "ev_DocumentAttached": ("Επισύναψη εγγράφου", "Document attached"),
    "field_document_kind": ("Είδος εγγράφου", "Kind of document"),
    "field_document_date": ("Ημερομηνία εγγράφου", "Document's date"),
    "documents_none": ("Κανένα έγγραφο.", "No documents."),
    "document_kind": ("Είδος εγγράφου", "Kind of document"),
    "document_date": ("Ημερομηνία εγγράφου", "Document's date"),
    "document_attached_on": ("Επισυνάφθηκε", "Attached on"),
    "document_file": ("Αρχείο (PDF, JPEG ή PNG)", "File (PDF, JPEG or PNG)"),
    "document_filename": ("Όνομα αρχείου", "File name"),
    "document_size": ("Μέγεθος", "Size"),
    "document_attach": ("Επισύναψη εγγράφου", "Attach a document"),
    "document_attach_button": ("Επισύναψη", "Attach"),
    "document_download": ("Λήψη", "Download"),
    "document_view": ("Προβολή", "View"),
    "document_erased": (
        "Τα έγγραφα του προσώπου διαγράφηκαν μαζί με τα προσωπικά του δεδομένα.",
        "The person's documents were erased with their personal data.",
    ),
    "done_document": ("Το έγγραφο επισυνάφθηκε.", "The document was attached."),
    "document_gone": (
        "Το έγγραφο δεν είναι πια διαθέσιμο (ακυρώθηκε ή διαγράφηκε).",
        "The document is no longer available (voided or erased).",
    ),
    "doc_err_file": (
        "Αρχείο: δεκτά μόνο PDF, JPEG και PNG, κρινόμενα από το περιεχόμενό τους, όχι από το όνομα· "
        "το αρχείο δεν ήταν τέτοιο ή ήταν κενό.",
        "File: only PDF, JPEG and PNG files are kept, judged by their content, not their name; "
        "this one was not, or was empty.",
    ),
    "doc_err_too_large": ("Αρχείο: το αρχείο είναι μεγαλύτερο από το όριο.", "File: the file is over the limit."),
    "doc_err_document_date": (
        "Ημερομηνία εγγράφου: δώστε μια ημερομηνία που δεν είναι στο μέλλον.",
        "Document's date: give a date not in the future.",
    ),
    "doc_err_document_kind": ("Είδος εγγράφου: διαλέξτε ένα από τον κατάλογο.", "Kind of document: pick one."),
    "doc_err_entry_id": (
        "Το έγγραφο επισυνάπτεται μόνο σε αίτημα, παραπομπή ή επίσκεψη του ίδιου προσώπου.",
        "A document is attached only to a request, referral or visit of the same person.",
    ),
    "doc_err_erased": (
        "Τα στοιχεία του προσώπου διαγράφηκαν: δεν καταχωρίζεται τίποτα πια.",
        "The person's data were erased: nothing more is recorded.",
    ),
    "doc_err_not_kept": ("Η εγκατάσταση δεν κρατά έγγραφα.", "This installation keeps no documents."),
}
