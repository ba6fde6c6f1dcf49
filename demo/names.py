"""The demo's vocabulary: Greek names and streets, the staff, and how often each kind of request comes."""

from __future__ import annotations

from domain.catalogue import RequestCategory

STAFF = ("kl.papadaki", "m.georgiou", "a.nikolaou", "e.dimou")

FEMALE_NAMES = (
    "Μαρία",
    "Ελένη",
    "Αικατερίνη",
    "Βασιλική",
    "Σοφία",
    "Αγγελική",
    "Γεωργία",
    "Δήμητρα",
    "Κωνσταντίνα",
    "Παναγιώτα",
    "Ευαγγελία",
    "Ιωάννα",
    "Χριστίνα",
    "Αναστασία",
    "Ειρήνη",
)
MALE_NAMES = (
    "Γεώργιος",
    "Ιωάννης",
    "Κωνσταντίνος",
    "Δημήτριος",
    "Νικόλαος",
    "Παναγιώτης",
    "Βασίλειος",
    "Χρήστος",
    "Αθανάσιος",
    "Μιχαήλ",
    "Ευάγγελος",
    "Σπυρίδων",
    "Αντώνιος",
    "Ηλίας",
    "Θεόδωρος",
)
SURNAMES_M = (
    "Παπαδόπουλος",
    "Γεωργίου",
    "Οικονόμου",
    "Καραγιάννης",
    "Βασιλείου",
    "Αθανασίου",
    "Μπαλτάς",
    "Τσιούρβας",
    "Ζαχαρόπουλος",
    "Καλαμπόκας",
    "Σακελλαρίου",
    "Δημητρίου",
)
SURNAMES_F = (
    "Παπαδοπούλου",
    "Γεωργίου",
    "Οικονόμου",
    "Καραγιάννη",
    "Βασιλείου",
    "Αθανασίου",
    "Μπαλτά",
    "Τσιούρβα",
    "Ζαχαροπούλου",
    "Καλαμπόκα",
    "Σακελλαρίου",
    "Δημητρίου",
)
STREETS = (
    "Ελευθερίου Βενιζέλου",
    "Καραϊσκάκη",
    "Παπαναστασίου",
    "Ηρώων Πολυτεχνείου",
    "Αγίου Νικολάου",
    "Τρικάλων",
    "Λαρίσης",
    "Κύπρου",
    "28ης Οκτωβρίου",
)
CATEGORY_WEIGHTS = {
    RequestCategory.GMI: 24,
    RequestCategory.FOOD_AID_TEBA: 9,
    RequestCategory.UNINSURED_ELDERLY: 4,
    RequestCategory.DISABILITY_BENEFIT: 8,
    RequestCategory.DISABILITY_CERTIFICATION: 4,
    RequestCategory.HOUSING_BENEFIT: 9,
    RequestCategory.BIRTH_BENEFIT: 3,
    RequestCategory.SOCIAL_ELECTRICITY_TARIFF: 5,
    RequestCategory.UNEMPLOYMENT_CARD: 4,
    RequestCategory.BENEFIT_DOCUMENTS: 8,
    RequestCategory.PSYCHOSOCIAL_SUPPORT: 3,
    RequestCategory.COUNSELLING: 3,
    RequestCategory.EMPLOYMENT_COUNSELLING: 2,
    RequestCategory.PARENT_COUNSELLING: 1,
    RequestCategory.MEDIATION: 3,
    RequestCategory.MEDICAL_APPOINTMENT: 3,
    RequestCategory.LEGAL_ISSUES: 1,
    RequestCategory.DOMESTIC_VIOLENCE: 0.5,
    RequestCategory.LEARNING_SUPPORT: 1,
    RequestCategory.INFORMATION: 6,
    RequestCategory.OTHER: 1.5,
}
OPEKA_CATEGORIES = {
    RequestCategory.GMI,
    RequestCategory.UNINSURED_ELDERLY,
    RequestCategory.DISABILITY_BENEFIT,
    RequestCategory.HOUSING_BENEFIT,
    RequestCategory.BIRTH_BENEFIT,
}

# The people of the demo's own recent day (demo/today.py): first name, surname, gender, made from the
# names above (synthetic, never real people), none sharing a surname with a demo user.
DAY_PEOPLE = (
    ("Βασιλική", "Τσιούρβα", "female"),
    ("Δημήτριος", "Μπαλτάς", "male"),
    ("Γεωργία", "Καλαμπόκα", "female"),
    ("Αθανάσιος", "Ζαχαρόπουλος", "male"),
    ("Χριστίνα", "Σακελλαρίου", "female"),
    ("Ηλίας", "Δημητρίου", "male"),
    ("Αγγελική", "Μπαλτά", "female"),
    ("Ιωάννα", "Βασιλείου", "female"),
    ("Σοφία", "Παπαδοπούλου", "female"),
    ("Νικόλαος", "Τσιούρβας", "male"),
)
