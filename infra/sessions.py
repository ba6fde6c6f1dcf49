"""Signing in and out with Kentra's own tokens: each token names a session row in the platform store.

Signing out (or a new password, or disabling the user) ends the session on the server, so a copied
cookie or bearer token stops working at once, not when it expires.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from infra.tokens import InvalidTokenError, TokenIssuer

if TYPE_CHECKING:
    from infra.accounts import SqlAccounts
    from services.access import Principal


class Sessions:
    def __init__(self, tokens: TokenIssuer, accounts: Callable[[], SqlAccounts]) -> None:
        self.tokens = tokens
        self._accounts = accounts

    def open(self, principal: Principal) -> str:
        """A token for a new session of the (authenticated) user."""
        session = self._accounts().open_session(principal.username, self.tokens.ttl_seconds)
        return self.tokens.issue(principal, session)

    def principal(self, token: str) -> Principal:
        """The caller's current rights; refused if the token is bad, its session ended or the user disabled."""
        username, session = self.tokens.session(token)
        principal = self._accounts().session_principal(session, username)
        if principal is None:
            raise InvalidTokenError("unknown or ended session, or disabled user")
        return principal

    def session_id(self, token: str) -> str:
        """The session a valid token names (for binding a form's CSRF token to it)."""
        return self.tokens.session(token)[1]

    def close(self, token: str) -> None:
        """End the token's session. A token that is not valid has nothing to end."""
        try:
            _, session = self.tokens.session(token)
        except InvalidTokenError:
            return
        self._accounts().revoke_session(session)
