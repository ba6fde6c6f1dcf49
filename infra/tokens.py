"""Bearer tokens: short-lived JWTs Kentra signs itself, or tokens of a trusted OpenID Connect issuer."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from services.access import Principal, Role

ISSUER = "kentra"
CLOCK_SKEW_SECONDS = 60  # a token issued "in the future" by more than this is refused


class InvalidTokenError(Exception):
    """The token is missing, malformed, expired, or not signed by a trusted key."""


def _within_lifetime(claims: dict[str, Any], cap_seconds: int) -> None:
    """Refuse a token meant to live longer than the cap, or issued in the future, whatever it claims."""
    issued, expires = claims.get("iat"), claims.get("exp")
    if not isinstance(issued, int | float) or not isinstance(expires, int | float):
        raise InvalidTokenError("token not accepted: iat and exp must be numbers")
    if expires - issued > cap_seconds:
        raise InvalidTokenError(f"token not accepted: it would live longer than {cap_seconds} s")
    if issued > datetime.now(UTC).timestamp() + CLOCK_SKEW_SECONDS:
        raise InvalidTokenError("token not accepted: issued in the future")


class TokenIssuer:
    """Kentra's own tokens: each names the session it belongs to (``sid``), which signing out ends."""

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def __repr__(self) -> str:
        return f"TokenIssuer(ttl_seconds={self.ttl_seconds})"

    def issue(self, principal: Principal, session: str) -> str:
        now = datetime.now(UTC)
        claims = {
            "iss": ISSUER,
            "sub": principal.username,
            "sid": session,
            "iat": now,
            "exp": now + timedelta(seconds=self.ttl_seconds),
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def form_token(self, binding: str) -> str:
        """A page form's CSRF token: an HMAC of what it is bound to (a session, or a browser before sign-in)."""
        return hmac.new(self._secret.encode(), b"kentra/csrf/v1|" + binding.encode(), hashlib.sha256).hexdigest()

    def device_salt(self, username: str) -> str:
        """The salt of a user's field-work device key (issue 25): fixed per user, so that after a reload
        she unlocks what she took with her password again; not secret (it sits beside the data)."""
        return hmac.new(self._secret.encode(), b"kentra/field-salt/v1|" + username.encode(), hashlib.sha256).hexdigest()

    def session(self, token: str) -> tuple[str, str]:
        """The user name and session a token was issued to; the session is checked on every request.

        The lifetime is capped by the server: a token that claims to live longer than the TTL is
        refused even when correctly signed (a leaked secret, a changed setting, a forged ``exp``).
        """
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss", "sid"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidTokenError(str(error)) from None
        _within_lifetime(claims, self.ttl_seconds)
        return str(claims["sub"]), str(claims["sid"])


class OidcVerifier:
    """Trusts an external issuer's tokens (RS256/ES256 by its JWKS) and maps claims to a Principal.

    Its tokens must carry ``iat`` and live no longer than ``max_lifetime_seconds`` (exp - iat), whatever
    the issuer set: Kentra cannot end an external session, so it bounds how long a copied one works.

    Claims read: ``kentra_role``, ``kentra_tenants`` (list), ``kentra_structure``, ``kentra_region``,
    and ``preferred_username`` (else ``sub``).
    """

    def __init__(self, issuer: str, jwks_url: str, audience: str, max_lifetime_seconds: int = 3600) -> None:
        self.issuer = issuer
        self.audience = audience
        self.max_lifetime_seconds = max_lifetime_seconds
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
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
            _within_lifetime(claims, self.max_lifetime_seconds)
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
