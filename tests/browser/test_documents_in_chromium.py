"""Attach, view and download a document in Debian's Chromium (issue 23): on the person's page a
caseworker picks the kind, the date and the file, sees it listed, downloads it (the same bytes),
views a scan inline, and axe-core finds nothing on the page with the form and the list."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import Tab
from tests.browser.test_pages_in_chromium import register
from tests.unit.test_documents import PDF, PNG

FILENAME = "Εκκαθαριστικό 2023.pdf"


def attach(tab: Tab, kind: str, name: str, data: bytes, media_type: str) -> None:
    page = tab.page
    page.get_by_label("Είδος εγγράφου").select_option(label=kind)
    page.get_by_label("Ημερομηνία εγγράφου").fill("30/04/2024")
    page.get_by_label("Αρχείο (PDF, JPEG ή PNG)").set_input_files(
        files=[{"name": name, "mimeType": media_type, "buffer": data}]
    )
    page.get_by_role("button", name="Επισύναψη").click()
    expect(page.get_by_role("status")).to_have_text("Το έγγραφο επισυνάφθηκε.")


def test_a_caseworker_attaches_views_and_downloads_a_document(tab: Tab, tmp_path: Path) -> None:
    page = tab.page
    tab.sign_in("caseworker")
    register(tab, "Σοφία", "Μαργαρίτη")
    expect(page.get_by_text("Κανένα έγγραφο.")).to_be_visible()
    tab.accessible("person-without-documents")

    attach(tab, "Εκκαθαριστικό Ε1", FILENAME, PDF, "application/pdf")
    row = page.locator("#documents ~ .scroll table tbody tr").first
    expect(row).to_contain_text(FILENAME)
    expect(row).to_contain_text("Εκκαθαριστικό Ε1")
    expect(row).to_contain_text("30/04/2024")
    tab.accessible("person-with-a-document")
    tab.shot("person-with-a-document")

    with page.expect_download() as downloading:
        row.get_by_role("link", name="Λήψη").click()
    download = downloading.value
    assert download.suggested_filename == FILENAME
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == PDF

    attach(tab, "Αστυνομική ταυτότητα", "ταυτότητα.png", PNG, "image/png")
    scan = page.locator("#documents ~ .scroll table tbody tr", has_text="ταυτότητα.png")
    scan.get_by_role("link", name="Προβολή").click()
    expect(page.locator("img")).to_be_visible()  # Chromium shows the image itself, from Kentra
    assert page.url.endswith("?view=1")
