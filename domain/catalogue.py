"""Stable codes for everything staff pick from a list, with the Greek labels staff see.

Codes are the platform's identifiers (stored in events, sent to regions); labels are for people.
"""

from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A code with a Greek and an English label."""

    label_el: str
    label_en: str

    def __new__(cls, code: str, label_el: str = "", label_en: str = "") -> Labelled:
        member = str.__new__(cls, code)
        member._value_ = code
        member.label_el = label_el or code
        member.label_en = label_en or code
        return member


class RequestCategory(Labelled):
    GMI = ("gmi", "Ελάχιστο Εγγυημένο Εισόδημα (ΕΕΕ)", "Minimum Guaranteed Income")
    FOOD_AID_TEBA = (
        "food_aid_teba",
        "ΤΕΒΑ (Ταμείο Ευρωπαϊκής Βοήθειας προς τους Απόρους)",
        "FEAD food and material aid",
    )
    UNINSURED_ELDERLY = ("uninsured_elderly", "Επίδομα ανασφάλιστων υπερηλίκων (ΟΠΕΚΑ)", "Uninsured-elderly benefit")
    DISABILITY_BENEFIT = ("disability_benefit", "Αναπηρικά επιδόματα, Αναπηρική Παροχή (ΟΠΕΚΑ)", "Disability benefit")
    DISABILITY_CERTIFICATION = ("disability_certification", "Αιτήσεις ΚΕΠΑ", "Disability certification (KEPA)")
    HOUSING_BENEFIT = ("housing_benefit", "Επίδομα Στέγασης", "Housing benefit")
    BIRTH_BENEFIT = ("birth_benefit", "Επίδομα Γέννησης", "Birth benefit")
    SOCIAL_ELECTRICITY_TARIFF = ("social_electricity_tariff", "Κοινωνικό Τιμολόγιο ΔΕΗ", "Social electricity tariff")
    UNEMPLOYMENT_CARD = ("unemployment_card", "Κάρτα ανεργίας (ΔΥΠΑ)", "Unemployment card")
    BENEFIT_DOCUMENTS = ("benefit_documents", "Συμπλήρωση δικαιολογητικών", "Help with benefit documents")
    PSYCHOSOCIAL_SUPPORT = (
        "psychosocial_support",
        "Ψυχοκοινωνική υποστήριξη παιδιών, εφήβων, ενηλίκων",
        "Psychosocial support",
    )
    COUNSELLING = ("counselling", "Συμβουλευτική υποστήριξη", "Counselling")
    EMPLOYMENT_COUNSELLING = ("employment_counselling", "Συμβουλευτική εργασίας", "Employment counselling")
    PARENT_COUNSELLING = ("parent_counselling", "Συμβουλευτική γονέων", "Parent counselling")
    MEDIATION = ("mediation", "Διαμεσολάβηση σε φορείς και υπηρεσίες", "Mediation with agencies")
    MEDICAL_APPOINTMENT = ("medical_appointment", "Ιατρικά ραντεβού (νοσοκομεία, ψυχική υγεία)", "Medical appointments")
    LEGAL_ISSUES = ("legal_issues", "Ζητήματα νομικού χαρακτήρα", "Legal issues")
    DOMESTIC_VIOLENCE = ("domestic_violence", "Ενδοοικογενειακή βία", "Domestic violence")
    LEARNING_SUPPORT = ("learning_support", "Μαθησιακή στήριξη παιδιών και εφήβων", "Learning support")
    INFORMATION = ("information", "Ενημέρωση, πληροφόρηση", "Information")
    OTHER = ("other", "Άλλο", "Other")


class RequestStatus(Labelled):
    OPENED = ("opened", "Ανοιχτό", "Opened")
    IN_PROGRESS = ("in_progress", "Σε εξέλιξη", "In progress")
    RESOLVED = ("resolved", "Ικανοποιήθηκε", "Resolved")
    CLOSED_UNRESOLVED = ("closed_unresolved", "Έκλεισε χωρίς ικανοποίηση", "Closed unresolved")
    WITHDRAWN = ("withdrawn", "Ανακλήθηκε", "Withdrawn")


class Agency(Labelled):
    OPEKA = ("opeka", "ΟΠΕΚΑ", "OPEKA (welfare benefits)")
    DYPA = ("dypa", "ΔΥΠΑ", "DYPA (public employment service)")
    EFKA = ("efka", "e-ΕΦΚΑ", "EFKA (social insurance)")
    KEP = ("kep", "ΚΕΠ", "Citizen service centre (KEP)")
    KEPA = ("kepa", "ΚΕΠΑ", "Disability certification centre (KEPA)")
    HOSPITAL = ("hospital", "Νοσοκομείο", "Hospital")
    MENTAL_HEALTH_UNIT = ("mental_health_unit", "Μονάδα Ψυχικής Υγείας", "Mental-health unit")
    MUNICIPAL_SERVICE = ("municipal_service", "Υπηρεσία του Δήμου", "Municipal service")
    SOCIAL_STRUCTURE = ("social_structure", "Δομή Κοινωνικής Στήριξης", "Social-support structure")
    NGO = ("ngo", "Μη κυβερνητική οργάνωση", "NGO")
    PROSECUTOR = ("prosecutor", "Εισαγγελία", "Public prosecutor")
    OTHER = ("other", "Άλλος φορέας", "Other agency")


class AgencyApplicationStatus(Labelled):
    """Status of an application that staff filed in another agency's system for the citizen."""

    SUBMITTED = ("submitted", "Υποβλήθηκε", "Submitted")
    PENDING_DOCUMENTS = ("pending_documents", "Εκκρεμούν δικαιολογητικά", "Documents pending")
    UNDER_REVIEW = ("under_review", "Υπό εξέταση", "Under review")
    APPROVED = ("approved", "Εγκρίθηκε", "Approved")
    REJECTED = ("rejected", "Απορρίφθηκε", "Rejected")


class ReferralStatus(Labelled):
    SENT = ("sent", "Στάλθηκε", "Sent")
    ACCEPTED = ("accepted", "Έγινε δεκτή", "Accepted")
    DECLINED = ("declined", "Απορρίφθηκε", "Declined")
    COMPLETED = ("completed", "Ολοκληρώθηκε", "Outcome recorded")


class ReferralOutcome(Labelled):
    SERVED = ("served", "Εξυπηρετήθηκε", "Served")
    PARTIALLY_SERVED = ("partially_served", "Εξυπηρετήθηκε εν μέρει", "Partially served")
    NOT_SERVED = ("not_served", "Δεν εξυπηρετήθηκε", "Not served")
    NO_SHOW = ("no_show", "Δεν προσήλθε", "Did not attend")


class HomeVisitPurpose(Labelled):
    LIVING_CONDITIONS = ("living_conditions", "Διερεύνηση συνθηκών διαβίωσης", "Living conditions")
    RESIDENCE_CONFIRMATION = ("residence_confirmation", "Βεβαίωση μόνιμης κατοικίας", "Confirm residence")
    HOMELESSNESS = ("homelessness", "Διαπίστωση αστεγίας", "Establish homelessness")
    NO_ELECTRICITY = ("no_electricity", "Κατοικία χωρίς ηλεκτροδότηση", "Home without electricity")
    PROSECUTOR_ORDERED = ("prosecutor_ordered", "Εισαγγελική κοινωνική έρευνα", "Ordered by a public prosecutor")
    OTHER = ("other", "Άλλο", "Other")


class ActivityKind(Labelled):
    COUNSELLING_SESSION = ("counselling_session", "Συνεδρία συμβουλευτικής", "Counselling session")
    PSYCHOSOCIAL_SESSION = ("psychosocial_session", "Συνεδρία ψυχοκοινωνικής υποστήριξης", "Psychosocial session")
    NETWORKING_MEETING = ("networking_meeting", "Συνάντηση δικτύωσης με φορείς", "Networking meeting")
    AGENCY_VISIT = ("agency_visit", "Επίσκεψη σε τοπικό φορέα", "Visit to a local agency")
    COMMUNITY_EVENT = ("community_event", "Εκδήλωση", "Community event")
    VOLUNTEER_REGISTRATION = ("volunteer_registration", "Εγγραφή εθελοντή", "Volunteer registration")


class CommunityEventType(Labelled):
    EDUCATIONAL = ("educational", "Εκπαιδευτική", "Educational")
    INFORMATIONAL = ("informational", "Ενημερωτική", "Informational")
    SOCIAL = ("social", "Κοινωνική", "Social")


class StaffRole(Labelled):
    SOCIAL_WORKER = ("social_worker", "Κοινωνικός/ή Λειτουργός", "Social worker")
    SPECIAL_EDUCATOR = ("special_educator", "Ειδικός/ή Παιδαγωγός", "Special educator")
    PEDAGOGUE = ("pedagogue", "Παιδαγωγός", "Pedagogue")
    SOCIOLOGIST = ("sociologist", "Κοινωνιολόγος", "Sociologist")
    PSYCHOLOGIST = ("psychologist", "Ψυχολόγος", "Psychologist")
    NURSE = ("nurse", "Νοσηλευτής/τρια", "Nurse")
    ECONOMIST = ("economist", "Οικονομολόγος", "Economist")
    MEDIATOR = ("mediator", "Διαμεσολαβητής/τρια", "Mediator")


class Gender(Labelled):
    FEMALE = ("female", "Γυναίκα", "Female")
    MALE = ("male", "Άνδρας", "Male")
    NON_BINARY = ("non_binary", "Μη δυαδικό", "Non-binary")


class EmploymentStatus(Labelled):
    EMPLOYED = ("employed", "Εργαζόμενος/η", "Employed")
    SELF_EMPLOYED = ("self_employed", "Αυτοαπασχολούμενος/η", "Self-employed")
    UNEMPLOYED = ("unemployed", "Άνεργος/η", "Unemployed")
    LONG_TERM_UNEMPLOYED = ("long_term_unemployed", "Μακροχρόνια άνεργος/η", "Long-term unemployed")
    INACTIVE_IN_EDUCATION = (
        "inactive_in_education",
        "Οικονομικά μη ενεργός/ή σε εκπαίδευση ή κατάρτιση",
        "Inactive, in education or training",
    )
    INACTIVE = ("inactive", "Οικονομικά μη ενεργός/ή", "Inactive, not in education or training")


class HouseholdSituation(Labelled):
    LIVES_ALONE = ("lives_alone", "Μένει μόνος/η", "Lives alone")
    SINGLE_PARENT = ("single_parent", "Μονογονεϊκή οικογένεια", "Single-parent family")
    COUPLE_WITH_CHILDREN = ("couple_with_children", "Ζευγάρι με παιδιά", "Couple with children")
    COUPLE_WITHOUT_CHILDREN = ("couple_without_children", "Ζευγάρι χωρίς παιδιά", "Couple without children")
    EXTENDED_FAMILY = ("extended_family", "Διευρυμένη οικογένεια", "Extended family")
    OTHER = ("other", "Άλλο", "Other")


class ResidenceArea(Labelled):
    """Degree of urbanisation of the place of residence (ESF CO19 / EECO17: rural areas)."""

    URBAN = ("urban", "Αστική περιοχή", "Urban")
    INTERMEDIATE = ("intermediate", "Ημιαστική περιοχή", "Intermediate")
    RURAL = ("rural", "Αγροτική περιοχή", "Rural")


class Answer(Labelled):
    """An answer to a vulnerable-group question. Only special-category questions take REFUSED."""

    YES = ("yes", "Ναι", "Yes")
    NO = ("no", "Όχι", "No")
    REFUSED = ("refused", "Άρνηση απάντησης", "Refused to answer")


class CorrectionReason(Labelled):
    TYPING_ERROR = ("typing_error", "Λάθος πληκτρολόγησης", "Typing error")
    WRONG_DATE = ("wrong_date", "Λάθος ημερομηνία", "Wrong date")
    WRONG_PERSON = ("wrong_person", "Καταχωρίστηκε σε λάθος πρόσωπο", "Recorded against the wrong person")
    DUPLICATE_ENTRY = ("duplicate_entry", "Διπλή καταχώριση", "Duplicate entry")
    NEW_INFORMATION = ("new_information", "Νέα στοιχεία", "New information")
    # Not an error: the person's situation changed since. It may update how to reach them, never
    # what was true at the time (dates, the ESF entry profile, categories): those are facts of then.
    CHANGE_OF_SITUATION = ("change_of_situation", "Αλλαγή κατάστασης (όχι λάθος)", "Change of situation (not an error)")
    OTHER = ("other", "Άλλος λόγος", "Other")
