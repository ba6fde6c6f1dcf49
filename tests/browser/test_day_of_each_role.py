"""Each role's whole day through the pages only, in Debian's Chromium (issue 20's acceptance): no API call,
no command sent behind the browser's back. Every step is checked on the entry's page and in the lists it
changes, and axe-core (desktop and phone) runs on every page visited; screenshots are kept as artefacts.

The days build on each other as a centre would: the caseworker's day leaves a person with open work,
whom the coordinator then gives to the Roma branch, where the mediator finds her; the auditor and the
analyst read what the day left, each within their rights. Each test still stands alone: it makes what
it needs through the pages.
"""

from __future__ import annotations

import re
from uuid import uuid4

from playwright.sync_api import expect

from domain.clock import athens_today
from services.access import Principal, Role
from tests.browser.conftest import PASSWORD, USERS, Site, Tab
from tests.browser.test_entries_in_chromium import fill_date, open_entry, send, take
from tests.browser.test_pages_in_chromium import register

COLLEAGUE = Principal(
    "b.day.colleague", Role.CASEWORKER, frozenset({"sofades"}), structure="centre", full_name="Γιώργος Τσιάρας"
)
MEDIATOR = Principal(
    "b.day.mediator", Role.CASEWORKER, frozenset({"sofades"}), structure="roma-branch", full_name="Άννα Καραγιάννη"
)
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
NAMES = {"caseworker": "Μαρία Οικονόμου", "coordinator": "Ελένη Παπαδάκη"}


def staff(site: Site) -> None:
    """The site's staff with their full names, and the colleagues the days hand cases to."""
    for role, name in NAMES.items():
        site.kentra.accounts.set_full_name(USERS[role].username, name)
    for principal in (COLLEAGUE, MEDIATOR):
        if site.kentra.accounts.principal(principal.username) is None:
            site.kentra.accounts.add(principal, PASSWORD)


def sign_in_as(tab: Tab, principal: Principal) -> None:
    tab.go("/")
    tab.page.get_by_label("Όνομα χρήστη").fill(principal.username)
    tab.page.get_by_label("Κωδικός πρόσβασης").fill(PASSWORD)
    tab.page.get_by_role("button", name="Είσοδος").click()
    tab.page.wait_for_load_state()


def sign_out(tab: Tab) -> None:
    tab.page.get_by_role("button", name="Αποσύνδεση").click()
    tab.page.wait_for_url(tab.site.url + "/")


def surname() -> str:
    """A surname no other test of the session uses, so that a list or a search finds this test's person."""
    return "Ημερίδου" + "".join("αβγδεζθικλμνξπρστφχψ"[int(c, 16)] for c in uuid4().hex[:5])


def work_list(tab: Tab, name: str, **filters: str) -> str:
    """Open one of «Οι εργασίες μου» from the header, with filters typed into its form; the rows' text."""
    page = tab.page
    page.get_by_role("link", name=re.compile("^Οι εργασίες μου")).click()
    page.get_by_role("link", name=re.compile(f"^{name}")).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    for label, value in filters.items():
        page.get_by_label(label).fill(value)
    if filters:
        page.get_by_role("button", name="Εμφάνιση").click()
    tab.accessible(f"work-{name}")
    rows = page.locator("tbody")
    return str(rows.inner_text()) if rows.count() else ""


def due_today(tab: Tab) -> int:
    """The header's count of what is due today (no badge: nothing)."""
    badge = tab.page.locator("header .badge")
    return int(re.sub(r"\D", "", badge.inner_text())) if badge.count() else 0


def new_entry(tab: Tab, person: str, link: str, fields: dict[str, str], notice: str) -> None:
    """From the person's page, record a new entry through its form and come back to the person."""
    page = tab.page
    tab.go(f"/t/sofades/people/{person}")
    page.get_by_role("link", name=link).click()
    for label, option in fields.items():
        page.get_by_label(label).select_option(label=option)
    tab.accessible(f"record-{link}")
    page.get_by_role("button", name="Καταχώριση").click()
    page.wait_for_url(re.compile(rf"/t/sofades/people/{person}"))
    expect(page.get_by_role("status")).to_have_text(notice)


def facts(tab: Tab) -> str:
    return str(tab.page.locator("main dl").first.inner_text())


def test_a_caseworkers_whole_day_through_the_pages(tab: Tab) -> None:
    staff(tab.site)
    page, last = tab.page, surname()
    tab.sign_in("caseworker")
    assert NAMES["caseworker"] in page.locator("header").inner_text()  # staff by full name
    before = due_today(tab)

    # A new person: searched for first (nobody), then registered; the search then finds her by a
    # Latin-typed prefix of her Greek surname.
    person = register(tab, "Ευδοκία", last)
    tab.go("/t/sofades/people")
    page.get_by_label("Επώνυμο, ή όνομα και επώνυμο").fill("imerid")
    page.get_by_role("button", name="Αναζήτηση").click()
    expect(page.get_by_role("link", name=f"Ευδοκία {last}")).to_be_visible()
    tab.accessible("search")

    # A request: its status at OPEKA with the protocol number, progress, resolution, then reopened.
    new_entry(tab, person, "Νέο αίτημα", {"Κατηγορία": "Επίδομα Στέγασης"}, "Το αίτημα καταχωρίστηκε.")
    request = open_entry(tab, person, "requests", "Επίδομα Στέγασης")
    take(tab, "Κατάσταση στον φορέα", "agency-status")
    page.get_by_label("Φορέας").select_option(label="ΟΠΕΚΑ")
    page.get_by_label("Αριθμός αίτησης στον φορέα").fill("ΟΠΕΚΑ/2026/4411")
    page.get_by_label("Κατάσταση στον φορέα").select_option(label="Υποβλήθηκε")
    send(tab, "Η κατάσταση στον φορέα καταχωρίστηκε.", "request-submitted")
    assert "ΟΠΕΚΑ/2026/4411" in facts(tab)
    pending = work_list(tab, "Αιτήσεις σε εκκρεμότητα σε φορέα", **{"Χωρίς νέα από τον φορέα πάνω από (ημέρες)": "0"})
    assert last in pending  # pending at the agency since today
    tab.go(f"/t/sofades/requests/{request}")
    take(tab, "Έναρξη επεξεργασίας", "progress")
    send(tab, "Η έναρξη επεξεργασίας καταχωρίστηκε.", "request-in-progress")
    take(tab, "Ικανοποίηση αιτήματος", "resolve")
    timeline = send(tab, "Το αίτημα ικανοποιήθηκε.", "request-resolved")
    assert "Ικανοποιήθηκε" in facts(tab)
    assert page.get_by_role("link", name="Ικανοποίηση αιτήματος").count() == 0  # a closed request's steps only
    take(tab, "Επανάνοιγμα αιτήματος", "reopen")
    page.get_by_role("button", name="Καταχώριση").click()  # without its reason: refused, nothing recorded
    expect(page.get_by_role("alert")).to_be_visible()
    assert page.evaluate("document.activeElement.getAttribute('role')") == "alert"  # the focus is on the errors
    tab.accessible("reopen-refused")
    page.get_by_label("Λόγος επανανοίγματος").fill("Ο ΟΠΕΚΑ επανεξετάζει την αίτηση")
    timeline = send(tab, "Το αίτημα άνοιξε ξανά.", "request-reopened")
    assert "Σε εξέλιξη" in facts(tab)
    assert "Ο ΟΠΕΚΑ επανεξετάζει την αίτηση" in timeline
    assert timeline.count("Ικανοποιήθηκε") >= 1  # the closure stays in the history
    take(tab, "Διόρθωση στοιχείων", "amend-request")
    page.get_by_label("Κατηγορία").select_option(label="Επίδομα Γέννησης")
    page.get_by_label("Λόγος").select_option(label="Λάθος πληκτρολόγησης")
    page.get_by_label("Αιτιολόγηση").fill("Λάθος επίδομα στην καταχώριση")
    timeline = send(tab, "Η διόρθωση καταχωρίστηκε.", "request-amended")
    assert "Επίδομα Στέγασης → Επίδομα Γέννησης" in timeline

    # A referral awaiting the other agency's answer is in her list until it is answered.
    new_entry(
        tab, person, "Νέα παραπομπή", {"Φορέας παραπομπής": "Μονάδα Ψυχικής Υγείας"}, "Η παραπομπή καταχωρίστηκε."
    )
    awaiting = work_list(tab, "Παραπομπές χωρίς απάντηση", **{"Χωρίς απάντηση πάνω από (ημέρες)": "0"})
    assert last in awaiting
    referral = open_entry(tab, person, "referrals", "Μονάδα Ψυχικής Υγείας")
    take(tab, "Αποδοχή από τον φορέα", "accept")
    send(tab, "Η αποδοχή της παραπομπής καταχωρίστηκε.", "referral-accepted")
    assert last not in work_list(tab, "Παραπομπές χωρίς απάντηση", **{"Χωρίς απάντηση πάνω από (ημέρες)": "0"})
    tab.go(f"/t/sofades/referrals/{referral}")
    take(tab, "Έκβαση παραπομπής", "outcome")
    page.get_by_label("Έκβαση").select_option(label="Εξυπηρετήθηκε")
    timeline = send(tab, "Η έκβαση της παραπομπής καταχωρίστηκε.", "referral-completed")
    assert "Εξυπηρετήθηκε" in timeline

    # A home visit whose follow-up is due today: counted in the header and listed, until it is done.
    tab.go(f"/t/sofades/people/{person}")
    page.get_by_role("link", name="Κατ' οίκον επίσκεψη").click()
    page.get_by_label("Σκοπός επίσκεψης").select_option(label="Διερεύνηση συνθηκών διαβίωσης")
    fill_date(page.get_by_label("Επανεπίσκεψη έως"), athens_today())
    page.get_by_role("button", name="Καταχώριση").click()
    page.wait_for_url(re.compile(rf"/t/sofades/people/{person}"))
    assert due_today(tab) == before + 1
    assert last in work_list(tab, "Επανεπισκέψεις που λήγουν ή έληξαν")
    visit = open_entry(tab, person, "home-visits", "Διερεύνηση συνθηκών διαβίωσης")
    take(tab, "Επανεπίσκεψη έγινε", "follow-up")
    page.get_by_label("Διαπιστώσεις της επανεπίσκεψης").fill("Η θέρμανση αποκαταστάθηκε")
    timeline = send(tab, "Η επανεπίσκεψη καταχωρίστηκε.", "follow-up-done")
    assert "Η θέρμανση αποκαταστάθηκε" in timeline
    assert due_today(tab) == before
    assert last not in work_list(tab, "Επανεπισκέψεις που λήγουν ή έληξαν")

    # A duplicate referral, voided with its reason: it stays in the history and leaves the lists.
    new_entry(tab, person, "Νέα παραπομπή", {"Φορέας παραπομπής": "ΔΥΠΑ"}, "Η παραπομπή καταχωρίστηκε.")
    open_entry(tab, person, "referrals", "ΔΥΠΑ")
    take(tab, "Ακύρωση καταχώρισης", "void")
    page.get_by_label("Λόγος").select_option(label="Διπλή καταχώριση")
    timeline = send(tab, "Η καταχώριση ακυρώθηκε.", "referral-voided")
    assert "Ακύρωση" in timeline
    assert last not in work_list(tab, "Παραπομπές χωρίς απάντηση", **{"Χωρίς απάντηση πάνω από (ημέρες)": "0"})

    # Her open cases: this person, with the request she reopened; the person's page links every entry.
    assert last in work_list(tab, "Οι υποθέσεις μου")
    tab.go(f"/t/sofades/people/{person}")
    listed = page.locator("main").inner_html()
    for segment, entry in (("requests", request), ("referrals", referral), ("home-visits", visit)):
        assert f"/t/sofades/{segment}/{entry}" in listed
    tab.accessible("person-at-the-end-of-the-day")
    tab.shot("person-at-the-end-of-the-day")

    # At the end of the day she hands the case to a colleague of the centre, with a reason.
    page.get_by_role("link", name=re.compile("Υπεύθυνος|υπεύθυν")).first.click()
    page.wait_for_url(re.compile(rf"/t/sofades/people/{person}/responsible"))
    page.get_by_label("Νέος/α υπεύθυνος/η").select_option(
        label=f"{COLLEAGUE.full_name} · Κέντρο Κοινότητας Δήμου Σοφάδων"
    )
    page.get_by_label("Αιτιολογία").fill("Άδεια από αύριο")
    page.get_by_role("button", name="Ανάθεση").click()
    expect(page.get_by_role("status")).to_be_visible()
    tab.accessible("handed-over")
    assert last not in work_list(tab, "Οι υποθέσεις μου")  # no longer hers
    sign_out(tab)
    sign_in_as(tab, COLLEAGUE)
    assert last in work_list(tab, "Οι υποθέσεις μου")  # it appears in the receiving worker's list
    tab.go(f"/t/sofades/people/{person}/responsible")
    expect(page.locator("#responsible-now")).to_contain_text(str(COLLEAGUE.full_name))
    expect(page.get_by_text("Άδεια από αύριο")).to_be_visible()


def test_a_coordinators_day_dashboard_caseload_lists_and_a_transfer_to_the_roma_branch(tab: Tab) -> None:
    staff(tab.site)
    page, last = tab.page, surname()
    tab.sign_in("caseworker")
    tab.go("/home")
    person = register(tab, "Σταυρούλα", last)
    new_entry(
        tab, person, "Νέα παραπομπή", {"Φορέας παραπομπής": "Μονάδα Ψυχικής Υγείας"}, "Η παραπομπή καταχωρίστηκε."
    )
    sign_out(tab)

    tab.sign_in("coordinator")
    assert NAMES["coordinator"] in page.locator("header").inner_text()
    tab.go("/t/sofades/dashboard")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Σοφάδων")
    tab.accessible("dashboard")
    tab.shot("dashboard")
    page.get_by_role("link", name=re.compile("^Τρίμηνο")).click()  # a preset: the quarter of the month shown
    expect(page.get_by_role("link", name=re.compile("^Τρίμηνο"))).to_have_attribute("aria-current", "page")
    assert re.search(r"\d{2}/\d{2}/\d{4} – \d{2}/\d{2}/\d{4}", page.locator(".period-shown").inner_text())
    tab.accessible("dashboard-quarter")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="CSV (Excel)").click()
    csv = downloading.value.path().read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: a Greek Excel opens it in Greek
    assert ";" in csv.decode("utf-8-sig").splitlines()[0]

    # The caseload's counts lead to the cases behind them.
    tab.go("/t/sofades/caseload")
    tab.accessible("caseload")
    tab.shot("caseload")
    page.locator("main table a").first.click()
    page.wait_for_url(re.compile(r"/t/sofades/work\?"))
    tab.accessible("caseload-list")

    # Every worker's referrals awaiting an answer: this one is the caseworker's.
    page.get_by_role("link", name=re.compile("^Οι εργασίες μου")).click()
    page.get_by_role("link", name=re.compile("^Παραπομπές χωρίς απάντηση")).click()
    page.get_by_label("Υπεύθυνος/η").select_option(label="Όλοι")
    page.get_by_label("Χωρίς απάντηση πάνω από (ημέρες)").fill("0")
    page.get_by_role("button", name="Εμφάνιση").click()
    expect(page.locator("tbody")).to_contain_text(last)
    tab.accessible("coordinator-referrals")

    # She gives the case to the Roma branch's mediator, with a reason.
    tab.go(f"/t/sofades/people/{person}/responsible")
    expect(page.locator("#responsible-now")).to_contain_text(NAMES["caseworker"])
    page.get_by_label("Νέος/α υπεύθυνος/η").select_option(label=f"{MEDIATOR.full_name} · Παράρτημα Ρομά Δήμου Σοφάδων")
    page.get_by_label("Αιτιολογία").fill("Η οικογένεια εξυπηρετείται από το Παράρτημα")
    page.get_by_role("button", name="Ανάθεση").click()
    expect(page.get_by_role("status")).to_have_text("Η υπόθεση ανατέθηκε.")
    expect(page.locator("#responsible-now")).to_contain_text(f"{MEDIATOR.full_name}, Παράρτημα Ρομά")
    tab.accessible("transferred")
    sign_out(tab)

    # The mediator finds her in her list; the centre's caseworker no longer finds her anywhere.
    sign_in_as(tab, MEDIATOR)
    assert last in work_list(tab, "Οι υποθέσεις μου")
    page.locator("tbody").get_by_role("link", name=re.compile(last)).first.click()
    page.wait_for_url(re.compile(rf"/t/sofades/people/{person}$"))
    tab.accessible("mediator-person")
    sign_out(tab)
    tab.sign_in("caseworker")
    assert tab.go(f"/t/sofades/people/{person}").status == 404
    tab.go("/t/sofades/people")
    page.get_by_label("Επώνυμο, ή όνομα και επώνυμο").fill(last)
    page.get_by_role("button", name="Αναζήτηση").click()
    expect(page.get_by_text("Δεν βρέθηκε κανείς.")).to_be_visible()
    assert "Παράρτημα" not in page.locator("main").inner_text()


def test_an_auditors_day_reads_entries_and_their_timelines_without_names_or_steps(tab: Tab) -> None:
    staff(tab.site)
    page, last = tab.page, surname()
    tab.sign_in("caseworker")
    tab.go("/home")
    person = register(tab, "Ξανθή", last)
    new_entry(tab, person, "Νέο αίτημα", {"Κατηγορία": "Επίδομα Στέγασης"}, "Το αίτημα καταχωρίστηκε.")
    request = open_entry(tab, person, "requests", "Επίδομα Στέγασης")
    sign_out(tab)

    tab.sign_in("auditor")
    tab.go("/t/sofades/audit")
    tab.accessible("audit")
    tab.shot("audit")
    tab.go(f"/t/sofades/requests/{request}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Επίδομα Στέγασης")
    text = page.locator("main").inner_text()
    assert last not in text  # an auditor without clearance reads no names
    assert "Ιστορικό" in text  # the timeline, pseudonymised
    assert page.get_by_role("link", name="Διόρθωση στοιχείων").count() == 0  # and takes no step
    assert page.locator("main form[method=post]").count() == 0
    tab.accessible("auditor-request")
    tab.shot("auditor-request")
    assert tab.go(f"/t/sofades/requests/{request}/amend").status in (403, 404)
    assert tab.go("/t/sofades/work").status == 403
    assert not page.get_by_role("link", name=re.compile("^Οι εργασίες μου")).count()


def test_a_regional_analysts_day_reads_her_regions_figures_and_nothing_of_a_municipalitys_cases(tab: Tab) -> None:
    page = tab.page
    tab.sign_in("analyst")
    assert page.url == tab.site.url + "/r/thessaly/dashboard"
    tab.accessible("region")
    tab.shot("region")
    figures = " ".join(page.locator("main table").all_inner_texts())
    assert figures
    assert not re.search(r"\d{4}-\d{2}\b", figures)  # the figures' months in Greek, not codes
    for path in ("/t/sofades/work", "/t/sofades/people", "/t/sofades/dashboard", "/r/central-macedonia/dashboard"):
        assert tab.go(path).status in (403, 404), path
    assert re.search(UUID, page.locator("main").inner_html()) is None  # no entry of anyone's on a refusal
