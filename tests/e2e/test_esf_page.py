"""The coordinator's page «Παραδοτέα ΕΚΤ»: the form, the indicator table, the downloads, and who is refused."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import Api
from tests.e2e.test_esf_delivery import register
from tests.e2e.test_web import sign_in


def test_the_coordinator_sees_the_operations_table_and_downloads_each_part(api: Api) -> None:
    register(api, 11)
    sign_in(api, "coord.sof")
    assert 'href="/t/sofades/esf"' in api.client.get("/home").text
    page = api.client.get("/t/sofades/esf", params={"operation": "5002786", "from": "01/03/2023", "to": "30/06/2023"})
    assert page.status_code == 200, page.text
    assert "Παραδοτέα ΕΚΤ" in page.text
    assert "5002786" in page.text
    assert "μακροχρόνια άνεργοι" in page.text  # CO02 by its Greek name
    links = sorted(set(re.findall(r'href="(/t/sofades/esf/download\?[^"]+)"', page.text)))
    assert len(links) == 4
    xlsx = api.client.get(
        next(link for link in links if "xlsx" in link and "participants" in link).replace("&amp;", "&")
    )
    assert xlsx.status_code == 200
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["Συμμετέχοντες"]
    as_csv = api.client.get(
        next(link for link in links if "csv" in link and "indicators" in link).replace("&amp;", "&")
    )
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig")), delimiter=";"))
    assert {r["Κωδικός MIS/ΟΠΣ (mis_code)"] for r in rows} == {"5002786"}


def test_the_page_opens_on_todays_operation_by_default(api: Api) -> None:
    sign_in(api, "coord.sof")
    page = api.client.get("/t/sofades/esf")
    assert page.status_code == 200, page.text
    assert '<option value="2021-2027" selected>' in page.text


def test_a_period_outside_the_operation_is_refused_in_greek_with_its_dates_and_keeps_what_was_typed(api: Api) -> None:
    sign_in(api, "coord.sof")
    page = api.client.get("/t/sofades/esf", params={"operation": "5002786", "from": "01/12/2023", "to": "31/01/2024"})
    assert page.status_code == 422
    assert "31/12/2023" in page.text
    assert 'value="31/01/2024"' in page.text
    assert "/esf/download" not in page.text


@pytest.mark.parametrize("user", ["cw.sof.centre", "auditor.sof", "analyst.thessaly", "coord.kar"])
def test_others_are_refused_the_page_and_its_downloads(api: Api, user: str) -> None:
    sign_in(api, user)
    assert api.client.get("/t/sofades/esf").status_code == 403
    download = api.client.get("/t/sofades/esf/download", params={"operation": "5002786", "format": "xlsx"})
    assert download.status_code == 403
    assert 'href="/t/sofades/esf"' not in api.client.get("/home").text
