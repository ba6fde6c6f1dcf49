"""The worklists in a real browser: a caseworker opens her list from the header, filters, sorts, pages
and follows a row to the person; axe-core finds nothing on the page."""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import UUID

from playwright.sync_api import expect

from tests.browser.conftest import USERS, Tab, today
from tests.conftest import command, intake

REFERRALS = 27  # more than a page (25)


def seed(tab: Tab) -> UUID:
    """A person of the caseworker's with many referrals unanswered, sent on different days, to OPEKA
    and one to DYPA (recorded as the API would, before the browser opens)."""
    casework = tab.site.kentra.casework("sofades")
    worker, day = USERS["caseworker"].username, today()
    registered = casework.execute(
        intake(
            recorded_by=worker,
            occurred_on=(day - timedelta(days=90)).isoformat(),
            personal__last_name="Λιστοπούλου",
            personal__amka=None,
        )
    )
    person = registered.entry_id
    assert person is not None
    for n in range(REFERRALS):
        casework.execute(
            command(
                command="send_referral",
                recorded_by=worker,
                beneficiary_id=str(person),
                destination="dypa" if n == 0 else "opeka",
                structure="centre",
                occurred_on=(day - timedelta(days=20 + n)).isoformat(),
            )
        )
    return person


def test_a_caseworker_filters_sorts_and_pages_her_referrals_and_opens_the_person(tab: Tab) -> None:
    person = seed(tab)
    tab.sign_in("caseworker")
    page = tab.page
    page.get_by_role("link", name=re.compile("^Οι εργασίες μου")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Οι εργασίες μου")
    page.get_by_role("link", name=re.compile("^Παραπομπές χωρίς απάντηση")).click()
    expect(page.get_by_role("heading", name="Παραπομπές χωρίς απάντηση")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(f"Σύνολο: {REFERRALS}")
    tab.accessible("referrals")
    tab.shot("referrals")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(25)
    oldest = (today() - timedelta(days=20 + REFERRALS - 1)).strftime("%d/%m/%Y")
    expect(rows.first).to_contain_text(oldest)  # the longest wait first
    page.get_by_role("link", name="Επόμενη").click()
    expect(page.get_by_text("Σελίδα 2 από 2")).to_be_visible()
    expect(rows).to_have_count(REFERRALS - 25)
    page.get_by_role("link", name=re.compile("^Ημέρες")).click()  # the same key again: the other way
    expect(rows.first).to_contain_text((today() - timedelta(days=20)).strftime("%d/%m/%Y"))
    page.get_by_label("Φορέας").select_option(label="ΔΥΠΑ")
    page.get_by_role("button", name="Εμφάνιση").click()
    expect(page.get_by_role("status")).to_have_text("Σύνολο: 1")
    expect(rows.first).to_contain_text("ΔΥΠΑ")
    page.get_by_label("Χωρίς απάντηση πάνω από (ημέρες)").fill("45")
    page.get_by_role("button", name="Εμφάνιση").click()
    expect(page.get_by_text("Τίποτα σε αυτή τη λίστα.")).to_be_visible()
    page.get_by_label("Χωρίς απάντηση πάνω από (ημέρες)").fill("15")
    page.get_by_role("button", name="Εμφάνιση").click()
    page.get_by_role("link", name=re.compile("Λιστοπούλου")).first.click()
    page.wait_for_url(re.compile(f"/t/sofades/people/{person}"))
    expect(page.get_by_text("Λιστοπούλου").first).to_be_visible()
