"""ESF participation through the pages only, in Debian's Chromium (issue 21): a caseworker records a
Sofades 2024 return's entry into the 2021-2027 operation, a change of situation and leaving; the
six-month follow-up shows on her worklist once due, she records it and the list empties. axe-core
(desktop and phone) runs on every page visited."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect

from domain.clock import athens_today
from domain.esf import follow_up_due
from tests.browser.conftest import Tab
from tests.browser.test_day_of_each_role import due_today, surname, work_list

ESF_LIST = "Παρακολούθηση 6 μηνών μετά την έξοδο"
LEFT_ON = date(2025, 3, 3)  # more than six months ago: the follow-up is due


def registered_in_2021(tab: Tab, last: str) -> str:
    """A person registered through the intake form, dated 10/03/2021 (under the 2014-2020 operation)."""
    page = tab.page
    page.get_by_role("link", name="Αναζήτηση ωφελούμενου").first.click()
    page.get_by_label("Επώνυμο, ή όνομα και επώνυμο").fill(f"Σταυρούλα {last}")
    page.get_by_role("button", name="Αναζήτηση").click()
    expect(page.get_by_text("Δεν βρέθηκε κανείς.")).to_be_visible()
    page.get_by_role("link", name="Νέα εισαγωγή ωφελούμενου").click()
    page.get_by_role("textbox", name="Ημερομηνία εισαγωγής").fill("10/03/2021")
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
    expect(page.locator("#esf-participation")).to_be_visible()
    tab.accessible("esf-person")
    return str(page.url).split("/")[-1].split("?")[0]


def step(tab: Tab, link: str, name: str) -> None:
    """Follow a step's link in the person's ESF block; its form is checked by axe-core."""
    # Each row's links name their operation (for a screen reader, out of the table too): the 2021-2027 one.
    tab.page.get_by_role("link", name=re.compile(f"^{link}.*2021-2027")).click()
    expect(tab.page.get_by_role("button", name="Καταχώριση")).to_be_visible()
    tab.accessible(f"{name}-form")


def sent(tab: Tab, notice: str, name: str) -> str:
    """Send the form; back on the person's page, its notice; the ESF block's text."""
    tab.page.get_by_role("button", name="Καταχώριση").click()
    expect(tab.page.get_by_role("status")).to_have_text(notice)
    tab.accessible(name)
    return str(tab.page.locator("#esf-participation ~ div").first.inner_text())


def test_a_caseworker_records_a_returns_participation_and_the_six_month_follow_up(tab: Tab) -> None:
    page, last = tab.page, surname()
    tab.sign_in("caseworker")
    person = registered_in_2021(tab, last)
    shown = str(page.locator("#esf-participation ~ div").first.inner_text())
    assert "5002786" in shown
    assert "Δεν έχει εισέλθει" in shown

    step(tab, "Είσοδος σε νέα πράξη", "esf-entry")
    page.get_by_label("Ημερομηνία εισόδου (πρώτη επαφή στην πράξη)").fill("12/03/2024")
    assert page.get_by_label("Κατάσταση απασχόλησης").input_value() == "long_term_unemployed"  # prefilled
    page.get_by_label("Άτομο με αναπηρία").select_option("no")
    page.get_by_label("Μέλος μειονότητας (και Ρομά)").select_option("refused")
    page.get_by_label("Άλλη μειονεκτική θέση").select_option("no")
    shown = sent(tab, "Η είσοδος στην πράξη καταχωρίστηκε.", "esf-entered")
    assert "12/03/2024 (επιστροφή)" in shown

    page.get_by_role("link", name="Αλλαγή κατάστασης").click()
    expect(page.get_by_text("δεν αλλάζει τα στοιχεία εισόδου", exact=False)).to_be_visible()
    tab.accessible("esf-situation-form")
    page.get_by_label("Ισχύει από (ημερομηνία αλλαγής)").fill("02/09/2024")
    page.get_by_label("Κατάσταση απασχόλησης").select_option("employed")
    sent(tab, "Η αλλαγή κατάστασης καταχωρίστηκε.", "esf-situation")

    step(tab, "Έξοδος από την πράξη", "esf-exit")
    page.get_by_label("Ημερομηνία εξόδου").fill(f"{LEFT_ON:%d/%m/%Y}")
    page.get_by_label("Αναζητά εργασία").check()
    page.get_by_label("Απασχολείται, και ως αυτοαπασχολούμενος/η").check()
    page.get_by_role("button", name="Καταχώριση").click()
    expect(page.get_by_role("alert")).to_contain_text("είτε αναζητά εργασία είτε απασχολείται")  # refused, in Greek
    assert page.get_by_label("Ημερομηνία εξόδου").input_value() == f"{LEFT_ON:%d/%m/%Y}"  # kept as typed
    tab.accessible("esf-exit-refused")
    page.get_by_label("Αναζητά εργασία").uncheck()
    shown = sent(tab, "Η έξοδος από την πράξη καταχωρίστηκε.", "esf-left")
    assert f"οφείλεται από {follow_up_due(LEFT_ON):%d/%m/%Y}" in shown

    before = due_today(tab)
    rows = work_list(tab, ESF_LIST)
    assert f"{last}" in rows
    assert before >= 1
    page.get_by_role("link", name=re.compile(last)).first.click()
    page.wait_for_url(re.compile(rf"/t/sofades/people/{person}"))
    step(tab, "Παρακολούθηση 6 μηνών", "esf-follow-up")
    page.get_by_label("Ημερομηνία παρακολούθησης").fill(f"{athens_today():%d/%m/%Y}")
    page.get_by_label("Απασχολείται, και ως αυτοαπασχολούμενος/η").check()
    shown = sent(tab, "Η παρακολούθηση 6 μηνών καταχωρίστηκε.", "esf-followed-up")
    assert "έγινε" in shown
    assert due_today(tab) == before - 1
    assert last not in work_list(tab, ESF_LIST)
