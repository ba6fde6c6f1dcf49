"""Case ownership in a real browser (issue 20): a coordinator gives a person's case to a caseworker
through the page, after a refused form that kept what she typed; axe-core finds nothing on the way."""

from __future__ import annotations

import re
from uuid import uuid4

from playwright.sync_api import expect

from services.access import Principal, Role
from tests.browser.conftest import PASSWORD, USERS, Site, Tab
from tests.browser.test_pages_in_chromium import register

RECEIVER = Principal(
    "b.caseworker2", Role.CASEWORKER, frozenset({"sofades"}), structure="centre", full_name="Γιώργος Τσιάρας"
)


def staff_with_names(site: Site) -> None:
    """The site's caseworker with her full name, and a second centre caseworker to receive the case."""
    site.kentra.accounts.set_full_name(USERS["caseworker"].username, "Μαρία Οικονόμου")
    if site.kentra.accounts.principal(RECEIVER.username) is None:
        site.kentra.accounts.add(RECEIVER, PASSWORD)


def test_a_coordinator_gives_a_case_to_a_caseworker_through_the_page(tab: Tab) -> None:
    staff_with_names(tab.site)
    page = tab.page
    tab.sign_in("caseworker")
    tab.go("/home")
    person = register(tab, "Ευτυχία", "Αναθέτη" + uuid4().hex[:6])
    page.get_by_role("button", name="Αποσύνδεση").click()
    page.wait_for_url(tab.site.url + "/")
    tab.sign_in("coordinator")
    tab.go(f"/t/sofades/people/{person}/responsible")
    expect(page.locator("#responsible-now")).to_contain_text("Μαρία Οικονόμου")  # who took the intake
    tab.accessible("responsible")
    tab.shot("responsible")

    page.get_by_label("Νέος/α υπεύθυνος/η").select_option(label="Γιώργος Τσιάρας · Κέντρο Κοινότητας Δήμου Σοφάδων")
    day = page.get_by_label("Ημερομηνία (ηη/μμ/εεεε)")
    typed = day.input_value()
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", typed), typed  # today, as dd/mm/yyyy whatever the locale
    page.get_by_role("button", name="Ανάθεση").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Αιτιολογία: Συμπληρώστε αυτό το πεδίο.")
    assert page.get_by_label("Νέος/α υπεύθυνος/η").input_value() == RECEIVER.username  # kept as chosen
    tab.accessible("responsible-refused")
    tab.shot("responsible-refused")

    page.get_by_label("Αιτιολογία").fill("Αναλαμβάνει τις υποθέσεις στέγασης")
    page.get_by_role("button", name="Ανάθεση").click()
    expect(page.get_by_role("status")).to_have_text("Η υπόθεση ανατέθηκε.")
    expect(page.locator("#responsible-now")).to_contain_text(
        f"Γιώργος Τσιάρας, Κέντρο Κοινότητας Δήμου Σοφάδων, από {typed}"
    )
    expect(page.get_by_text("Αναλαμβάνει τις υποθέσεις στέγασης")).to_be_visible()
    expect(page.get_by_role("button", name="Ανάθεση")).to_be_visible()  # a coordinator may give it again
    tab.accessible("responsible-given")
    tab.shot("responsible-given")
