"""Bearer tokens: short-lived JWTs Kentra signs itself, or tokens of a trusted OpenID Connect issuer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from services.access import Principal, Role

ISSUER = "kentra"


class InvalidTokenError(Exception):
    """The token is missing, malformed, expired, or not signed by a trusted key."""


class TokenIssuer:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def __repr__(self) -> str:
        return f"TokenIssuer(ttl_seconds={self.ttl_seconds})"

    def issue(self, principal: Principal) -> str:
        now = datetime.now(UTC)
        claims = {
            "iss": ISSUER,
            "sub": principal.username,
            "iat": now,
            "exp": now + timedelta(seconds=self.ttl_seconds),
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def subject(self, token: str) -> str:
        """The user name a token was issued to; its rights are read afresh on every request."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidTokenError(str(error)) from None
        return str(claims["sub"])


class OidcVerifier:
    """Trusts an external issuer's tokens (RS256/ES256 by its JWKS) and maps claims to a Principal.

    Claims read: ``kentra_role``, ``kentra_tenants`` (list), ``kentra_structure``, ``kentra_region``,
    and ``preferred_username`` (else ``sub``).
    """

    def __init__(self, issuer: str, jwks_url: str, audience: str) -> None:
        self.issuer = issuer
        self.audience = audience
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, timeout=5)

    def principal(self, token: str) -> Principal:
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256", "ES256"],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
            tenants = claims.get("kentra_tenants") or []
            if not isinstance(tenants, list):
                raise InvalidTokenError("kentra_tenants must be a list")
            return Principal(
                username=str(claims.get("preferred_username") or claims["sub"]),
                role=Role(claims["kentra_role"]),
                tenants=frozenset(map(str, tenants)),
                structure=claims.get("kentra_structure"),
                region=claims.get("kentra_region"),
                personal_data=claims.get("kentra_personal_data") is True,
            )
        except (jwt.PyJWTError, KeyError, ValueError) as error:
            raise InvalidTokenError(f"token not accepted: {type(error).__name__}") from None
