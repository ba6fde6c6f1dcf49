"""The pages in a real browser: each role signs in, a caseworker records a request and the dashboard
changes, keyboard alone is enough, and axe-core finds no WCAG 2.1 AA problem on any page visited."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import USERS, Tab

HOUSING = "Επίδομα Στέγασης"


def housing_requests(tab: Tab) -> int:
    """The dashboard's count of housing-benefit requests (no row: none)."""
    row = tab.page.locator("tr", has=tab.page.locator("th", has_text=HOUSING))
    return int(row.locator("td").first.inner_text()) if row.count() else 0


def register(tab: Tab, first: str, last: str) -> str:
    """Find nobody, then register the person through the intake form; the person's page id."""
    page = tab.page
    page.get_by_role("link", name="Αναζήτηση ωφελούμενου").first.click()
    page.get_by_label("Επώνυμο, ή όνομα και επώνυμο").fill(f"{first} {last}")
    page.get_by_role("button", name="Αναζήτηση").click()
    expect(page.get_by_text("Δεν βρέθηκε κανείς.")).to_be_visible()  # waits for the answer, as a person would
    page.get_by_role("link", name="Νέα εισαγωγή ωφελούμενου").click()
    assert page.get_by_label(re.compile(r"^Όνομα(\s|$)")).input_value() == first  # carried over from the search
    page.get_by_role("textbox", name="Ημερομηνία γέννησης").fill("11/02/1983")
    page.get_by_label("Φύλο").select_option("female")
    page.get_by_label("Κατάσταση απασχόλησης").select_option("long_term_unemployed")
    page.get_by_label("Επίπεδο εκπαίδευσης").select_option("2")
    page.get_by_label("Σύνθεση νοικοκυριού").select_option("single_parent")
    page.get_by_label("Περιοχή κατοικίας").select_option("rural")
    page.get_by_label("Άτομο με αναπηρία").select_option("no")
    page.get_by_label("Μέλος μειονότητας (και Ρομά)").select_option("refused")
    page.get_by_label("Άλλη μειονεκτική θέση").select_option("no")
    page.get_by_role("button", name="Καταχώριση").click()
    page.wait_for_url(re.compile(r"/t/sofades/people/[0-9a-f-]{36}"))
    assert page.get_by_role("status").inner_text() == "Η εισαγωγή καταχωρίστηκε."
    return str(page.url).split("/")[-1].split("?")[0]


def test_each_role_signs_in_to_its_own_pages_which_meet_wcag_21_aa(tab: Tab) -> None:
    tab.go("/")
    assert tab.page.locator("html").get_attribute("lang") == "el"
    tab.accessible("login")
    tab.shot("login")
    landing = {
        "coordinator": ("/home", ["/t/sofades/dashboard", "/t/sofades/caseload", "/t/sofades/people"]),
        "caseworker": ("/home", ["/t/sofades/people", "/t/sofades/intake", "/t/sofades/record/activity"]),
        "analyst": ("/r/thessaly/dashboard", ["/r/thessaly/dashboard"]),
        "auditor": ("/home", ["/t/sofades/audit", "/t/sofades/audit?from=2024-01-01&to=2024-12-31"]),
    }
    for role, (home, pages) in landing.items():
        tab.sign_in(role)
        assert tab.page.url == tab.site.url + home, role
        known = tab.site.kentra.accounts.principal(USERS[role].username)
        assert known is not None
        assert known.display_name in tab.page.locator("header").inner_text()  # by full name once she has one
        tab.shot(f"{role}-home")
        for number, path in enumerate(pages):
            assert tab.go(path).status == 200, path
            step = f"{role}-{number}-{path.strip('/').split('?')[0].replace('/', '-')}"
            tab.accessible(step)
            tab.shot(step)
        tab.page.get_by_role("button", name="Αποσύνδεση").click()
        tab.page.wait_for_url(tab.site.url + "/")
    tab.sign_in("analyst")
    assert tab.go("/t/sofades/dashboard").status == 403  # an analyst sees aggregates of her region only


def test_a_caseworker_records_a_request_and_sees_the_dashboard_change(tab: Tab) -> None:
    page = tab.page
    tab.sign_in("caseworker")
    tab.go("/t/sofades/dashboard")
    before = housing_requests(tab)
    tab.shot("dashboard-before")
    tab.go("/home")
    person = register(tab, "Αγγελική", "Ζαφειρίου")
    tab.shot("person-registered")
    page.get_by_role("link", name="Νέο αίτημα").click()
    page.get_by_role("button", name="Καταχώριση").click()  # no category chosen
    summary = page.get_by_role("alert")
    assert "Διορθώστε τα παρακάτω και στείλτε ξανά:" in summary.inner_text()
    assert "Κατηγορία: Συμπληρώστε αυτό το πεδίο." in summary.inner_text()
    tab.accessible("request-with-errors")
    tab.shot("request-with-errors")
    page.get_by_role("link", name="Κατηγορία: Συμπληρώστε αυτό το πεδίο.").click()
    assert page.evaluate("document.activeElement.id") == "f-category"  # the summary leads to the field
    page.get_by_label("Κατηγορία").select_option(label=HOUSING)
    page.get_by_label("Σημειώσεις").fill("Αίτηση για ενοίκιο")
    page.get_by_role("button", name="Καταχώριση").click()
    page.wait_for_url(re.compile(rf"/t/sofades/people/{person}\?recorded=request"))
    assert page.get_by_role("status").inner_text() == "Το αίτημα καταχωρίστηκε."
    assert page.locator("table").first.inner_text().count(HOUSING) == 1
    tab.accessible("person-with-request")
    tab.shot("person-with-request")
    tab.go("/t/sofades/dashboard")
    assert housing_requests(tab) == before + 1
    tab.shot("dashboard-after")
    page.get_by_role("button", name="Αποσύνδεση").click()
    tab.sign_in("coordinator")
    tab.go("/t/sofades/dashboard")
    assert housing_requests(tab) >= before + 1  # the coordinator sees every structure's


def test_a_likely_duplicate_is_shown_in_the_browser_before_a_second_registration(tab: Tab) -> None:
    page = tab.page
    tab.sign_in("caseworker")
    first = register(tab, "Σοφία", "Καραγιάννη")
    tab.go("/t/sofades/intake?name=Σοφία Καραγιάννη")
    page.get_by_role("textbox", name="Ημερομηνία γέννησης").fill("11/02/1983")
    for label, value in (
        ("Φύλο", "female"),
        ("Κατάσταση απασχόλησης", "employed"),
        ("Επίπεδο εκπαίδευσης", "3"),
        ("Σύνθεση νοικοκυριού", "lives_alone"),
        ("Περιοχή κατοικίας", "urban"),
        ("Άτομο με αναπηρία", "no"),
        ("Μέλος μειονότητας (και Ρομά)", "no"),
        ("Άλλη μειονεκτική θέση", "no"),
    ):
        page.get_by_label(label).select_option(value)
    page.get_by_role("button", name="Καταχώριση").click()
    warning = page.get_by_role("alert")
    assert "Πιθανή διπλή καταχώριση" in warning.inner_text()
    assert warning.get_by_role("link", name="Σοφία Καραγιάννη").get_attribute("href") == f"/t/sofades/people/{first}"
    tab.accessible("likely-duplicate")
    tab.shot("likely-duplicate")
    warning.get_by_role("link", name="Σοφία Καραγιάννη").click()
    assert page.url.endswith(f"/t/sofades/people/{first}")  # the caseworker opens the existing record


def test_keyboard_alone_signs_in_with_a_visible_focus_and_switches_language(tab: Tab) -> None:
    page = tab.page
    tab.go("/")
    page.keyboard.press("Tab")
    focused: Any = page.evaluate("({cls: document.activeElement.className, text: document.activeElement.innerText})")
    assert focused == {"cls": "skip", "text": "Μετάβαση στο περιεχόμενο"}  # the skip link comes first
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # a visible focus indicator
    for _ in range(10):
        if page.evaluate("document.activeElement.id") == "username":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type(USERS["coordinator"].username)
    page.keyboard.press("Tab")
    page.keyboard.type("a long browser-test password")
    page.keyboard.press("Enter")
    page.wait_for_url(tab.site.url + "/home")
    page.get_by_role("link", name="English").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Home"
    tab.shot("home-in-english")
