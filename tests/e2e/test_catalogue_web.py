"""The catalogue page's attacks (issue 23): who may see it, who may change it, and a post without the
session's CSRF token."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import Api
from tests.e2e.test_web import csrf, sign_in

FORM = {
    "kind": "request_category",
    "code": "local_firewood",
    "label_el": "Καυσόξυλα <b>χειμώνα</b>",
    "label_en": "Winter firewood",
    "national": "food_aid_teba",
}


def test_a_coordinator_adds_and_retires_on_the_page_and_labels_are_escaped(api: Api) -> None:
    sign_in(api, "coord.sof")
    assert "/t/sofades/catalogue" in api.client.get("/home").text  # linked from her home page
    token = csrf(api, "/t/sofades/catalogue")
    added = api.client.post("/t/sofades/catalogue", data={**FORM, "csrf_token": token}, follow_redirects=False)
    assert (added.status_code, added.headers["location"]) == (303, "/t/sofades/catalogue?done=added")
    page = api.client.get("/t/sofades/catalogue").text
    assert "Καυσόξυλα &lt;b&gt;χειμώνα&lt;/b&gt;" in page
    assert "<b>χειμώνα</b>" not in page
    retired = api.client.post(
        "/t/sofades/catalogue/retire",
        data={"kind": "request_category", "code": "local_firewood", "csrf_token": token},
        follow_redirects=False,
    )
    assert retired.status_code == 303
    assert "Αποσύρθηκε" in api.client.get("/t/sofades/catalogue").text


def test_a_refused_entry_is_drawn_again_with_the_error_beside_its_field(api: Api) -> None:
    sign_in(api, "coord.sof")
    token = csrf(api, "/t/sofades/catalogue")
    refused = api.client.post("/t/sofades/catalogue", data={**FORM, "national": "opeka", "csrf_token": token})
    assert refused.status_code == 422
    assert "Επιλέξτε εθνικό κωδικό του ίδιου είδους." in refused.text
    bad_code = api.client.post("/t/sofades/catalogue", data={**FORM, "code": "firewood", "csrf_token": token})
    assert bad_code.status_code == 422
    assert 'id="f-code-error"' in bad_code.text


@pytest.mark.parametrize("user", ["cw.sof.centre", "cw.sof.roma", "auditor.sof"])
def test_the_tenants_staff_read_the_catalogue_but_are_offered_no_form_and_cannot_post(api: Api, user: str) -> None:
    sign_in(api, user)
    page = api.client.get("/t/sofades/catalogue")
    assert page.status_code == 200
    assert 'action="/t/sofades/catalogue"' not in page.text
    token = csrf(api, "/home")
    posted = api.client.post("/t/sofades/catalogue", data={**FORM, "csrf_token": token}, follow_redirects=False)
    assert posted.status_code == 403
    retired = api.client.post(
        "/t/sofades/catalogue/retire",
        data={"kind": "request_category", "code": "local_firewood", "csrf_token": token},
        follow_redirects=False,
    )
    assert retired.status_code == 403


@pytest.mark.parametrize("user", ["analyst.thessaly", "coord.kar", "admin"])
def test_nobody_outside_the_municipality_sees_its_catalogue_page(api: Api, user: str) -> None:
    sign_in(api, user)
    assert api.client.get("/t/sofades/catalogue").status_code == 403


def test_a_post_without_the_sessions_csrf_token_is_refused(api: Api) -> None:
    sign_in(api, "coord.sof")
    refused = api.client.post("/t/sofades/catalogue", data={**FORM, "csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    assert not re.search("local_firewood", api.client.get("/t/sofades/catalogue").text)
