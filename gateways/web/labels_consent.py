"""The pages' words for consent (issue 23): (Greek, English), merged into gateways.web.labels.LABELS."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "consent_heading": ("Ενημέρωση και συναίνεση", "Information and consent"),
    "consent_not_informed": ("Δεν έχει καταγραφεί ενημέρωση", "No information has been recorded"),
    "consent_informed": ("Ενημερώθηκε", "Informed"),
    "consent_notice": ("Έκδοση ενημερωτικού", "Notice version"),
    "consent_notice_current": ("ισχύει σήμερα", "in force today"),
    "consent_earlier": ("Προηγούμενες ενημερώσεις", "Earlier information"),
    "consent_list": ("Συναινέσεις", "Consents"),
    "consent_none": ("Δεν έχει καταγραφεί συναίνεση.", "No consent has been recorded."),
    "consent_purpose": ("Σκοπός", "Purpose"),
    "consent_agency": ("Φορέας", "Agency"),
    "consent_agency_hint": (
        "Μόνο για διαβίβαση στοιχείων σε φορέα: σε ποιον.",
        "Only for sharing with an agency: which one.",
    ),
    "consent_given_as": ("Πώς δόθηκε", "How it was given"),
    "consent_given_on": ("Ημερομηνία συναίνεσης", "Date given"),
    "consent_state": ("Κατάσταση", "State"),
    "consent_active": ("Ισχύει", "Active"),
    "consent_withdrawn": ("Ανακλήθηκε στις", "Withdrawn on"),
    "consent_informed_on": ("Ημερομηνία ενημέρωσης", "Date informed"),
    "consent_record_information": ("Καταγραφή ενημέρωσης (άρθρο 13 ΓΚΠΔ)", "Record information (GDPR Art. 13)"),
    "consent_save_information": ("Καταγραφή ενημέρωσης", "Record information"),
    "consent_give": ("Καταγραφή συναίνεσης", "Record a consent"),
    "consent_save": ("Καταγραφή συναίνεσης", "Record consent"),
    "consent_withdrawn_on": ("Ημερομηνία ανάκλησης", "Date withdrawn"),
    "consent_withdraw": ("Ανάκληση", "Withdraw"),
    "consent_page": ("Ενημέρωση και συναίνεση", "Information and consent"),
    "consent_not_shown": (
        "Η ενημέρωση και οι συναινέσεις του προσώπου δεν εμφανίζονται σε αυτόν τον λογαριασμό.",
        "This account is not shown the person's information and consents.",
    ),
    "done_information": ("Η ενημέρωση καταγράφηκε.", "The information was recorded."),
    "done_consent": ("Η συναίνεση καταγράφηκε.", "The consent was recorded."),
    "done_withdrawal": ("Η ανάκληση της συναίνεσης καταγράφηκε.", "The withdrawal was recorded."),
    "referral_consent": ("Συναίνεση για διαβίβαση στον φορέα", "Consent to sharing with the agency"),
    "referral_consent_hint": (
        "Για ΜΚΟ, Δομή Κοινωνικής Στήριξης ή άλλο φορέα: η παραπομπή χρειάζεται τη συναίνεση του/της "
        "ωφελούμενου/ης για διαβίβαση των στοιχείων του/της σε αυτόν τον φορέα. Αν τη δίνει τώρα, επιλέξτε "
        "πώς· καταγράφεται μαζί με την παραπομπή.",
        "For an NGO, a social-support structure or another agency: the referral needs the person's consent to "
        "sharing their data with that agency. If they give it now, choose how; it is recorded with the referral.",
    ),
    "err_consent_required": (
        "Λείπει η συναίνεση: ο φορέας αυτός λαμβάνει τα στοιχεία μόνο με τη συναίνεση του/της ωφελούμενου/ης "
        "για διαβίβαση σε αυτόν, και δεν ισχύει καμία. Επιλέξτε πώς δόθηκε η συναίνεση.",
        "Consent missing: this agency receives the person's data only with their consent to sharing with it, "
        "and none is active. Choose how the consent was given.",
    ),
    "err_notice": (
        "Επιλέξτε μια έκδοση του ενημερωτικού που ίσχυε εκείνη την ημερομηνία.",
        "Choose a notice version that applied on that date.",
    ),
    "err_consent_agency": (
        "Ο φορέας δίνεται μόνο, και πάντα, για συναίνεση σε διαβίβαση στοιχείων σε φορέα.",
        "An agency is given for, and only for, a consent to sharing with an agency.",
    ),
    "err_consent_withdrawn": ("Η συναίνεση έχει ήδη ανακληθεί.", "The consent was withdrawn already."),
}
