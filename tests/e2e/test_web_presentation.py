"""Greek presentation through the application: dates typed and shown dd/mm/yyyy, the dashboard opening on a
month with data, and downloads a Greek Excel opens (BOM, ';', Greek headings and labels), confined as the page."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

from gateways.web import exports
from gateways.web.labels import LABELS
from gateways.web.present import (
    DateFormatError,
    cell_name,
    month_name,
    parse_date,
    shown_timestamp,
    staff_name,
)
from gateways.web.session import templates
from services import reporting
from services.access import Principal, Role
from tests.e2e.conftest import Api
from tests.e2e.test_indicators_api import open_request, register
from tests.e2e.test_web import csrf, sign_in
from tests.e2e.test_web_forms import command_id, events

MAY = {"period": "2024-05"}
HOUSING, GMI = "Επίδομα Στέγασης", "Ελάχιστο Εγγυημένο Εισόδημα (ΕΕΕ)"
ROMA_BRANCH = "Παράρτημα Ρομά Δήμου Σοφάδων"


def meeting(api: Api, day: str) -> Any:
    """Post the activity form (a networking meeting of no one) with the date as typed."""
    key = command_id(api.client.get("/t/sofades/record/activity").text)
    fields = {"csrf_token": csrf(api), "command_id": key, "kind": "networking_meeting", "occurred_on": day}
    return api.client.post("/t/sofades/record/activity", data=fields, follow_redirects=False)


def meetings_on(api: Api, day: date) -> int:
    doc = reporting.indicators(api.kentra.views("sofades"), day, day, None)
    return int(doc["activities"]["networking_meetings"])


@pytest.mark.parametrize("typed", ["2/5/2024", "02/05/2024", "02052024", "2024-05-02"])
def test_a_date_typed_as_greek_staff_write_it_is_read_so(api: Api, typed: str) -> None:
    sign_in(api, "cw.sof.centre")
    assert meeting(api, typed).status_code == 303
    assert meetings_on(api, date(2024, 5, 2)) == 1  # the 2nd of May, never the 5th of February


@pytest.mark.parametrize("typed", ["2024/05/02", "31/02/2024", "5-2-2024", "1714608000", "02.05.24", "χθες"])
def test_a_date_in_any_other_shape_is_refused_beside_its_field_kept_as_typed_and_nothing_recorded(
    api: Api, typed: str
) -> None:
    sign_in(api, "cw.sof.centre")
    before = events(api)
    refused = meeting(api, typed)
    assert refused.status_code == 422
    assert 'id="f-occurred_on-error">Γράψτε την ημερομηνία ως ηη/μμ/εεεε, π.χ. 02/05/2024.' in refused.text
    shown = re.search(r'name="occurred_on" type="text" class="date" value="([^"]*)"', refused.text)
    assert shown
    assert shown[1] == typed
    assert 'id="error-summary"' in refused.text
    assert "autofocus" in refused.text
    assert events(api) == before


def test_the_date_helpers_show_athens_time_greek_months_and_refuse_impossible_days() -> None:
    assert parse_date("29/2/2024") == date(2024, 2, 29)
    with pytest.raises(DateFormatError):
        parse_date("29/02/2023")
    with pytest.raises(DateFormatError):
        parse_date("02/05/0024")  # a year typed short: refused, not the year 24
    assert shown_timestamp("2024-07-31T21:30:00+00:00") == "01/08/2024 00:30"  # summer time: UTC+3
    assert shown_timestamp("2024-01-31T21:30:00+00:00") == "31/01/2024 23:30"  # winter: UTC+2
    assert month_name("2022-07") == "Ιούλ 2022"
    assert month_name(date(2022, 5, 1), "en") == "May 2022"


def test_the_dashboard_opens_on_the_latest_month_with_entries_with_its_totals_and_presets(api: Api) -> None:
    her = register(api, "female", "centre", 31)  # the clock says 28 June 2024; entries are of May
    open_request(api, her, "centre", "housing_benefit")
    open_request(api, her, "centre", "housing_benefit")
    open_request(api, her, "centre", "gmi")
    sign_in(api, "coord.sof")
    page = api.client.get("/t/sofades/dashboard").text
    assert "Μάιος 2024 (01/05/2024 – 31/05/2024)" in page  # not an empty June
    assert "Η σελίδα άνοιξε στον τελευταίο μήνα με καταχωρίσεις." in page
    assert '<input id="from" name="from" type="text"' in page
    assert 'value="01/05/2024"' in page
    totals = re.search(r'<dl class="totals">(.*?)</dl>', page, re.DOTALL)
    assert totals
    assert "<dt>Αιτήματα</dt><dd>3</dd>" in totals[1]
    assert "<dt>Νέοι ωφελούμενοι</dt><dd>1</dd>" in totals[1]
    assert "<dt>Συναντήσεις δικτύωσης</dt><dd>0</dd>" in totals[1]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td></tr>', page)
    assert rows.index((HOUSING, "2")) < rows.index((GMI, "1"))  # categories by size
    for code in ("2024-05", "2024-Q2", "2024-H1", "2024"):
        assert f'href="?period={code}"' in page
    assert 'href="?period=2024-05" aria-current="page"' in page
    assert 'href="?period=2024-04">← Προηγούμενη' in page
    assert 'href="?period=2024-06">Επόμενη →' in page  # June has begun (the clock says 28 June)
    assert "Επόμενη" not in api.client.get("/t/sofades/dashboard", params={"period": "2024-Q2"}).text
    quarter = api.client.get("/t/sofades/dashboard", params={"period": "2024-Q2"}).text
    assert "2ο τρίμηνο 2024 (01/04/2024 – 30/06/2024)" in quarter
    assert '<th scope="row">Ιούν 2024</th>' in quarter
    typed = api.client.get("/t/sofades/dashboard", params={"from": "1/5/2024", "to": "31/05/2024"})
    assert typed.status_code == 200
    assert "01/05/2024 – 31/05/2024" in typed.text
    wrong = api.client.get("/t/sofades/dashboard", params={"from": "2024/05/01", "to": "31/05/2024"})
    assert wrong.status_code == 422
    assert 'value="2024/05/01"' in wrong.text  # what was typed, to correct
    assert "Γράψτε τις ημερομηνίες ως ηη/μμ/εεεε" in wrong.text


def test_the_csv_opens_in_a_greek_excel_with_greek_headings_labels_and_dates(api: Api) -> None:
    open_request(api, register(api, "female", "centre", 32), "centre", "housing_benefit")
    sign_in(api, "coord.sof")
    answer = api.client.get("/t/sofades/dashboard/download", params={**MAY, "format": "csv"})
    assert answer.status_code == 200
    assert answer.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8, not Windows-1253
    text = answer.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == ["Ενότητα", "Στοιχείο", "Γυναίκες", "Άνδρες", "Μη δυαδικό", "Άγνωστο", "Σύνολο"]
    assert all(len(row) == 7 for row in rows)  # ';' separates every cell
    assert ["Αιτήματα ανά κατηγορία", HOUSING, "", "", "", "", "1"] in rows
    assert ["Μοναδικοί ωφελούμενοι ανά μήνα", "Μάι 2024", "1", "0", "0", "0", "1"] in rows
    assert ["Μοναδικοί ωφελούμενοι στην περίοδο", "01/05/2024 – 31/05/2024", "1", "0", "0", "0", "1"] in rows
    for code in ("housing_benefit", "beneficiaries_served", "2024-05-01", "centre"):
        assert code not in text  # labels, not codes; dates as staff read them


def test_the_xlsx_has_greek_labels_and_a_greek_title(api: Api) -> None:
    open_request(api, register(api, "male", "roma-branch", 33), "roma-branch", "gmi")
    sign_in(api, "coord.sof")
    answer = api.client.get("/t/sofades/dashboard/download", params={**MAY, "format": "xlsx"})
    assert answer.headers["content-type"] == exports.XLSX
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0][0] == "Δήμος Σοφάδων: δείκτες Κέντρου Κοινότητας"
    assert cells[1][0] == "Περίοδος 01/05/2024 – 31/05/2024"
    assert list(cells[3]) == exports.HEADINGS
    assert ("Αιτήματα ανά κατηγορία", GMI, None, None, None, None, 1) in cells
    assert ("Αιτήματα ανά δομή και φύλο", ROMA_BRANCH, 0, 1, 0, 0, 1) in cells
    assert "gmi" not in {c for row in cells for c in row}


def test_a_cell_that_would_start_a_formula_is_written_as_text(api: Api) -> None:
    tenant = api.kentra.registry.tenant("sofades")
    doc = reporting_doc()
    for attack in ('=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1)"):
        doc["requests"]["by_structure_and_gender"] = [{"structure": attack, "female": 1, "total": 1}]
        doc["referrals"]["by_outcome"] = [{"key": attack, "total": 1}]
        rows = list(csv.reader(io.StringIO(exports.to_csv(doc, tenant).decode("utf-8-sig"), newline=""), delimiter=";"))
        shown = [row[1] for row in rows if row[1].lstrip("'").startswith(attack[0])]
        assert shown
        assert all(cell == "'" + attack for cell in shown), shown
        sheet = load_workbook(io.BytesIO(exports.to_xlsx(doc, tenant))).active
        assert sheet is not None
        assert all(
            not (isinstance(c, str) and c.startswith(attack[0]))
            for row in sheet.iter_rows(values_only=True)
            for c in row
        )


def reporting_doc() -> dict[str, Any]:
    """An empty indicators document for May 2024, the shape the views answer."""
    zero = {"female": 0, "male": 0, "non_binary": 0, "unknown": 0, "total": 0}
    return {
        "from": "2024-05-01",
        "to": "2024-05-31",
        "structure": None,
        "beneficiaries_served": {"per_month": [{"month": "2024-05", **zero}], "period": zero},
        "requests": {"total": 0, "per_month": [], "by_category": [], "by_structure_and_gender": []},
        "referrals": {"total": 0, "by_structure": [], "by_destination": [], "by_outcome": []},
        "activities": {"networking_meetings": 0, "community_events": 0, "by_kind": [], "home_visits_by_purpose": []},
        "new_beneficiaries": zero,
        "beneficiaries_since_opening": zero,
    }


def test_a_caseworkers_download_is_her_own_structures_like_her_page(api: Api) -> None:
    open_request(api, register(api, "female", "centre", 34), "centre", "gmi")
    open_request(api, register(api, "male", "roma-branch", 35), "roma-branch", "housing_benefit")
    sign_in(api, "cw.sof.centre")
    for asked in ({}, {"structure": "roma-branch"}):
        text = api.client.get("/t/sofades/dashboard/download", params={**MAY, **asked}).content.decode("utf-8-sig")
        assert GMI in text
        assert HOUSING not in text  # the Roma branch's request is not hers to count
        assert ROMA_BRANCH not in text
        page = api.client.get("/t/sofades/dashboard", params={**MAY, **asked}).text
        assert HOUSING not in page
        assert ROMA_BRANCH not in page
    for user in ("analyst.thessaly", "coord.kar"):  # an analyst reads aggregates of her region; another tenant's
        sign_in(api, user)
        assert api.client.get("/t/sofades/dashboard/download", params=MAY).status_code == 403


def test_the_header_names_the_signed_in_member_of_staff_and_links_her_worklist(api: Api) -> None:
    api.kentra.accounts.set_full_name("cw.sof.centre", "Ελένη Παπαδοπούλου")
    sign_in(api, "cw.sof.centre")
    header = api.client.get("/home").text.split("</header>")[0]
    assert '<span class="who">Ελένη Παπαδοπούλου</span>' in header  # her name, not her user name
    assert '<a href="/t/sofades/work">Οι εργασίες μου</a>' in header
    sign_in(api, "coord.sof")  # no full name recorded: the user name
    header = api.client.get("/t/sofades/dashboard").text.split("</header>")[0]
    assert '<span class="who">coord.sof</span>' in header
    assert 'href="/t/sofades/work"' in header
    sign_in(api, "auditor.sof")
    assert "/work" not in api.client.get("/home").text.split("</header>")[0]  # an auditor has no worklist


def test_staff_are_named_from_the_directory_and_by_user_name_when_it_has_none() -> None:
    assert staff_name("m.georgiou", {"m.georgiou": "Μαρία Γεωργίου"}) == "Μαρία Γεωργίου"
    assert staff_name("importer", {"m.georgiou": "Μαρία Γεωργίου"}) == "importer"


def test_the_worklist_link_shows_a_badge_of_what_is_due_today_when_the_page_knows_it() -> None:
    caseworker = Principal("cw", Role.CASEWORKER, frozenset({"sofades"}), structure="centre", full_name="Άννα Ζήση")
    shared = {"lang": "el", "t": LABELS["el"], "user": caseworker, "csrf": "x", "tenants": []}
    page = templates.get_template("home.html")
    with_count = page.render(**shared, due_today=1234).split("</header>")[0]
    assert '<span class="badge">1.234<span class="visually-hidden"> για σήμερα</span></span>' in with_count
    assert "Άννα Ζήση" in with_count
    assert 'class="badge"' not in page.render(**shared).split("</header>")[0]  # no count: no badge


def test_an_auditor_types_dates_dd_mm_yyyy_and_reads_each_cell_in_words(api: Api) -> None:
    open_request(api, register(api, "female", "centre", 36), "centre")
    sign_in(api, "auditor.sof")
    typed = {"from": "01/05/2024", "to": "31/05/2024", "as_of": "28/06/2024"}
    page = api.client.get("/t/sofades/audit", params=typed)
    assert page.status_code == 200
    assert '<th scope="row">Μάι 2024</th>' in page.text
    assert 'id="as_of" name="as_of" type="text"' in page.text
    drill = api.client.get("/t/sofades/audit/drilldown", params={**typed, "cell": "served/2024-05/female"})
    assert "Μοναδικοί ωφελούμενοι · Μάι 2024 · Γυναίκες" in drill.text
    assert "<td>Κέντρο Κοινότητας Δήμου Σοφάδων</td>" in drill.text  # the structure by its name, not its id
    assert "<td>Ωφελούμενος/η: εισαγωγή</td>" in drill.text  # the event in words, not its class name
    wrong = api.client.get("/t/sofades/audit", params={**typed, "as_of": "2024/06/28"})
    assert wrong.status_code == 422


def test_a_cell_is_named_by_the_words_of_its_codes() -> None:
    assert cell_name("requests/category:housing_benefit/total") == "Αιτήματα · Επίδομα Στέγασης · σύνολο"
    assert cell_name("referrals/outcome:no_show/total") == "Παραπομπές · Δεν προσήλθε · σύνολο"
    assert cell_name("referrals/outcome:sent/total") == "Παραπομπές · Στάλθηκε · σύνολο"
    assert cell_name("esf-2014-2020/CO16:refused/male") == "Δείκτες ΕΚΤ 2014-2020 · CO16 (δεν απάντησε) · Άνδρες"
    assert cell_name("served/2022-07/female", "en") == "Unique beneficiaries · Jul 2022 · Women"
    assert cell_name("referrals/structure:centre/total", "el", {"centre": "Κέντρο"}) == "Παραπομπές · Κέντρο · σύνολο"


def june_request(api: Api, person: str, structure: str) -> str:
    body = {"beneficiary_id": person, "category": "gmi", "structure": structure, "occurred_on": "2024-06-10"}
    response = api.post("coord.sof", "/requests", body)
    assert response.status_code == 201, response.text
    return str(response.json()["entry_id"])


def test_the_dashboard_opens_on_the_latest_month_the_caller_may_see_and_not_on_a_voided_entrys(api: Api) -> None:
    open_request(api, register(api, "female", "centre", 37), "centre")
    roma = register(api, "male", "roma-branch", 38)
    june = june_request(api, roma, "roma-branch")  # the Roma branch's June says nothing to the centre's caseworker
    sign_in(api, "cw.sof.centre")
    assert "Μάιος 2024 (01/05/2024 – 31/05/2024)" in api.client.get("/t/sofades/dashboard").text
    sign_in(api, "coord.sof")
    assert "Ιούνιος 2024 (01/06/2024 – 30/06/2024)" in api.client.get("/t/sofades/dashboard").text
    voided = api.client.post(
        "/api/v1/tenants/sofades/corrections?action=void",
        headers=api.headers("coord.sof"),
        json={"entry_id": june, "reason": "duplicate_entry"},
    )
    assert voided.status_code < 300, voided.text
    assert "Μάιος 2024 (01/05/2024 – 31/05/2024)" in api.client.get("/t/sofades/dashboard").text
