"""Attacks on signing in and on the pages: guessing, forged posts, framing, open redirects, copied
sessions, long-lived tokens. Each test does what an attacker would and expects to be refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from gateways.http.app import create_app
from infra.accounts import WeakPasswordError
from infra.bootstrap import Kentra, bootstrap
from infra.settings import Settings, token_secret
from infra.tokens import TokenIssuer
from services.access import Principal, Role
from services.casework import read_log
from tests.conftest import TEST_MASTER_KEY, Clock
from tests.e2e.conftest import PASSWORD, Api
from tests.e2e.test_web import csrf, sign_in
from tests.e2e.test_web_forms import PERSON, command_id

TEMPLATES = Path(__file__).parents[2] / "gateways" / "web" / "templates"
TOKEN = "/api/v1/auth/token"


def guess(client: TestClient, user: str) -> Any:
    """One wrong password for the user."""
    return client.post(TOKEN, data={"username": user, "password": "not the password at all"})


# ------------------------------------------------------------------------------- password guessing
def test_guessing_one_accounts_password_is_answered_429_with_retry_after_even_for_the_right_one(api: Api) -> None:
    for _ in range(5):
        assert guess(api.client, "coord.sof").status_code == 401
    refused = api.client.post(TOKEN, data={"username": "coord.sof", "password": PASSWORD})
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert api.client.post(TOKEN, data={"username": "Coord.Sof ", "password": PASSWORD}).status_code == 429
    other = api.client.post(TOKEN, data={"username": "coord.kar", "password": PASSWORD})
    assert other.status_code == 200  # another account of the same client is not locked out by it


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[tuple[Kentra, TestClient]]:
    settings = Settings(
        data_dir=tmp_path, master_key=SecretStr(TEST_MASTER_KEY), sign_in_limit_per_client="3/15 minutes"
    )
    kentra = bootstrap(settings, today=Clock())
    kentra.provision_platform()
    kentra.accounts.add(Principal("coord.sof", Role.COORDINATOR, frozenset({"sofades"})), PASSWORD)
    with TestClient(create_app(kentra), raise_server_exceptions=False) as client:
        yield kentra, client
    kentra.close()


def test_guessing_across_many_accounts_from_one_client_is_throttled_per_client(
    strict: tuple[Kentra, TestClient],
) -> None:
    _, client = strict
    for name in ("a.one", "a.two", "a.three"):  # one guess each: no account reaches its own limit
        assert guess(client, name).status_code == 401
    refused = client.post(TOKEN, data={"username": "coord.sof", "password": PASSWORD})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0


def test_guessing_on_the_sign_in_page_is_throttled_with_a_greek_message(api: Api) -> None:
    for _ in range(5):
        wrong = api.client.post(
            "/login", data={"username": "coord.sof", "password": "not it at all", "csrf_token": csrf(api, "/")}
        )
        assert wrong.status_code == 401
    page = api.client.post("/login", data={"username": "coord.sof", "password": PASSWORD, "csrf_token": csrf(api, "/")})
    assert page.status_code == 429
    assert int(page.headers["retry-after"]) > 0
    assert "Πολλές αποτυχημένες προσπάθειες σύνδεσης. Δοκιμάστε ξανά σε 15 λεπτά." in page.text
    assert "kentra_session" not in page.headers.get("set-cookie", "")


@pytest.mark.parametrize("weak", ["password1234", "aaaaaaaaaaaa", "short pass", "coord.sof.2024"])
def test_a_guessable_password_is_refused_for_a_new_user(api: Api, weak: str) -> None:
    with pytest.raises(WeakPasswordError):
        api.kentra.accounts.add(Principal("coord.sof.2024", Role.COORDINATOR, frozenset({"sofades"})), weak)
    assert api.kentra.accounts.authenticate("coord.sof.2024", weak) is None


def test_a_user_changing_her_password_to_a_guessable_one_is_told_in_greek(api: Api) -> None:
    sign_in(api, "coord.sof")
    form = {"current": PASSWORD, "csrf_token": csrf(api, "/password")}
    weak = api.client.post("/password", data={**form, "new": "password1234", "repeated": "password1234"})
    assert weak.status_code == 422
    assert "Ο κωδικός μαντεύεται εύκολα" in weak.text
    same = api.client.post("/password", data={**form, "new": "aaaaaaaaaaaa", "repeated": "aaaaaaaaaaaa"})
    assert "Ο κωδικός μαντεύεται εύκολα" in same.text
    short = api.client.post("/password", data={**form, "new": "kentra", "repeated": "kentra"})
    assert "τουλάχιστον 12 χαρακτήρες" in short.text
    assert api.kentra.accounts.authenticate("coord.sof", PASSWORD) is not None  # unchanged


def test_a_new_password_ends_every_other_session(api: Api) -> None:
    bearer = api.headers("coord.sof")
    sign_in(api, "coord.sof")
    new = "thistle harbour quietly 42"
    changed = api.client.post(
        "/password",
        data={"current": PASSWORD, "new": new, "repeated": new, "csrf_token": csrf(api, "/password")},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert api.client.get("/api/v1/tenants", headers=bearer).status_code == 401  # the old token is dead
    assert api.client.get("/home", follow_redirects=False).status_code == 200  # this browser signed in anew
    assert api.kentra.accounts.authenticate("coord.sof", new) is not None


# --------------------------------------------------------------------------------------------- CSRF
def test_signing_in_without_the_forms_token_is_refused(api: Api) -> None:
    forged = api.client.post("/login", data={"username": "coord.sof", "password": PASSWORD}, follow_redirects=False)
    assert forged.status_code == 403
    assert "Η φόρμα δεν έγινε δεκτή" in forged.text
    assert "kentra_session" not in forged.headers.get("set-cookie", "")


def test_a_form_posted_from_another_site_is_refused_even_with_a_token(api: Api) -> None:
    sign_in(api, "cw.sof.centre")
    page = api.client.get("/t/sofades/intake")
    before = len(list(read_log(api.kentra.casework("sofades"))))
    fields = {**PERSON, "command_id": command_id(page.text), "csrf_token": csrf(api)}
    for site in ("cross-site", "same-site"):
        sent = api.client.post("/t/sofades/intake", data=fields, headers={"Sec-Fetch-Site": site})
        assert sent.status_code == 403
    without = {k: v for k, v in fields.items() if k != "csrf_token"}
    assert api.client.post("/t/sofades/intake", data=without).status_code == 403
    assert len(list(read_log(api.kentra.casework("sofades")))) == before  # nothing recorded


def test_a_token_of_another_session_does_not_pass(api: Api) -> None:
    sign_in(api, "coord.kar")
    theirs = csrf(api)
    api.client.cookies.clear()
    sign_in(api, "cw.sof.centre")
    page = api.client.get("/t/sofades/intake")
    sent = api.client.post(
        "/t/sofades/intake", data={**PERSON, "command_id": command_id(page.text), "csrf_token": theirs}
    )
    assert sent.status_code == 403


def test_signing_out_without_the_token_is_refused_and_the_session_goes_on(api: Api) -> None:
    sign_in(api, "coord.sof")
    assert api.client.post("/logout", follow_redirects=False).status_code == 403
    assert api.client.get("/home", follow_redirects=False).status_code == 200


# ------------------------------------------------------------------------------------------ headers
def test_pages_and_answers_forbid_inline_script_framing_sniffing_and_caching(api: Api) -> None:
    sign_in(api, "coord.sof")
    page = api.client.get("/t/sofades/dashboard", params={"from": "2024-05-01", "to": "2024-05-31"})
    answer = api.client.get("/api/v1/tenants", headers=api.headers("coord.sof"))
    for response in (page, answer, api.client.get("/")):
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy
        assert "default-src 'none'" in policy
        assert "unsafe-inline" not in policy
        assert "script-src" not in policy  # none at all, by default-src
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["cache-control"] == "no-store"
    assert "<script" not in page.text
    assert "style=" not in page.text
    assert "<style" not in page.text


def test_no_template_carries_inline_script_or_style() -> None:
    inline = re.compile(r"<script|<style|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)
    # Issue 25: the field app's shell, the one page with a script, loads its own module file only.
    field_script = '<script type="module" src="/static/field/app.js"></script>'
    allowed = {"field.html": 1}
    found = [
        path.name
        for path in TEMPLATES.glob("*.html")
        if inline.search(path.read_text(encoding="utf-8").replace(field_script, "", allowed.get(path.name, 0)))
    ]
    assert found == []


def test_the_interactive_docs_allow_only_their_own_inline_scripts_by_hash(api: Api) -> None:
    docs = api.client.get("/docs")
    assert docs.status_code == 200
    policy = docs.headers["content-security-policy"]
    assert "'sha256-" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


# --------------------------------------------------------------------------------------- redirects
@pytest.mark.parametrize(
    "referer",
    [
        "http://testserver//evil.example/x",
        "http://testserver/\\evil.example",
        "http://testserver/\\/evil.example",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example",
        "http://testserver/%0a/\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_the_language_switch_never_sends_the_user_to_another_site(api: Api, referer: str) -> None:
    location = api.client.get("/lang/en", headers={"referer": referer}, follow_redirects=False).headers["location"]
    assert location == "/"


def test_the_language_switch_returns_to_the_same_page_of_this_site(api: Api) -> None:
    back = "http://testserver/t/sofades/dashboard?from=2024-05-01&to=2024-05-31"
    location = api.client.get("/lang/en", headers={"referer": back}, follow_redirects=False).headers["location"]
    assert location == "/t/sofades/dashboard?from=2024-05-01&to=2024-05-31"


# ------------------------------------------------------------------------------- sessions and tokens
def test_a_copied_session_cookie_stops_working_once_its_owner_signs_out(api: Api) -> None:
    sign_in(api, "coord.sof")
    copied = api.client.cookies["kentra_session"]
    assert api.client.post("/logout", data={"csrf_token": csrf(api)}, follow_redirects=False).status_code == 303
    with TestClient(api.client.app) as thief:
        thief.cookies.set("kentra_session", copied)
        assert thief.get("/home", follow_redirects=False).headers["location"] == "/"
        assert thief.get("/t/sofades/dashboard", follow_redirects=False).status_code == 303


def test_a_copied_bearer_token_stops_working_once_its_owner_signs_out(api: Api) -> None:
    headers = api.headers("coord.sof")
    assert api.client.get("/api/v1/tenants", headers=headers).status_code == 200
    assert api.client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert api.client.get("/api/v1/tenants", headers=headers).status_code == 401


def test_a_kentra_token_that_claims_a_longer_life_than_the_server_allows_is_refused(api: Api) -> None:
    secret = token_secret(api.kentra.settings, api.kentra.settings.master_key_bytes())
    principal = Principal("coord.sof", Role.COORDINATOR, frozenset({"sofades"}))
    session = api.kentra.accounts.open_session("coord.sof", 900)
    fair = TokenIssuer(secret, api.kentra.tokens.ttl_seconds).issue(principal, session)
    assert api.client.get("/api/v1/tenants", headers={"Authorization": f"Bearer {fair}"}).status_code == 200
    year = TokenIssuer(secret, 365 * 86400).issue(principal, session)  # signed with the real secret
    assert api.client.get("/api/v1/tenants", headers={"Authorization": f"Bearer {year}"}).status_code == 401
    with TestClient(api.client.app) as browser:
        browser.cookies.set("kentra_session", year)
        assert browser.get("/home", follow_redirects=False).status_code == 303  # back to sign in


def test_metrics_are_not_served_on_the_apis_port(api: Api) -> None:
    assert api.client.get("/metrics").status_code == 404


def test_an_internal_error_answer_carries_the_same_security_headers_and_no_store(
    strict: tuple[Kentra, TestClient],
) -> None:
    """A 500 may carry what the failed request was about: it is not cached nor framed either."""
    _, client = strict
    app: Any = client.app

    def broken() -> None:
        raise RuntimeError("a fault deep in a request")

    app.add_api_route("/api/v1/broken-for-the-test", broken, methods=["GET"])
    answer = client.get("/api/v1/broken-for-the-test")
    assert answer.status_code == 500
    assert answer.headers.get("cache-control") == "no-store"
    assert "frame-ancestors 'none'" in answer.headers.get("content-security-policy", "")
    assert answer.headers.get("x-content-type-options") == "nosniff"
