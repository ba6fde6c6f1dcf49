"""The ESF participation forms (issue 21): their fields, their words in Greek and English, and how the
«Συμμετοχή σε πράξεις ΕΚΤ» block of a person's page presents ``services.participation``.

Each form's body is checked by the schema the API uses (``services.commands``); the fields here only
say how it is drawn (``gateways.web.forms`` draws and reads any form).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from gateways.web.casework_forms import INTAKE, REASON, REASON_NOTE, VERSION
from gateways.web.forms import Field, Section
from gateways.web.labels import LABELS
from gateways.web.present import shown_date
from services import commands as c
from services.participation import OperationRecord, Participation

_WORDS: dict[str, tuple[str, str]] = {
    "esf_block": ("Συμμετοχή σε πράξεις ΕΚΤ", "Participation in ESF operations"),
    "esf_operation": ("Πράξη", "Operation"),
    "esf_programme": ("Πρόγραμμα", "Programme"),
    "esf_code": ("Κωδικός ΟΠΣ", "ΟΠΣ (MIS) code"),
    "esf_entered": ("Είσοδος", "Entered"),
    "esf_left": ("Έξοδος", "Left"),
    "esf_follow_up": ("Παρακολούθηση 6 μηνών", "Six-month follow-up"),
    "esf_steps": ("Ενέργειες", "Steps"),
    "esf_no_code": ("δεν έχει δοθεί", "not known"),
    "esf_not_entered": ("Δεν έχει εισέλθει", "Not entered"),
    "esf_by_intake": ("με την εισαγωγή", "at the intake"),
    "esf_by_return": ("επιστροφή", "a return"),
    "esf_automatic": ("αυτόματα, με την πρώτη επαφή", "automatically, at the first contact"),
    "esf_not_left": ("Συμμετέχει ακόμη", "Still taking part"),
    "esf_due_on": ("οφείλεται από {day}", "due from {day}"),
    "esf_done_on": ("έγινε {day}", "done {day}"),
    "esf_none_status": ("καμία από τις καταστάσεις", "none of these"),
    "esf_situation_now": ("Κατάσταση τώρα", "Situation now"),
    "step_esf_entry": ("Είσοδος σε νέα πράξη", "Entry into a new operation"),
    "step_esf_situation": ("Αλλαγή κατάστασης", "Change of situation"),
    "step_esf_exit": ("Έξοδος από την πράξη", "Leaving the operation"),
    "step_esf_follow-up": ("Παρακολούθηση 6 μηνών", "Six-month follow-up"),
    "step_esf_correct-entry": ("Διόρθωση εισόδου", "Correct the entry"),
    "step_esf_correct-exit": ("Διόρθωση εξόδου", "Correct the exit"),
    "step_esf_correct-follow-up": ("Διόρθωση παρακολούθησης", "Correct the follow-up"),
    "done_esf_entry": ("Η είσοδος στην πράξη καταχωρίστηκε.", "The entry into the operation was recorded."),
    "done_esf_situation": ("Η αλλαγή κατάστασης καταχωρίστηκε.", "The change of situation was recorded."),
    "done_esf_exit": ("Η έξοδος από την πράξη καταχωρίστηκε.", "Leaving the operation was recorded."),
    "done_esf_follow-up": ("Η παρακολούθηση 6 μηνών καταχωρίστηκε.", "The six-month follow-up was recorded."),
    "done_esf_correct-entry": ("Η διόρθωση της εισόδου καταχωρίστηκε.", "The entry's correction was recorded."),
    "done_esf_correct-exit": ("Η διόρθωση της εξόδου καταχωρίστηκε.", "The exit's correction was recorded."),
    "done_esf_correct-follow-up": (
        "Η διόρθωση της παρακολούθησης καταχωρίστηκε.",
        "The follow-up's correction was recorded.",
    ),
    "esf_entry_date": ("Ημερομηνία εισόδου (πρώτη επαφή στην πράξη)", "Entry date (first contact in the operation)"),
    "esf_situation_on_entry": ("Κατάσταση την ημέρα της εισόδου", "Situation on the day of entry"),
    "esf_situation_on_entry_hint": (
        "Συμπληρωμένα με την τρέχουσα κατάσταση· αλλάξτε ό,τι ισχύει διαφορετικά την ημέρα της εισόδου.",
        "Filled with the situation now; change what was different on the day of entry.",
    ),
    "esf_change_date": ("Ισχύει από (ημερομηνία αλλαγής)", "From (the day it changed)"),
    "esf_situation": ("Κατάσταση", "Situation"),
    "esf_situation_hint": (
        "Η αλλαγή ισχύει από την ημερομηνία της και δεν αλλάζει τα στοιχεία εισόδου σε καμία πράξη. "
        "Αν τα στοιχεία εισόδου γράφτηκαν λάθος, κάντε διόρθωση.",
        "The change holds from its date and never rewrites the entry data of any operation. "
        "If the entry data were wrong, correct them instead.",
    ),
    "esf_exit_date": ("Ημερομηνία εξόδου", "Date of leaving"),
    "esf_leaving": ("Κατάσταση κατά την έξοδο", "Status on leaving"),
    "esf_leaving_hint": (
        "Ό,τι ισχύει κατά την έξοδο (έως 4 εβδομάδες μετά). Αναζήτηση εργασίας και απασχόληση αποκλείονται "
        "μεταξύ τους.",
        "What holds on leaving (up to 4 weeks after). Job searching and employment exclude each other.",
    ),
    "esf_job_searching": ("Αναζητά εργασία", "Job searching"),
    "esf_in_education": ("Σε εκπαίδευση ή κατάρτιση", "In education or training"),
    "esf_qualification": ("Απέκτησε πιστοποίηση / τίτλο", "Gained a qualification"),
    "esf_employed": (
        "Απασχολείται, και ως αυτοαπασχολούμενος/η",
        "Employed, including self-employed",
    ),
    "esf_follow_up_date": ("Ημερομηνία παρακολούθησης", "Date of the follow-up"),
    "esf_six_months": ("Κατάσταση 6 μήνες μετά την έξοδο", "Situation six months after leaving"),
    "esf_improved": (
        "Βελτιωμένη θέση στην αγορά εργασίας",
        "Improved labour-market situation",
    ),
    "esf_improved_hint": (
        "Για όσους εργάζονταν κατά την είσοδο: από επισφαλή σε σταθερή εργασία, από υποαπασχόληση σε πλήρη, "
        "ή θέση που απαιτεί υψηλότερα προσόντα.",
        "For those employed at entry: from precarious to stable work, under-employed to full, or a job needing "
        "higher skills.",
    ),
    "esf_corrected_entry_date": ("Ημερομηνία εισόδου", "Entry date"),
    "esf_special_correct_hint": (
        "Κενά: μένουν όπως δόθηκαν. Για να διορθωθούν, συμπληρώστε και τις τρεις.",
        "Blank: kept as given. To correct them, fill in all three.",
    ),
    "err_esf_searching_and_employed": (
        "Κατά την έξοδο ένα άτομο είτε αναζητά εργασία είτε απασχολείται, όχι και τα δύο. "
        "Σημειώστε μόνο το πιο πρόσφατο από τα δύο.",
        "On leaving a person is either job searching or employed, not both. Tick only the later of the two.",
    ),
    "err_esf_follow_up_early": (
        "Η παρακολούθηση καταχωρίζεται 6 μήνες μετά την έξοδο, από {day}.",
        "The follow-up is recorded six months after leaving, from {day}.",
    ),
    "err_esf_not_in_operation": (
        "Η ημερομηνία δεν ανήκει σε αυτή την πράξη.",
        "The date does not belong to this operation.",
    ),
}
WORDS = {lang: {key: pair[i] for key, pair in _WORDS.items()} for i, lang in enumerate(("el", "en"))}


def words(lang: str) -> dict[str, str]:
    """The shared words of the pages and this module's own."""
    return {**LABELS[lang], **WORDS[lang]}


def _date(name: str, label: str) -> Field:
    return Field(name, label, "date", required=True)


def _situation(prefix: str, *, required: bool) -> list[Field]:
    """The situation's inputs (the intake's profile fields less gender), under ``prefix``."""
    fields = []
    for f in INTAKE[1].fields:
        leaf = f.name.rsplit(".", 1)[-1]
        if leaf == "gender":
            continue
        needed = required and f.kind != "checkbox"
        fields.append(Field(f"{prefix}{leaf}", f.label, f.kind, f.options, f.choices, needed, f.hint))
    return fields


def _special(*, required: bool) -> list[Field]:
    return [Field(f.name, f.label, f.kind, f.options, f.choices, required) for f in INTAKE[2].fields]


LEAVING = [
    Field("status.job_searching", "esf_job_searching", "checkbox"),
    Field("status.in_education_or_training", "esf_in_education", "checkbox"),
    Field("status.qualification_gained", "esf_qualification", "checkbox"),
    Field("status.employed", "esf_employed", "checkbox"),
]
LONG_TERM = [
    Field("status.employed", "esf_employed", "checkbox"),
    Field("status.improved_labour_market_situation", "esf_improved", "checkbox", hint="esf_improved_hint"),
]
CORRECTION = Section("correction", [REASON, REASON_NOTE])


def _prefixed(fields: list[Field], prefix: str) -> list[Field]:
    return [Field(prefix + f.name, f.label, f.kind, f.options, f.choices, f.required, f.hint) for f in fields]


@dataclass(frozen=True)
class Form:
    """One participation step: the command it records, its body's schema, and its sections."""

    command: str
    model: type[c.Payload]
    sections: tuple[Section, ...]


FORMS: dict[str, Form] = {
    "entry": Form(
        "enter_operation",
        c.EnterOperationFields,
        (
            Section(None, [VERSION, _date("occurred_on", "esf_entry_date")]),
            Section("esf_situation_on_entry", _situation("situation.", required=True), "esf_situation_on_entry_hint"),
            Section("special", _special(required=True), "special_hint"),
        ),
    ),
    "situation": Form(
        "change_situation",
        c.SituationChangeFields,
        (
            Section(None, [VERSION, _date("occurred_on", "esf_change_date")]),
            Section("esf_situation", _situation("changes.", required=False), "esf_situation_hint"),
        ),
    ),
    "exit": Form(
        "leave_operation",
        c.LeaveOperationFields,
        (
            Section(None, [VERSION, _date("occurred_on", "esf_exit_date")]),
            Section("esf_leaving", LEAVING, "esf_leaving_hint"),
        ),
    ),
    "follow-up": Form(
        "record_long_term_result",
        c.LongTermResultFields,
        (
            Section(None, [VERSION, _date("occurred_on", "esf_follow_up_date")]),
            Section("esf_six_months", LONG_TERM),
        ),
    ),
    "correct-entry": Form(
        "correct_operation_record",
        c.OperationCorrectionFields,
        (
            Section(None, [VERSION, Field("changes.occurred_on", "esf_corrected_entry_date", "date")]),
            Section("esf_situation_on_entry", _situation("changes.profile.", required=False)),
            Section("special", _special(required=False), "esf_special_correct_hint"),
            CORRECTION,
        ),
    ),
    "correct-exit": Form(
        "correct_operation_record",
        c.OperationCorrectionFields,
        (
            Section(None, [VERSION, Field("changes.occurred_on", "esf_exit_date", "date")]),
            Section("esf_leaving", _prefixed(LEAVING, "changes."), "esf_leaving_hint"),
            CORRECTION,
        ),
    ),
    "correct-follow-up": Form(
        "correct_operation_record",
        c.OperationCorrectionFields,
        (Section(None, [VERSION]), Section("esf_six_months", _prefixed(LONG_TERM, "changes.")), CORRECTION),
    ),
}
RECORDS = {"correct-entry": "entry", "correct-exit": "exit", "correct-follow-up": "long_term"}


def _drawn(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def current(step: str, found: Participation, record: OperationRecord | None, today: date) -> dict[str, str]:
    """What a new form shows: the person's version, today, and the values a step starts from (the
    situation now for an entry or a change, the recorded values for a correction)."""
    values = {"expected_version": str(found.version), "occurred_on": today.isoformat()}
    if step in ("entry", "situation"):
        prefix = "situation." if step == "entry" else "changes."
        values.update({prefix + k: _drawn(v) for k, v in found.situation.items()})
    elif record is not None and step == "correct-entry" and record.entry_data:
        values["changes.occurred_on"] = _drawn(record.entered_on)
        for f in FORMS[step].sections[1].fields:
            leaf = f.name.rsplit(".", 1)[-1]
            values[f.name] = _drawn(record.entry_data.get("homeless" if leaf.startswith("homeless") else leaf))
    elif record is not None and step == "correct-exit":
        values["changes.occurred_on"] = _drawn(record.left_on)
        values.update({f"changes.status.{k}": _drawn(v) for k, v in (record.leaving or {}).items()})
    elif record is not None and step == "correct-follow-up":
        long_term = record.long_term or {}
        values["changes.status.employed"] = _drawn(long_term.get("employed_after_six_months"))
        values["changes.status.improved_labour_market_situation"] = _drawn(long_term.get("improved_after_six_months"))
    return values


def _leaving_words(status: Mapping[str, bool] | None, t: Mapping[str, str]) -> str:
    if status is None:
        return ""
    labels = {f.name.rsplit(".", 1)[-1]: t[f.label] for f in LEAVING}
    named = [labels[k] for k, v in status.items() if v and k in labels]
    return ", ".join(named) or t["esf_none_status"]


def block(found: Participation, lang: str) -> dict[str, Any]:
    """The «Συμμετοχή σε πράξεις ΕΚΤ» block of a person's page, in words."""
    t = words(lang)
    rows = []
    for r in found.records:
        how = t["esf_by_intake"] if r.entry == "intake" else t["esf_by_return"] if r.entry else ""
        if r.automatic:
            how = f"{how}, {t['esf_automatic']}"
        follow_up = ""
        if r.followed_up_on is not None:
            done = [t["esf_employed"]] if (r.long_term or {}).get("employed_after_six_months") else []
            done += [t["esf_improved"]] if (r.long_term or {}).get("improved_after_six_months") else []
            follow_up = t["esf_done_on"].format(day=shown_date(r.followed_up_on))
            follow_up += f" ({', '.join(done) or t['esf_none_status']})"
        elif r.follow_up_due is not None:
            follow_up = t["esf_due_on"].format(day=shown_date(r.follow_up_due))
        rows.append(
            {
                "operation": r.operation,
                "title": r.title,
                "programme": r.programme,
                "code": r.code or t["esf_no_code"],
                "entered": f"{shown_date(r.entered_on)} ({how})" if r.entered_on else t["esf_not_entered"],
                "left": f"{shown_date(r.left_on)}: {_leaving_words(r.leaving, t)}"
                if r.left_on
                else (t["esf_not_left"] if r.entered_on else "—"),
                "follow_up": follow_up or "—",
                "steps": [(step, t[f"step_esf_{step}"]) for step in r.steps],
            }
        )
    return {"t": t, "rows": rows, "may_change_situation": found.may_change_situation}
