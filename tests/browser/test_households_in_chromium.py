"""Households in a real browser (issue 23): a caseworker builds a household of three from the pages (the
head's page, then members found by name on the household's page), sees it on each member's page, and
axe-core finds nothing on the way."""

from __future__ import annotations

import random
import re

from playwright.sync_api import expect

from tests.browser.conftest import Tab
from tests.conftest import intake

LETTERS = "αβγδεζηθικλμνξοπρστυφχψω"


def registered(tab: Tab, surname: str) -> str:
    """A person of the centre, registered through the service (the intake page has its own tests)."""
    command = intake(personal__amka=None, personal__last_name=surname, structure="centre")
    return str(tab.site.kentra.casework("sofades").execute(command).entry_id)


def add_member(tab: Tab, surname: str, relation: str) -> None:
    page = tab.page
    page.get_by_label("Αναζήτηση προσώπου με το επώνυμο").fill(surname)
    page.locator("#member-search").click()
    results = page.locator("#member-results")
    expect(results).to_contain_text(surname)
    results.get_by_label("Σχέση με τον/την υπεύθυνο/η").select_option(label=relation)
    results.get_by_role("button", name="Προσθήκη").click()
    expect(page.get_by_role("status")).to_have_text("Το μέλος προστέθηκε.")


def test_a_caseworker_builds_a_household_of_three_on_the_pages(tab: Tab) -> None:
    family = "Νοικοκυρ" + "".join(random.choices(LETTERS, k=6))
    head, spouse, child = (registered(tab, family + end) for end in ("ίδης", "ίδου", "ιδάκης"))
    page = tab.page
    tab.sign_in("caseworker")
    tab.go(f"/t/sofades/people/{head}")
    expect(page.locator("#household-none")).to_have_text("Δεν ανήκει σε νοικοκυριό.")
    tab.accessible("person-no-household")
    page.get_by_role("button", name="Δημιουργία νοικοκυριού με υπεύθυνο/η αυτό το πρόσωπο").click()
    expect(page.get_by_role("status")).to_have_text("Το νοικοκυριό δημιουργήθηκε.")
    expect(page.locator("#household-size")).to_contain_text("Μέλη: 1")

    page.get_by_role("link", name="Προσθήκη μέλους").click()
    page.wait_for_url(re.compile(r"/t/sofades/households/[0-9a-f-]{36}"))
    add_member(tab, family + "ίδου", "Σύζυγος / σύντροφος")
    add_member(tab, family + "ιδάκης", "Τέκνο")
    expect(page.locator("#household-size")).to_have_text("3")
    members = page.locator("#household-members tbody tr")
    expect(members).to_have_count(3)
    expect(members.nth(0)).to_contain_text("Υπεύθυνος/η νοικοκυριού")
    tab.accessible("household-of-three")
    tab.shot("household-of-three")

    for member in (spouse, child):
        tab.go(f"/t/sofades/people/{member}")
        expect(page.locator("#household-size")).to_contain_text("Μέλη: 3")
        expect(page.locator("#household-members")).to_contain_text(family + "ίδης")  # the head, by name
    expect(page.locator("#household-members")).to_contain_text("Τέκνο")
    tab.accessible("member-page")
    tab.shot("member-page")
