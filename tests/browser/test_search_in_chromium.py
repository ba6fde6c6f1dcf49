"""A caseworker finds a person in Debian's Chromium through the pages: by the start of a Greek surname
typed in Latin letters, and by birth date; what the results show, and a refused short query."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from domain.identifiers import make_amka
from tests.browser.conftest import Tab
from tests.conftest import intake

BORN = date(1958, 6, 14)
AMKA = make_amka(BORN, 8181)


def registered(tab: Tab) -> str:
    """Αριστείδης Θεοδωρόπουλος of the centre (once per session's site); his id."""
    casework = tab.site.kentra.casework("sofades")
    personal = {"first_name": "Αριστείδης", "last_name": "Θεοδωρόπουλος", "birth_date": BORN.isoformat(), "amka": AMKA}
    command = intake("browser-search-theodoropoulos", personal=personal, structure="centre")
    return str(casework.execute(command).entry_id)


def test_a_caseworker_finds_a_greek_surname_typed_in_latin_letters_and_by_birth_date(tab: Tab) -> None:
    person = registered(tab)
    page = tab.page
    tab.sign_in("caseworker")
    page.get_by_role("link", name="Αναζήτηση ωφελούμενου").first.click()
    tab.accessible("search-form")

    page.get_by_label("Επώνυμο, ή όνομα και επώνυμο").fill("theodorop")
    page.get_by_role("button", name="Αναζήτηση").click()
    link = page.get_by_role("link", name="Αριστείδης Θεοδωρόπουλος")
    expect(link).to_be_visible()  # waits for the answer, as a person would
    assert "theodorop" not in page.url  # what was searched for is not in the address
    row = page.locator("tr", has=link)
    expect(row).to_contain_text("14/06/1958")
    expect(row).to_contain_text(f"{AMKA[:4]}•••••{AMKA[-2:]}")
    assert AMKA not in page.content()
    tab.accessible("search-results")
    tab.shot("search-results")

    page.get_by_label("Επώνυμο, ή όνομα και επώνυμο").fill("")
    page.get_by_label("Ημερομηνία γέννησης").fill("14/06/1958")
    page.get_by_role("button", name="Αναζήτηση").click()
    expect(page.get_by_role("link", name="Αριστείδης Θεοδωρόπουλος")).to_be_visible()
    page.get_by_role("link", name="Αριστείδης Θεοδωρόπουλος").click()
    page.wait_for_url(f"**/t/sofades/people/{person}")

    page.go_back()
    page.get_by_label("Ημερομηνία γέννησης").fill("")
    page.get_by_label("Επώνυμο, ή όνομα και επώνυμο").fill("Θε")
    page.get_by_role("button", name="Αναζήτηση").click()
    expect(page.get_by_role("alert")).to_have_text("Δώστε τουλάχιστον 3 γράμματα του επωνύμου.")
    expect(page.get_by_label("Επώνυμο, ή όνομα και επώνυμο")).to_have_value("Θε")  # kept as typed
    tab.accessible("search-refused")
