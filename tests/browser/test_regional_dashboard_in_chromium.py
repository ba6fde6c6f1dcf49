"""Each Region's analyst reads her dashboard in Debian's Chromium (issue 26), on the demo's history.

She opens the page, changes the period and the preset, reads the tables beside the charts, downloads
the CSV and the XLSX (Playwright's download event) and finds in the files exactly the cells the page
shows, hidden ones as χ, and the numbers the API gives. A Thessaly analyst's page, API and files never
name Pylaia-Chortiatis (in Greek or Latin, by its tenant id, or its structures), and the other way round.
"""

from __future__ import annotations

import csv
import io
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from openpyxl import load_workbook
from pydantic import SecretStr

from gateways.http.app import create_app
from infra.bootstrap import Kentra, bootstrap
from infra.settings import Settings
from services.access import Principal, Role
from tests.browser.conftest import DESKTOP, Site, Tab
from tests.e2e.test_serve import free_port
from tests.integration.demo import checkout_like, failure, run, scratch_env

PASSWORD = "a long regional-analyst password"
ANALYSTS = {
    "thessaly": Principal("b.analyst.thessaly", Role.REGIONAL_ANALYST, region="thessaly"),
    "central-macedonia": Principal("b.analyst.cmac", Role.REGIONAL_ANALYST, region="central-macedonia"),
}
# What a Region of the other one must never read: the municipality's names, its tenant id, its structures.
NAMES = {
    "thessaly": ("Σοφάδ", "Sofades", "sofades", "Καρδίτσ", "Karditsa", "karditsa", "Τυρνάβ", "Tyrnavos", "5002786"),
    "central-macedonia": ("Πυλαία", "Πυλαίας", "Χορτιάτη", "Pylaia", "Chortiatis", "pylaia-chortiatis", "5002873"),
}
HIDDEN = "χ"


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo's four municipalities (``kentra demo --no-serve``) served as ``kentra serve`` would."""
    root = tmp_path_factory.mktemp("regional-demo")
    env = scratch_env(root / "data", checkout_like(root / "checkout"), root / "pycache")
    result = run("kentra demo --no-serve", cwd=root / "checkout", env=env)
    assert result.returncode == 0, failure("kentra demo --no-serve", result, f"exit {result.returncode}")
    key = (root / "data" / "keys" / "master.key").read_text(encoding="utf-8").strip()
    kentra: Kentra = bootstrap(Settings(data_dir=root / "data", master_key=SecretStr(key)))
    for principal in ANALYSTS.values():
        kentra.accounts.add(principal, PASSWORD)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(kentra), host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # generous: readiness, not speed
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    artefacts = Path("test-artefacts") / "browser"
    artefacts.mkdir(parents=True, exist_ok=True)
    yield Site(f"http://127.0.0.1:{port}", kentra, artefacts)
    server.should_exit = True
    thread.join(timeout=10)
    kentra.close()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def analyst_tab(demo_site: Site, browser: Any, request: pytest.FixtureRequest) -> Iterator[Tab]:
    context = browser.new_context(locale="el-GR", viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(120_000)  # the first answer of a year protects the whole year's table
    offsite: list[str] = []
    page.on("request", lambda r: offsite.append(r.url) if not r.url.startswith(demo_site.url) else None)
    yield Tab(demo_site, page, request.node.name)
    context.close()
    assert offsite == [], f"the page asked for something outside Kentra: {offsite}"


def sign_in(tab: Tab, region: str) -> None:
    tab.go("/")
    tab.page.get_by_label("Όνομα χρήστη").fill(ANALYSTS[region].username)
    tab.page.get_by_label("Κωδικός πρόσβασης").fill(PASSWORD)
    tab.page.get_by_role("button", name="Είσοδος").click()
    tab.page.wait_for_url(f"**/r/{region}/dashboard**")


def page_tables(tab: Tab) -> dict[str, list[list[str]]]:
    """Every table the page shows, as the browser laid it out: the header row, then each row's cells."""
    found: dict[str, list[list[str]]] = tab.page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('table[data-table]')].map(t => [
             t.dataset.table,
             [...t.querySelectorAll('tr')].map(r => [...r.children].map(c => c.innerText.trim()))]))"""
    )
    return found


def csv_tables(data: bytes) -> list[list[list[str]]]:
    """The CSV's tables: after the heading lines, each a title line, a column line and the rows."""
    assert data.startswith(b"\xef\xbb\xbf"), "a Greek Excel needs the byte-order mark"
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    blocks: list[list[list[str]]] = []
    for line in lines:
        if not line:
            blocks.append([])
        elif blocks:
            blocks[-1].append(line)
    return [block[1:] for block in blocks]  # without the title line


def xlsx_tables(data: bytes) -> list[list[list[str]]]:
    """Each sheet's table (after the three heading lines and the title), every cell as the page shows it."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    tables = []
    for sheet in book.worksheets:
        rows = [[shown(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        tables.append([row[: len(rows[4])] for row in rows[4:]])
    return tables


def shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def api_cells(doc: dict[str, Any]) -> dict[str, list[list[str]]]:
    """The API's tables' cells as the page must show them: a hidden cell (null) is χ."""
    return {
        t["id"]: [[HIDDEN if v is None else shown(v) for v in r["cells"]] for r in t["rows"]] for t in doc["tables"]
    }


def api(site: Site, region: str, period: str, fmt: str = "json") -> httpx.Response:
    """The same figures over the API, as the analyst's program would read them (her own bearer token)."""
    signed = httpx.post(
        f"{site.url}/api/v1/auth/token", data={"username": ANALYSTS[region].username, "password": PASSWORD}, timeout=60
    )
    assert signed.status_code == 200, signed.text
    token = signed.json()["access_token"]
    response = httpx.get(
        f"{site.url}/api/v1/regions/{region}/dashboard",
        params={"period": period, "format": fmt},
        headers={"Authorization": f"Bearer {token}"},
        timeout=300,
    )
    assert response.status_code == 200, response.text
    return response


def download(tab: Tab, name: str) -> bytes:
    with tab.page.expect_download() as downloading:
        tab.page.get_by_role("link", name=name, exact=True).first.click()
    path = downloading.value.path()
    assert path is not None
    return Path(path).read_bytes()


def check_page_files_and_api_agree(tab: Tab, region: str, period: str) -> None:
    tables = page_tables(tab)
    body = {name: rows[1:] for name, rows in tables.items()}  # without the header row
    doc = api(tab.site, region, period).json()
    assert doc["period"] == period
    from_api = api_cells(doc)
    assert list(body) == list(from_api), "the page shows the API's tables, in its order"
    for name, rows in body.items():
        assert [row[1:] for row in rows] == from_api[name], f"{name}: the page and the API differ"
    csv_data, xlsx_data = download(tab, "CSV (Excel)"), download(tab, "XLSX")
    for label, files in (("CSV", csv_tables(csv_data)), ("XLSX", xlsx_tables(xlsx_data))):
        assert len(files) == len(tables), label
        for (name, rows), file_rows in zip(tables.items(), files, strict=True):
            assert file_rows == rows, f"{label} {name}: the file and the page differ"
    if region in NAMES:  # the other region's municipalities are named nowhere the analyst reads
        other = next(r for r in NAMES if r != region)
        texts = {
            "page": tab.page.content(),
            "api": api(tab.site, region, period).text,
            "csv": csv_data.decode("utf-8-sig"),
            "xlsx": "\n".join(" ".join(shown(v) for v in row) for t in xlsx_tables(xlsx_data) for row in t),
        }
        for where, text in texts.items():
            for name in NAMES[other]:
                assert name not in text, f"{region}'s {where} names {name!r}"


@pytest.mark.parametrize("region", ["thessaly", "central-macedonia"])
def test_each_regions_analyst_reads_changes_period_and_preset_and_downloads_the_cells_the_page_hides(
    analyst_tab: Tab, region: str
) -> None:
    tab = analyst_tab
    sign_in(tab, region)
    tab.page.get_by_role("combobox", name="Περίοδος αναφοράς").select_option("2022")
    tab.page.get_by_role("button", name="Εμφάνιση").click()
    tab.page.wait_for_url("**period=2022")
    assert tab.page.locator("#period-shown").inner_text() == "2022"
    trend = page_tables(tab)["trend"]
    assert trend[0][1:] == [f"{m} 2022" for m in MONTHS], "the trend's table names every month of the year"
    assert tab.page.get_by_role("img", name="Ωφελούμενοι ανά μήνα, ανά δήμο").is_visible()
    assert tab.page.get_by_role("img", name="Αιτήματα ανά κατηγορία, οι δήμοι δίπλα-δίπλα").is_visible()
    assert any(HIDDEN in row for rows in page_tables(tab).values() for row in rows), "some cell is hidden"
    ages = page_tables(tab)["served_by_age"]  # compared with the files and the API below, as every table
    assert ages[0][1:] == ["Κάτω των 18", "18 έως 29", "30 έως 54", "55 έως 64", "65 και άνω"]
    tab.shot(f"{region}-2022")
    tab.accessible(f"{region}-2022")
    check_page_files_and_api_agree(tab, region, "2022")

    tab.page.get_by_role("link", name="Τρίμηνο", exact=True).click()  # the preset: the quarter of January 2022
    tab.page.wait_for_url("**period=2022-Q1")
    assert page_tables(tab)["trend"][0][1:] == ["Ιανουάριος 2022", "Φεβρουάριος 2022", "Μάρτιος 2022"]
    assert "requests_by_category" not in page_tables(tab), "no breakdowns for a quarter"
    assert "served_by_age" not in page_tables(tab), "no age groups for a quarter"
    check_page_files_and_api_agree(tab, region, "2022-Q1")

    tab.page.get_by_role("link", name="Από την έναρξη λειτουργίας", exact=True).click()
    tab.page.wait_for_url("**period=since-opening")
    years = page_tables(tab)["trend"][0][1:]
    assert "2022" in years, "since opening: every year side by side"
    assert years == sorted(years)
    tab.shot(f"{region}-since-opening")
    check_page_files_and_api_agree(tab, region, "since-opening")


MONTHS = (
    "Ιανουάριος", "Φεβρουάριος", "Μάρτιος", "Απρίλιος", "Μάιος", "Ιούνιος",
    "Ιούλιος", "Αύγουστος", "Σεπτέμβριος", "Οκτώβριος", "Νοέμβριος", "Δεκέμβριος",
)  # fmt: skip
