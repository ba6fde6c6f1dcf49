"""An operation's ESF delivery over the API: the files open with the MIS code, operation and period in
them; only the tenant's coordinators get it; periods outside the operation and unknown operations are
refused clearly; nothing typed runs as a formula; no name or ΑΜΚΑ leaves in the participant file."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from openpyxl import load_workbook

from domain.identifiers import make_amka
from tests.e2e.conftest import Api, intake_body

SPRING_2023 = {"from": "2023-03-01", "to": "2023-06-30"}
SOFADES_2014 = {"operation": "5002786", **SPRING_2023}
NAME, SURNAME = '=HYPERLINK("http://x")', "Παπαδοπούλου"


def report(api: Api, user: str, tenant: str = "sofades", **params: Any) -> Any:
    return api.client.get(f"/api/v1/tenants/{tenant}/esf/report", params=params, headers=api.headers(user))


def register(api: Api, serial: int, gender: str = "female", **overrides: Any) -> str:
    birth = date(1979, 3, 4)
    body = intake_body(
        occurred_on="2023-04-03",
        profile__gender=gender,
        personal__first_name=NAME,
        personal__last_name=SURNAME,
        personal__amka=make_amka(birth, serial),
        **overrides,
    )
    response = api.post("coord.sof", "/beneficiaries", body)
    assert response.status_code == 201, response.text
    return str(response.json()["entry_id"])


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_the_xlsx_opens_with_the_mis_code_operation_and_period_on_both_sheets(api: Api) -> None:
    register(api, 1)
    response = report(api, "coord.sof", format="xlsx", **SOFADES_2014)
    assert response.status_code == 200, response.text
    assert "5002786" in response.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Δείκτες", "Συμμετέχοντες"]
    for sheet in workbook:
        header = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, max_row=9, max_col=2, values_only=True)}
        assert header["Κωδικός MIS/ΟΠΣ (mis_code)"] == "5002786"
        assert header["Πράξη (operation)"] == "Κέντρο Κοινότητας Δήμου Σοφάδων"
        assert header["Πρόγραμμα (programme)"] == "Περιφερειακό Επιχειρησιακό Πρόγραμμα Θεσσαλίας 2014-2020"
        assert (header["Από (from)"], header["Έως (to)"]) == ("2023-03-01", "2023-06-30")
    indicators = list(workbook["Δείκτες"].iter_rows(min_row=11, values_only=True))
    codes = {row[1]: row for row in indicators}
    assert codes["CO02"][2] == "μακροχρόνια άνεργοι"  # each code with its Greek label and kind
    assert codes["CO02"][0] == "Δείκτης εκροών"
    assert (codes["CO02"][3], codes["CO02"][7]) == (1, 1)  # women, total


@pytest.mark.parametrize("part", ["indicators", "participants"])
def test_each_csv_part_gives_a_reader_the_mis_code_operation_and_period_on_every_row(api: Api, part: str) -> None:
    register(api, 2)
    response = report(api, "coord.sof", format="csv", part=part, **SOFADES_2014)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].endswith(f'-{part}.csv"')
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert header[:5] == [
        "Κωδικός MIS/ΟΠΣ (mis_code)",
        "Πράξη (operation)",
        "Πρόγραμμα (programme)",
        "Από (from)",
        "Έως (to)",
    ]
    rows = csv_rows(response.content)
    for row in rows:
        assert row["Κωδικός MIS/ΟΠΣ (mis_code)"] == "5002786"
        assert row["Πράξη (operation)"] == "Κέντρο Κοινότητας Δήμου Σοφάδων"
        assert (row["Από (from)"], row["Έως (to)"]) == ("2023-03-01", "2023-06-30")
    if part == "indicators":
        co02 = next(r for r in rows if r["Κωδικός δείκτη (code)"] == "CO02")
        assert (co02["Γυναίκες (female)"], co02["Σύνολο (total)"]) == ("1", "1")


def test_the_json_delivery_carries_the_operations_metadata(api: Api) -> None:
    doc = report(api, "coord.sof", **SOFADES_2014).json()
    assert doc["operation"]["code"] == "5002786"
    assert doc["operation"]["period"] == "2014-2020"
    assert doc["operation"]["to"] == "2023-12-31"
    assert doc["operation"]["priority_axis"].startswith("Ανάπτυξη και αξιοποίηση")
    assert (doc["from"], doc["to"]) == ("2023-03-01", "2023-06-30")


def test_the_operation_may_be_named_by_its_programme_period(api: Api) -> None:
    doc = report(api, "coord.sof", operation="2014-2020", **SPRING_2023).json()
    assert doc["operation"]["code"] == "5002786"


@pytest.mark.parametrize("user", ["cw.sof.centre", "cw.sof.roma", "auditor.sof", "analyst.thessaly", "coord.kar"])
def test_only_the_tenants_coordinators_get_the_delivery(api: Api, user: str) -> None:
    for fmt in ("json", "csv", "xlsx"):
        response = report(api, user, format=fmt, **SOFADES_2014)
        assert response.status_code == 403, (user, fmt, response.text)
        assert "5002786" not in response.text


def test_a_period_outside_the_operation_is_refused_with_its_dates(api: Api) -> None:
    response = report(api, "coord.sof", operation="5002786", **{"from": "2023-12-01", "to": "2024-01-31"})
    assert response.status_code == 422, response.text
    assert "2023-12-31" in response.json()["detail"]
    later = report(api, "coord.sof", operation="2021-2027", **SPRING_2023)
    assert later.status_code == 422
    assert "2024-01-01" in later.json()["detail"]


def test_an_unknown_operation_and_a_backwards_period_are_refused_clearly(api: Api) -> None:
    unknown = report(api, "coord.sof", operation="5002873", **SPRING_2023)  # Pylaia's code, not Sofades'
    assert unknown.status_code == 422
    assert "no operation '5002873'" in unknown.json()["detail"]
    backwards = report(api, "coord.sof", operation="5002786", **{"from": "2023-06-30", "to": "2023-03-01"})
    assert backwards.status_code == 422
    assert "before" in backwards.json()["detail"]
    bad_format = report(api, "coord.sof", format="pdf", **SOFADES_2014)
    assert bad_format.status_code == 422


def test_no_name_or_amka_leaves_in_the_participant_files_and_nothing_runs_as_a_formula(api: Api) -> None:
    register(api, 3)
    amka = make_amka(date(1979, 3, 4), 3)
    for fmt in ("json", "csv"):
        text = report(api, "coord.sof", format=fmt, part="participants", **SOFADES_2014).content.decode("utf-8-sig")
        assert amka not in text
        assert SURNAME not in text
        assert "HYPERLINK" not in text
    workbook = load_workbook(io.BytesIO(report(api, "coord.sof", format="xlsx", **SOFADES_2014).content))
    for sheet in workbook:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, str) and value.startswith("=")), value
                assert value not in (amka, SURNAME)


def test_esf_indicators_honour_a_file_format_and_refuse_one_not_offered(api: Api) -> None:
    register(api, 4)
    params = {"programme": "2014-2020", **SPRING_2023}
    url = "/api/v1/tenants/sofades/esf-indicators"
    xlsx = api.client.get(url, params={**params, "format": "xlsx"}, headers=api.headers("coord.sof"))
    assert xlsx.status_code == 200, xlsx.text
    header = list(load_workbook(io.BytesIO(xlsx.content))["Δείκτες"].iter_rows(max_row=3, values_only=True))
    assert header[1][:2] == ("Κωδικός MIS/ΟΠΣ (mis_code)", "5002786")
    as_csv = api.client.get(url, params={**params, "format": "csv"}, headers=api.headers("coord.sof"))
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert {r["Κωδικός MIS/ΟΠΣ (mis_code)"] for r in csv_rows(as_csv.content)} == {"5002786"}
    refused = api.client.get(url, params={**params, "format": "pdf"}, headers=api.headers("coord.sof"))
    assert refused.status_code == 422


def test_esf_indicators_refuse_a_period_outside_the_programmes_operation(api: Api) -> None:
    url = "/api/v1/tenants/sofades/esf-indicators"
    params = {"programme": "2014-2020", "from": "2024-05-01", "to": "2024-05-31"}
    response = api.client.get(url, params=params, headers=api.headers("coord.sof"))
    assert response.status_code == 422
    assert "2023-12-31" in response.json()["detail"]


def test_the_operations_are_listed_with_their_codes_and_dates(api: Api) -> None:
    response = api.client.get("/api/v1/tenants/sofades/operations", headers=api.headers("cw.sof.centre"))
    assert response.status_code == 200, response.text
    ops = {o["period"]: o for o in response.json()}
    assert ops["2014-2020"]["code"] == "5002786"
    assert (ops["2014-2020"]["from"], ops["2014-2020"]["to"]) == (None, "2023-12-31")
    assert (ops["2021-2027"]["code"], ops["2021-2027"]["from"]) == (None, "2024-01-01")
    listed = api.client.get("/api/v1/tenants", headers=api.headers("admin")).json()
    pylaia = next(t for t in listed if t["id"] == "pylaia-chortiatis")
    assert pylaia["operations"][0]["title"] == "Κέντρο Κοινότητας Δήμου Πυλαίας-Χορτιάτη"
    assert pylaia["operations"][0]["budget_amended_eur"] == "594126.00"
    other = api.client.get("/api/v1/tenants/sofades/operations", headers=api.headers("coord.kar"))
    assert other.status_code == 403


def participants(api: Api, fmt: str = "csv", **period: str) -> list[dict[str, str]]:
    response = report(api, "coord.sof", operation="5002786", format=fmt, part="participants", **period)
    assert response.status_code == 200, response.text
    return csv_rows(response.content)


def test_the_participant_file_names_people_by_a_pseudonym_that_links_entry_and_exit(api: Api) -> None:
    her = register(api, 5)
    left = api.post(
        "coord.sof",
        f"/beneficiaries/{her}/operation-exits",
        {
            "occurred_on": "2023-09-15",
            "status": {
                "job_searching": True,
                "in_education_or_training": False,
                "qualification_gained": False,
                "employed": False,
            },
        },
    )
    assert left.status_code == 201, left.text
    entered = participants(api, **SPRING_2023)
    exited = participants(api, **{"from": "2023-09-01", "to": "2023-09-30"})
    assert len(entered) == len(exited) == 1
    pseudonym = entered[0]["Κωδικός συμμετέχοντα (participant)"]
    assert pseudonym == exited[0]["Κωδικός συμμετέχοντα (participant)"]  # the same person in both files
    assert her not in pseudonym
    kafka = str(api.kentra.keys(api.kentra.registry.tenant("sofades")).pseudonym(UUID(her)))
    assert pseudonym != kafka  # not the Regions' pseudonym: the files cannot be joined with their stream
    row = exited[0]
    assert (row["Ημερομηνία εισόδου (entered_on)"], row["Ημερομηνία εξόδου (left_on)"]) == ("2023-04-03", "2023-09-15")
    assert row["Αναζητά εργασία κατά την έξοδο (job_searching)"] == "ναι"
    assert row["Εργάζεται κατά την έξοδο (employed)"] == "όχι"
    # the intake's special answers: disability yes, minority refused, other disadvantage no
    assert (row["Αναπηρία (disability)"], row["Μειονότητα (minority)"]) == ("ναι", "άρνηση")
    assert row["Άλλη μειονεκτική θέση (other_disadvantage)"] == "όχι"
    as_json = report(api, "coord.sof", operation="5002786", part="participants", **SPRING_2023).json()
    assert [p["participant"] for p in as_json["people"]] == [pseudonym]
    assert "beneficiary_id" not in as_json["people"][0]
    assert as_json["people"][0]["minority"] == "refused"
