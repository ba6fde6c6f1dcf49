"""The pages' words for catalogue (issue 23): (Greek, English), merged into gateways.web.labels.LABELS."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "catalogue": ("Κατάλογος του δήμου", "The municipality's catalogue"),
    "catalogue_intro": (
        "Οι δικές σας κατηγορίες αιτημάτων, φορείς, είδη δράσεων και σκοποί επισκέψεων. Καθεμία αντιστοιχεί σε "
        "έναν εθνικό κωδικό του ίδιου είδους: με αυτόν μετρά στους δείκτες, στα στοιχεία ΕΚΤ και στην Περιφέρεια, "
        "που δεν βλέπει ποτέ τους τοπικούς κωδικούς.",
        "Your own request categories, agencies, activity kinds and visit purposes. Each maps to a national code of "
        "its kind: it counts under that code in the indicators, the ESF figures and at the Region, which never "
        "sees local codes.",
    ),
    "catalogue_kind": ("Είδος", "Kind"),
    "catalogue_kind_request_category": ("Κατηγορίες αιτημάτων", "Request categories"),
    "catalogue_kind_agency": ("Φορείς", "Agencies"),
    "catalogue_kind_activity_kind": ("Είδη δράσεων", "Activity kinds"),
    "catalogue_kind_visit_purpose": ("Σκοποί κατ' οίκον επισκέψεων", "Home-visit purposes"),
    "catalogue_code": ("Τοπικός κωδικός", "Local code"),
    "catalogue_code_hint": (
        "Ξεκινά με local_ και έχει μόνο λατινικά πεζά, ψηφία και _ (έως 40 χαρακτήρες), π.χ. local_kafsoxyla.",
        "Starts with local_ and has only lower-case Latin letters, digits and _ (up to 40), e.g. local_firewood.",
    ),
    "catalogue_label_el": ("Ονομασία (ελληνικά)", "Label (Greek)"),
    "catalogue_label_en": ("Ονομασία (αγγλικά)", "Label (English)"),
    "catalogue_national": ("Εθνικός κωδικός στον οποίο μετρά", "National code it counts under"),
    "catalogue_national_hint": (
        "Ένας εθνικός κωδικός του ίδιου είδους (π.χ. για κατηγορία αιτήματος, μια εθνική κατηγορία).",
        "A national code of the same kind (for a request category, a national category).",
    ),
    "catalogue_state": ("Κατάσταση", "State"),
    "catalogue_active": ("Ενεργό", "Active"),
    "catalogue_retired": ("Αποσύρθηκε", "Retired"),
    "catalogue_added_on": ("Προστέθηκε", "Added"),
    "catalogue_add": ("Νέα τοπική καταχώριση", "New local entry"),
    "catalogue_add_save": ("Προσθήκη", "Add"),
    "catalogue_retire": ("Απόσυρση", "Retire"),
    "catalogue_none": ("Καμία τοπική καταχώριση ακόμη.", "No local entries yet."),
    "catalogue_added": ("Η τοπική καταχώριση προστέθηκε.", "The local entry was added."),
    "catalogue_retired_notice": (
        "Η καταχώριση αποσύρθηκε: οι παλιές εγγραφές την κρατούν, νέες δεν τη δέχονται.",
        "The entry was retired: old records keep it, new ones cannot use it.",
    ),
    "catalogue_coordinators": (
        "Τον κατάλογο τον συμπληρώνουν οι συντονιστές/τριες του δήμου.",
        "The catalogue is kept by the municipality's coordinators.",
    ),
    "err_local_code": (
        "Ο κωδικός πρέπει να ξεκινά με local_ και να έχει μόνο λατινικά πεζά, ψηφία και _ και να μην υπάρχει ήδη.",
        "The code starts with local_, has only lower-case Latin letters, digits and _, and is not taken.",
    ),
    "err_local_retired": (
        "Αυτή η τοπική καταχώριση έχει αποσυρθεί: επιλέξτε άλλη.",
        "This local entry was retired: choose another.",
    ),
    "err_national_kind": (
        "Επιλέξτε εθνικό κωδικό του ίδιου είδους.",
        "Choose a national code of the same kind.",
    ),
    "local_category": ("Τοπική κατηγορία", "Local category"),
    "local_destination": ("Τοπικός φορέας", "Local agency"),
    "local_purpose": ("Τοπικός σκοπός", "Local purpose"),
    "local_kind": ("Τοπικό είδος δράσης", "Local activity kind"),
}
