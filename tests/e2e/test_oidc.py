"""Trusting an external OpenID Connect issuer: its keys are fetched from a JWKS served locally."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jwt.algorithms import RSAAlgorithm
from pydantic import SecretStr

from gateways.http.app import create_app
from infra.bootstrap import bootstrap
from infra.settings import Settings
from tests.conftest import TEST_MASTER_KEY, Clock

ISSUER = "https://idp.dimos-sofadon.gr/realms/kentra"
TRUSTED = rsa.generate_private_key(public_exponent=65537, key_size=2048)
STRANGER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def jwks_url() -> Iterator[str]:
    jwk = json.loads(RSAAlgorithm.to_jwk(TRUSTED.public_key())) | {"kid": "idp-1", "use": "sig", "alg": "RS256"}
    document = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *_: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/jwks"
    server.shutdown()


@pytest.fixture
def client(tmp_path: Path, jwks_url: str) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path,
        master_key=SecretStr(TEST_MASTER_KEY),
        oidc_issuer=ISSUER,
        oidc_jwks_url=jwks_url,
        oidc_audience="kentra",
    )
    kentra = bootstrap(settings, today=Clock())
    kentra.provision_platform()
    with TestClient(create_app(kentra), raise_server_exceptions=False) as test_client:
        yield test_client
    kentra.close()


def token(key: rsa.RSAPrivateKey = TRUSTED, **claims: Any) -> str:
    now = datetime.now(UTC)
    body = {
        "iss": ISSUER,
        "aud": "kentra",
        "sub": "a1b2",
        "preferred_username": "k.dimou",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "kentra_role": "coordinator",
        "kentra_tenants": ["sofades"],
    } | claims
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "idp-1"})


def tenants(client: TestClient, bearer: str) -> Any:
    return client.get("/api/v1/tenants", headers={"Authorization": f"Bearer {bearer}"})


def test_a_token_of_the_trusted_issuer_maps_its_claims_to_a_role_and_tenant(client: TestClient) -> None:
    response = tenants(client, token())
    assert response.status_code == 200, response.text
    assert [t["id"] for t in response.json()] == ["sofades"]
    analyst = tenants(
        client, token(kentra_role="regional_analyst", kentra_tenants=[], kentra_region="central-macedonia")
    )
    assert [t["id"] for t in analyst.json()] == ["pylaia-chortiatis"]


@pytest.mark.parametrize(
    "bad",
    [
        {"key": STRANGER},
        {"aud": "another-app"},
        {"iss": "https://idp.elsewhere.example"},
        {"exp": datetime.now(UTC) - timedelta(minutes=1)},
        {"kentra_role": "superuser"},
        {"kentra_tenants": ["volos"]},
        {"kentra_role": "caseworker"},  # a caseworker without a structure is no complete scope
        {"exp": datetime.now(UTC) + timedelta(days=30)},  # longer than the server's cap, whatever the issuer says
        {"iat": None},  # no issue time: its lifetime cannot be bounded
        {"iat": datetime.now(UTC) + timedelta(hours=1), "exp": datetime.now(UTC) + timedelta(hours=1, minutes=5)},
    ],
)
def test_a_token_that_does_not_fit_is_refused(client: TestClient, bad: dict[str, Any]) -> None:
    response = tenants(client, token(**bad))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
