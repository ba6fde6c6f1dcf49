"""Record information and consent (issue 23) in Debian's Chromium: a caseworker records that a person
was informed, with the notice in force preselected; records a consent to sharing with an NGO, withdraws
it, and sends a referral to an NGO that asks for the consent and records it with the referral; axe-core
finds nothing on any page visited."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from domain.clock import athens_today
from tests.browser.conftest import Tab
from tests.browser.test_pages_in_chromium import register


def test_record_information_and_consent(tab: Tab) -> None:
    page = tab.page
    today = f"{athens_today():%d/%m/%Y}"
    tab.sign_in("caseworker")
    person = register(tab, "Αγλαΐα", "Καλλέργη")  # a surname no other browser test registers
    section = page.locator("#consent")
    expect(section.get_by_role("heading", name="Ενημέρωση και συναίνεση")).to_be_visible()
    expect(page.locator("#consent-informed")).to_have_text("Δεν έχει καταγραφεί ενημέρωση")
    expect(page.get_by_label("Έκδοση ενημερωτικού")).to_have_value("2018-05")  # the notice in force, preselected
    tab.accessible("person-not-informed")

    page.get_by_role("button", name="Καταγραφή ενημέρωσης", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Η ενημέρωση καταγράφηκε.")
    expect(page.locator("#consent-informed")).to_contain_text(today)
    expect(page.locator("#consent-informed")).to_contain_text("2018-05")

    page.get_by_label("Σκοπός").select_option(label="Διαβίβαση στοιχείων σε φορέα (παραπομπή)")
    page.get_by_label("Φορέας", exact=True).select_option(label="Μη κυβερνητική οργάνωση")
    page.get_by_label("Πώς δόθηκε").select_option(label="Υπογεγραμμένο έντυπο")
    page.get_by_role("button", name="Καταγραφή συναίνεσης", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Η συναίνεση καταγράφηκε.")
    consents = page.locator("#consents")
    expect(consents).to_contain_text("Μη κυβερνητική οργάνωση")
    expect(consents).to_contain_text("Ισχύει")
    tab.accessible("person-consented")
    tab.shot("consented")

    consents.get_by_role("button", name="Ανάκληση").click()
    expect(page.get_by_role("status")).to_have_text("Η ανάκληση της συναίνεσης καταγράφηκε.")
    expect(page.locator("#consents")).to_contain_text(f"Ανακλήθηκε στις {today}")

    # The consent withdrawn, a referral to an NGO asks for it again, and one submit records both.
    page.get_by_role("link", name="Νέα παραπομπή").click()
    page.get_by_label("Φορέας παραπομπής").select_option(label="Μη κυβερνητική οργάνωση")
    page.get_by_role("button", name="Καταχώριση").click()
    expect(page.get_by_text("Λείπει η συναίνεση").first).to_be_visible()
    tab.accessible("referral-needs-consent")
    page.get_by_label("Συναίνεση για διαβίβαση στον φορέα").select_option(label="Προφορικά, με καταγραφή")
    page.get_by_role("button", name="Καταχώριση").click()
    page.wait_for_url(re.compile(rf"/t/sofades/people/{person}\?recorded=referral"))
    expect(page.locator("#consents")).to_contain_text("Προφορικά, με καταγραφή")
    tab.accessible("person-referred-with-consent")
    tab.shot("referred-with-consent")
