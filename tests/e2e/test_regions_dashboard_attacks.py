"""The Region's dashboard (issue 26) attacked over HTTP: who may read it, with what input, after an erasure.

Its entry points are the API (``/api/v1/regions/{region}/dashboard``, JSON, CSV and XLSX), the page
(``/r/{region}/dashboard``) and the page's downloads. Only the region's own analyst reads any of them;
a bad period, table or format is refused plainly; and no personal value ever appears in them, also
after the person was erased (the figures keep counting them, as the municipality's do).
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

from domain.identifiers import make_amka
from tests.e2e.conftest import Api, intake_body
from tests.e2e.test_web import sign_in

URL = "/api/v1/regions/{region}/dashboard"
FORMATS = ("json", "csv", "xlsx")


def dashboard(api: Api, user: str | None, region: str = "thessaly", **params: str) -> Any:
    headers = api.headers(user) if user else {}
    return api.client.get(URL.format(region=region), params={"period": "2024", **params}, headers=headers)


def text_of(response: Any) -> str:
    """Everything a response says, an XLSX's cells included."""
    if response.headers["content-type"].startswith(("application/vnd.openxmlformats", "application/octet")):
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            " ".join("" if v is None else str(v) for v in row)
            for s in book.worksheets
            for row in s.iter_rows(values_only=True)
        )
    return str(response.content.decode("utf-8-sig"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_only_the_regions_own_analyst_reads_its_dashboard_in_any_format(api: Api, fmt: str) -> None:
    for user in ("analyst.cmac", "coord.sof", "coord.kar", "cw.sof.centre", "auditor.sof", "auditor.pyl", "admin"):
        refused = dashboard(api, user, format=fmt)
        assert refused.status_code == 403, (user, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    assert dashboard(api, None, format=fmt).status_code == 401
    assert dashboard(api, "analyst.thessaly", format=fmt).status_code == 200
    assert dashboard(api, "analyst.cmac", "central-macedonia", format=fmt).status_code == 200
    assert dashboard(api, "analyst.thessaly", "central-macedonia", format=fmt).status_code == 403


def test_another_regions_analyst_gets_neither_the_page_nor_its_downloads(api: Api) -> None:
    sign_in(api, "analyst.cmac")
    for path in ("/r/thessaly/dashboard", "/r/thessaly/dashboard/download"):
        for fmt in ("csv", "xlsx"):
            refused = api.client.get(path, params={"period": "2024", "format": fmt})
            assert refused.status_code == 403, path
            assert "Σοφάδ" not in refused.text
            assert "Καρδίτσ" not in refused.text
    assert api.client.get("/r/central-macedonia/dashboard", params={"period": "2024"}).status_code == 200
    assert api.client.get("/r/no-such-region/dashboard").status_code in (403, 404)


def test_a_signed_out_browser_is_sent_to_sign_in_and_gets_no_file(api: Api) -> None:
    for path in ("/r/thessaly/dashboard", "/r/thessaly/dashboard/download"):
        answer = api.client.get(path, params={"period": "2024", "format": "csv"}, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/"


@pytest.mark.parametrize(
    "params",
    [
        {"period": "2024-05-02"},
        {"period": "2024-Q5"},
        {"period": "1999"},
        {"period": "since opening"},
        {"period": "<script>alert(1)</script>"},
        {"period": "2024", "format": "pdf"},
        {"period": "2024", "format": "csv", "table": "../../etc/passwd"},
        {"period": "2024", "format": "xlsx", "table": "people"},
    ],
)
def test_a_bad_period_table_or_format_is_refused_plainly_and_echoes_no_markup(api: Api, params: dict[str, str]) -> None:
    answer = api.client.get(URL.format(region="thessaly"), params=params, headers=api.headers("analyst.thessaly"))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "<script>" not in answer.text
    sign_in(api, "analyst.thessaly")
    path = "/r/thessaly/dashboard/download" if "format" in params else "/r/thessaly/dashboard"
    page = api.client.get(path, params=params)
    assert page.status_code == 422
    assert "<script>alert(1)</script>" not in page.text
    assert "Content-Disposition" not in page.headers


def test_no_personal_value_is_in_the_dashboard_before_or_after_an_erasure_and_the_figures_keep_counting(
    api: Api,
) -> None:
    people = []
    for n in range(6):
        amka = make_amka(date(1958, 8, 9), 700 + n)
        body = intake_body(
            personal__amka=amka, personal__first_name="Περσεφόνη", personal__last_name=f"Ζαχαροπλαστοπούλου{n}"
        )
        created = api.post("coord.sof", "/beneficiaries", body)
        assert created.status_code == 201, created.text
        people.append((created.json()["entry_id"], amka))
    secrets = ["Περσεφόνη", "Ζαχαροπλαστοπούλου", *(a for _, a in people), *(p for p, _ in people)]

    def read_all() -> dict[str, Any]:
        found = {fmt: dashboard(api, "analyst.thessaly", format=fmt) for fmt in FORMATS}
        for fmt, answer in found.items():
            assert answer.status_code == 200, (fmt, answer.text)
            for secret in secrets:
                assert secret not in text_of(answer), (fmt, secret)
        return found

    before = read_all()["json"].json()
    erased = api.client.post(
        f"/api/v1/tenants/sofades/beneficiaries/{people[0][0]}/erasure",
        json={"reason": "ζήτησε διαγραφή", "legal_ground": "ΓΚΠΔ άρθρο 17(1)(α)"},
        headers=api.headers("coord.sof"),
    )
    assert erased.status_code == 200, erased.text
    after = read_all()["json"].json()
    served = [next(t for t in doc["tables"] if t["id"] == "served")["rows"][0]["cells"][-1] for doc in (before, after)]
    assert served[0] == served[1] == 6  # an erasure takes the person's data, not the figures they are in
