"""A caseworker's day on the entries' pages in Debian's Chromium: a request's status at the agency, a
referral's acceptance and outcome, a follow-up done, a correction and a void, each seen on the
entry's page and in its timeline, and axe-core finding nothing on any page visited."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from playwright.sync_api import expect

from domain.clock import athens_today
from tests.browser.conftest import Tab
from tests.browser.test_pages_in_chromium import register

ENTRY = r"[0-9a-f-]{36}"


def fill_date(field: Any, day: date) -> None:
    """Type a date as the input asks for it: ISO in a date picker, dd/mm/yyyy in a text box."""
    field.fill(day.isoformat() if field.get_attribute("type") == "date" else f"{day:%d/%m/%Y}")


def open_entry(tab: Tab, person: str, segment: str, what: str) -> str:
    """From the person's page, open the entry listed as ``what``; its id."""
    tab.go(f"/t/sofades/people/{person}")
    tab.page.get_by_role("link", name=what).first.click()
    tab.page.wait_for_url(re.compile(rf"/t/sofades/{segment}/{ENTRY}$"))
    return str(tab.page.url).rsplit("/", 1)[-1]


def take(tab: Tab, step: str, name: str) -> None:
    """Follow a step's link on the entry's page; the form it opens is checked by axe-core."""
    tab.page.get_by_role("link", name=step, exact=True).click()
    expect(tab.page.get_by_role("button", name="Καταχώριση")).to_be_visible()
    tab.accessible(f"{name}-form")


def send(tab: Tab, notice: str, name: str) -> str:
    """Send the form; back on the entry's page, its notice, and the page checked and kept."""
    tab.page.get_by_role("button", name="Καταχώριση").click()
    expect(tab.page.get_by_role("status")).to_have_text(notice)
    tab.accessible(name)
    tab.shot(name)
    return str(tab.page.locator("#timeline ~ ol").inner_text())


def test_a_caseworker_takes_every_step_of_her_day_on_the_entries_pages(tab: Tab) -> None:
    page = tab.page
    tab.sign_in("caseworker")
    person = register(tab, "Δήμητρα", "Αλεξίου")
    tab.accessible("person")

    page.get_by_role("link", name="Νέο αίτημα").click()
    page.get_by_label("Κατηγορία").select_option(label="Επίδομα Στέγασης")
    page.get_by_role("button", name="Καταχώριση").click()
    page.wait_for_url(re.compile(rf"/t/sofades/people/{person}"))
    request = open_entry(tab, person, "requests", "Επίδομα Στέγασης")
    assert page.get_by_role("heading", level=1).inner_text() == "Αίτημα: Επίδομα Στέγασης"
    tab.accessible("request")
    take(tab, "Κατάσταση στον φορέα", "agency-status")
    page.get_by_label("Φορέας").select_option(label="ΟΠΕΚΑ")
    page.get_by_label("Αριθμός αίτησης στον φορέα").fill("ΟΠΕΚΑ/2026/778")
    page.get_by_label("Κατάσταση στον φορέα").select_option(label="Υποβλήθηκε")
    timeline = send(tab, "Η κατάσταση στον φορέα καταχωρίστηκε.", "request-with-status")
    assert "ΟΠΕΚΑ/2026/778" in page.locator("main dl").first.inner_text()
    assert "Υποβλήθηκε" in timeline

    take(tab, "Διόρθωση στοιχείων", "amend")
    page.get_by_label("Κατηγορία").select_option(label="Επίδομα Γέννησης")
    page.get_by_label("Λόγος").select_option(label="Λάθος πληκτρολόγησης")
    page.get_by_label("Αιτιολόγηση").fill("Επιλέχθηκε λάθος επίδομα")
    timeline = send(tab, "Η διόρθωση καταχωρίστηκε.", "request-amended")
    assert "Επίδομα Στέγασης → Επίδομα Γέννησης" in timeline
    assert "Επιλέχθηκε λάθος επίδομα" in timeline
    assert page.get_by_role("heading", level=1).inner_text() == "Αίτημα: Επίδομα Γέννησης"

    tab.go(f"/t/sofades/people/{person}")
    page.get_by_role("link", name="Νέα παραπομπή").click()
    page.get_by_label("Φορέας παραπομπής").select_option(label="Μονάδα Ψυχικής Υγείας")
    page.get_by_role("button", name="Καταχώριση").click()
    page.wait_for_url(re.compile(rf"/t/sofades/people/{person}"))
    referral = open_entry(tab, person, "referrals", "Μονάδα Ψυχικής Υγείας")
    take(tab, "Αποδοχή από τον φορέα", "accept")
    timeline = send(tab, "Η αποδοχή της παραπομπής καταχωρίστηκε.", "referral-accepted")
    assert "Έγινε δεκτή" in timeline
    take(tab, "Έκβαση παραπομπής", "outcome")
    page.get_by_label("Έκβαση").select_option(label="Εξυπηρετήθηκε")
    page.get_by_label("Σημειώσεις").fill("Πρώτο ραντεβού έγινε")
    timeline = send(tab, "Η έκβαση της παραπομπής καταχωρίστηκε.", "referral-outcome")
    assert "Εξυπηρετήθηκε" in timeline
    assert "Ολοκληρώθηκε" in page.locator("main dl").first.inner_text()
    assert page.get_by_role("link", name="Έκβαση παραπομπής").count() == 0  # only the steps its state allows
    take(tab, "Ακύρωση καταχώρισης", "void")
    page.get_by_label("Λόγος").select_option(label="Διπλή καταχώριση")
    timeline = send(tab, "Η καταχώριση ακυρώθηκε.", "referral-voided")
    assert "Ακύρωση" in timeline
    assert "Η καταχώριση ακυρώθηκε: μένει στο ιστορικό" in page.locator("main").inner_text()
    assert page.get_by_role("link", name="Διόρθωση στοιχείων").count() == 0

    tab.go(f"/t/sofades/people/{person}")
    page.get_by_role("link", name="Κατ' οίκον επίσκεψη").click()
    page.get_by_label("Σκοπός επίσκεψης").select_option(label="Διερεύνηση συνθηκών διαβίωσης")
    fill_date(page.get_by_label("Επανεπίσκεψη έως"), athens_today())
    page.get_by_role("button", name="Καταχώριση").click()
    page.wait_for_url(re.compile(rf"/t/sofades/people/{person}"))
    visit = open_entry(tab, person, "home-visits", "Διερεύνηση συνθηκών διαβίωσης")
    take(tab, "Επανεπίσκεψη έγινε", "follow-up")
    page.get_by_label("Διαπιστώσεις της επανεπίσκεψης").fill("Η θέρμανση αποκαταστάθηκε")
    timeline = send(tab, "Η επανεπίσκεψη καταχωρίστηκε.", "follow-up-done")
    assert "Η θέρμανση αποκαταστάθηκε" in timeline
    assert "Επανεπίσκεψη έγινε στις" in page.locator("main dl").first.inner_text()

    tab.go(f"/t/sofades/people/{person}")
    listed = page.locator("main").inner_html()
    for segment, entry in (("requests", request), ("referrals", referral), ("home-visits", visit)):
        assert f"/t/sofades/{segment}/{entry}" in listed  # the person's page links to every entry
    tab.accessible("person-with-entries")
    tab.shot("person-with-entries")
