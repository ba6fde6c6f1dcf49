"""The municipality's own catalogue in Debian's Chromium (issue 23): a coordinator adds a local request
category on the catalogue page, a caseworker records a request in it, and the request's page says the
local label; the label is shown as text, never run; a caseworker is offered no add form."""

from __future__ import annotations

import re
from typing import Any
from uuid import uuid4

from playwright.sync_api import expect

from tests.browser.conftest import Site, Tab
from tests.browser.test_entries_in_chromium import ENTRY
from tests.browser.test_pages_in_chromium import register


def test_a_coordinator_adds_a_local_category_and_a_caseworker_records_a_request_in_it(
    tab: Tab, site: Site, browser: Any
) -> None:
    code = f"local_firewood_{uuid4().hex[:8]}"
    label = f"Καυσόξυλα <script>alert(1)</script> {code[-4:]}"
    page = tab.page
    tab.sign_in("coordinator")
    page.get_by_role("link", name="Κατάλογος του δήμου").click()
    page.wait_for_url(re.compile(r"/t/sofades/catalogue$"))
    tab.accessible("catalogue")
    page.get_by_label("Είδος").select_option("request_category")
    page.get_by_label("Τοπικός κωδικός").fill(code)
    page.get_by_label("Ονομασία (ελληνικά)").fill(label)
    page.get_by_label("Ονομασία (αγγλικά)").fill("Winter firewood")
    page.get_by_label("Εθνικός κωδικός στον οποίο μετρά").select_option("food_aid_teba")
    page.get_by_role("button", name="Προσθήκη").click()
    expect(page.get_by_role("status")).to_have_text("Η τοπική καταχώριση προστέθηκε.")
    row = page.locator(f'tr[data-code="{code}"]')
    expect(row).to_contain_text(label)  # as text: the script is not run, nor made an element
    assert page.locator("main script").count() == 0
    expect(row).to_contain_text("ΤΕΒΑ")
    tab.accessible("catalogue-added")
    tab.shot("catalogue-added")

    context = browser.new_context(locale="el-GR", viewport={"width": 1280, "height": 900})
    worker = Tab(site, context.new_page(), "caseworker-" + tab.test_name)
    try:
        worker.sign_in("caseworker")
        worker.go("/t/sofades/catalogue")
        expect(worker.page.get_by_role("button", name="Προσθήκη")).to_have_count(0)
        expect(worker.page.locator(f'tr[data-code="{code}"]')).to_contain_text(label)
        worker.go("/home")
        person = register(worker, "Σταυρούλα", "Μπαλτά")
        worker.page.get_by_role("link", name="Νέο αίτημα").click()
        worker.page.get_by_label("Κατηγορία").select_option(code)
        worker.page.get_by_role("button", name="Καταχώριση").click()
        worker.page.wait_for_url(re.compile(rf"/t/sofades/people/{person}"))
        worker.page.get_by_role("link", name=label).first.click()
        worker.page.wait_for_url(re.compile(rf"/t/sofades/requests/{ENTRY}$"))
        assert worker.page.get_by_role("heading", level=1).inner_text() == f"Αίτημα: {label}"
        facts = worker.page.locator("main dl").first.inner_text()
        assert "Τοπική κατηγορία" in facts
        assert "ΤΕΒΑ" in facts  # the national category it counts under, beside it
        worker.accessible("request-in-local-category")
        worker.shot("request-in-local-category")
    finally:
        context.close()


def add_entry(tab: Tab, kind: str, code: str, label: str, national: str) -> None:
    page = tab.page
    page.get_by_label("Είδος").select_option(kind)
    page.get_by_label("Τοπικός κωδικός").fill(code)
    page.get_by_label("Ονομασία (ελληνικά)").fill(label)
    page.get_by_label("Ονομασία (αγγλικά)").fill(label)
    page.get_by_label("Εθνικός κωδικός στον οποίο μετρά").select_option(national)
    page.get_by_role("button", name="Προσθήκη").click()
    expect(page.get_by_role("status")).to_have_text("Η τοπική καταχώριση προστέθηκε.")


def test_a_retired_local_activity_kind_is_no_longer_offered_and_an_active_one_is(tab: Tab) -> None:
    kept, retired = f"local_choir_{uuid4().hex[:8]}", f"local_old_{uuid4().hex[:8]}"
    page = tab.page
    tab.sign_in("coordinator")
    tab.go("/t/sofades/catalogue")
    add_entry(tab, "activity_kind", kept, "Χορωδία ΚΑΠΗ", "community_event")
    add_entry(tab, "activity_kind", retired, "Παλιά δράση", "networking_meeting")
    page.locator(f'tr[data-code="{retired}"]').get_by_role("button", name=re.compile("^Απόσυρση")).click()
    expect(page.get_by_role("status")).to_contain_text("αποσύρθηκε")
    expect(page.locator(f'tr[data-code="{retired}"]')).to_contain_text("Αποσύρθηκε")
    tab.accessible("catalogue-retired")
    tab.go("/t/sofades/record/activity")
    options = page.get_by_label("Είδος δράσης").locator("option").evaluate_all("os => os.map(o => o.value)")
    assert kept in options
    assert retired not in options
    assert "community_event" in options  # the national kinds stay offered
