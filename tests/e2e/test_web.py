"""The pages, through the same application: sign-in, Greek by default with an English switch, the
municipality dashboard with charts drawn on the server, downloads, and the same rights as the API."""

from __future__ import annotations

import base64
import re

from services.casework import read_log
from tests.e2e.conftest import PASSWORD, Api
from tests.e2e.test_indicators_api import open_request, register


def csrf(api: Api, path: str = "/home") -> str:
    """The CSRF token a page drew into its forms (the session's, or the browser's before sign-in)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', api.client.get(path).text)
    assert found, f"{path} has a form with its CSRF token"
    return found.group(1)


def sign_in(api: Api, user: str) -> None:
    response = api.client.post(
        "/login", data={"username": user, "password": PASSWORD, "csrf_token": csrf(api, "/")}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/home"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie


def sign_out(api: Api) -> None:
    assert api.client.post("/logout", data={"csrf_token": csrf(api)}, follow_redirects=False).status_code == 303


def test_the_front_page_is_a_greek_sign_in_page_and_a_wrong_password_is_said_plainly(api: Api) -> None:
    page = api.client.get("/")
    assert page.status_code == 200
    assert '<html lang="el">' in page.text
    assert '<label for="username">Όνομα χρήστη</label>' in page.text
    wrong = api.client.post(
        "/login", data={"username": "coord.sof", "password": "not it at all", "csrf_token": csrf(api, "/")}
    )
    assert wrong.status_code == 401
    assert "Λάθος όνομα χρήστη ή κωδικός." in wrong.text
    english = api.client.get("/lang/en", headers={"referer": "http://testserver/"}, follow_redirects=True)
    assert '<html lang="en">' in english.text
    assert "Wrong user name" not in english.text
    assert (
        api.client.get("/lang/en", headers={"referer": "https://evil.example/x"}, follow_redirects=False).headers[
            "location"
        ]
        == "/x"
    )  # back to a path of this site, never to another


def test_the_dashboard_shows_the_figures_in_charts_and_tables_and_downloads_them(api: Api) -> None:
    her = register(api, "female", "centre", 21)
    open_request(api, her, "centre", "housing_benefit")
    sign_in(api, "coord.sof")
    page = api.client.get("/t/sofades/dashboard", params={"from": "2024-05-01", "to": "2024-05-31"})
    assert page.status_code == 200
    assert "Μοναδικοί ωφελούμενοι ανά μήνα, κατά φύλο" in page.text
    charts = re.findall(
        r'<img class="chart" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)">', page.text
    )
    assert len(charts) == 3  # drawn on the server: no script, nothing fetched
    assert all(base64.b64decode(svg).startswith(b"<svg") for svg, _ in charts)
    assert charts[0][1] == "Μοναδικοί ωφελούμενοι ανά μήνα, κατά φύλο"
    assert "<script" not in page.text
    assert '<th scope="row">Μάι 2024</th><td>1</td><td>0</td>' in page.text  # months in Greek
    assert '<th scope="row">Επίδομα Στέγασης</th><td>1</td>' in page.text
    csv = api.client.get("/t/sofades/dashboard/download", params={"from": "2024-05-01", "to": "2024-05-31"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert "Μοναδικοί ωφελούμενοι ανά μήνα;Μάι 2024;1;0;0;0;1" in csv.text  # a Greek Excel's CSV
    bad = api.client.get("/t/sofades/dashboard", params={"from": "2024-06-01", "to": "2024-05-01"})
    assert bad.status_code == 422
    assert "Η περίοδος δεν είναι έγκυρη." in bad.text


def test_pages_keep_the_apis_rights(api: Api) -> None:
    assert api.client.get("/t/sofades/dashboard", follow_redirects=False).headers["location"] == "/"
    sign_in(api, "coord.kar")
    refused = api.client.get("/t/sofades/dashboard")
    assert refused.status_code == 403
    assert "Δεν έχετε πρόσβαση" in refused.text
    assert "/t/karditsa/dashboard" in api.client.get("/home").text
    sign_out(api)
    assert api.client.get("/home", follow_redirects=False).status_code == 303
    assert api.client.get("/static/kentra.css").status_code == 200


def test_a_regional_analyst_sees_the_regions_municipalities_and_total_with_small_cells_hidden(api: Api) -> None:
    for serial in range(10):
        register(api, "female" if serial < 3 else "male", "centre", 40 + serial)
    sign_in(api, "analyst.thessaly")
    home = api.client.get("/home", follow_redirects=False)
    assert home.headers["location"] == "/r/thessaly/dashboard"
    page = api.client.get("/r/thessaly/dashboard", params={"period": "2024-05"})
    assert page.status_code == 200
    assert "Σύνολο Περιφέρειας" in page.text
    assert "Δήμος Σοφάδων" in page.text
    assert page.text.count(">χ</abbr>") >= 4  # three women, and the men who would give them away, twice
    assert "&lt;5" not in page.text
    assert "<td>10</td>" in page.text  # the total of ten is shown
    refused = api.client.get("/r/thessaly/dashboard", params={"period": "2024-05-03"})
    assert refused.status_code == 422
    assert "2022-Q3" in refused.text  # the periods it reads, in Greek
    assert api.client.get("/r/central-macedonia/dashboard").status_code == 403
    assert api.client.get("/t/sofades/dashboard").status_code == 403  # an analyst reads no casework


def test_an_auditor_sees_the_chain_replays_a_period_and_drills_into_a_cell_and_each_look_is_recorded(
    api: Api,
) -> None:
    open_request(api, register(api, "female", "centre", 60), "centre")
    sign_in(api, "auditor.sof")
    assert '/t/sofades/audit"' in api.client.get("/home").text
    page = api.client.get("/t/sofades/audit")
    assert "Η αλυσίδα επαληθεύτηκε" in page.text
    replay = api.client.get("/t/sofades/audit", params={"from": "2024-05-01", "to": "2024-05-31", "basis": "recorded"})
    assert replay.status_code == 200
    assert "cell=served/2024-05/female" in replay.text
    drill = api.client.get(
        "/t/sofades/audit/drilldown", params={"from": "2024-05-01", "to": "2024-05-31", "cell": "served/2024-05/female"}
    )
    assert drill.status_code == 200
    assert "<strong>1</strong>" in drill.text
    assert "pseudonym:" in drill.text  # the person by pseudonym only
    asked = [e.endpoint for e in read_log(api.kentra.casework("sofades")) if type(e).__qualname__ == "AuditQuery.Asked"]
    assert asked.count("GET /audit/drilldown") == 1
    assert asked.count("GET /audit/indicators") == 1
    sign_in(api, "coord.sof")
    assert api.client.get("/t/sofades/audit").status_code == 403


def test_a_caseworker_sees_her_own_structures_caseload(api: Api) -> None:
    open_request(api, register(api, "female", "centre", 70), "centre")
    open_request(api, register(api, "male", "roma-branch", 71), "roma-branch")
    sign_in(api, "cw.sof.centre")
    assert "/t/sofades/caseload" in api.client.get("/home").text
    page = api.client.get("/t/sofades/caseload")
    assert page.status_code == 200
    assert '<th scope="row">Κέντρο Κοινότητας Δήμου Σοφάδων</th><td>coord.sof</td>' in page.text  # by name
    assert "roma-branch" not in page.text  # her structure only
    assert "Παράρτημα Ρομά" not in page.text
