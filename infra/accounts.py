"""Users of Kentra (platform-wide, not per tenant): SQL rows with argon2id password hashes, and their
signed-in sessions (a token names its session, so signing out or a new password ends it at once)."""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from zxcvbn import zxcvbn

from infra.machine import usable_cores
from services.access import Principal, Role

metadata = MetaData()
users = Table(
    "kentra_users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("tenants", String(2000), nullable=False, default=""),
    Column("structure", String(40)),
    Column("region", String(40)),
    Column("personal_data", Boolean, nullable=False, default=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("full_name", String(200)),  # how colleagues see the person in the pages (issue 20)
)
# Columns added after the table's first release, and how an existing table gets each.
ADDED_COLUMNS = {
    "personal_data": "personal_data BOOLEAN NOT NULL DEFAULT FALSE",
    "full_name": "full_name VARCHAR(200)",
}

sessions = Table(
    "kentra_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

MIN_PASSWORD_LENGTH = 12
MIN_PASSWORD_SCORE = 3  # zxcvbn's 0-4: 3 is "safely unguessable" against an online attack and more
_SCORED_LENGTH = 72  # zxcvbn refuses longer input; the first 72 characters bound the strength from below


class WeakPasswordError(ValueError):
    """A password too short or too easy to guess; ``reason`` is "short" or "guessable"."""

    def __init__(self, reason: Literal["short", "guessable"]) -> None:
        self.reason = reason
        super().__init__(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
            if reason == "short"
            else "the password is too easy to guess (a common word or pattern): use several uncommon words"
        )


def check_password(password: str, username: str = "") -> None:
    """Refuse a password shorter than 12 characters or that zxcvbn scores below 3 (user name counted)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError("short")
    inputs = [username, *username.replace("_", ".").replace("-", ".").split(".")] if username else []
    if zxcvbn(password[:_SCORED_LENGTH], user_inputs=inputs)["score"] < MIN_PASSWORD_SCORE:
        raise WeakPasswordError("guessable")


class UserExistsError(Exception):
    def __init__(self, username: str) -> None:
        super().__init__(f"user {username!r} exists already")


# Argon2id as argon2-cffi sets it takes 64 MiB for each hash or check, and runs outside the GIL: 32
# sign-ins at once (a morning's logins, a benchmark's clients, someone trying passwords from many
# addresses) took 600 MB and more in one API process. At most one per core at a time, in each process:
# the memory is bounded (cores x 64 MiB) and the CPU, which they would share anyway, is not lost.
_HASHING = threading.BoundedSemaphore(usable_cores())


class BoundedHasher:
    """A password hasher that runs at most as many hashes and checks at once as ``slots`` allows."""

    def __init__(self, hasher: PasswordHasher, slots: threading.BoundedSemaphore) -> None:
        self._hasher = hasher
        self._slots = slots

    def hash(self, password: str) -> str:
        with self._slots:
            return self._hasher.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        with self._slots:
            return self._hasher.verify(hashed, password)


class SqlAccounts:
    def __init__(
        self,
        engine: Engine,
        schema: str | None = None,
        *,
        hasher: PasswordHasher | None = None,
        hashing_at_once: threading.BoundedSemaphore = _HASHING,
    ) -> None:
        self._engine = engine.execution_options(schema_translate_map={None: schema}) if schema else engine
        self._hasher = BoundedHasher(hasher or PasswordHasher(), hashing_at_once)
        self._dummy_hash = self._hasher.hash("timing-equaliser")

    @property
    def engine(self) -> Engine:
        return self._engine

    def ping(self) -> None:
        """Raise unless the platform database answers (readiness probes)."""
        with self._engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def create_tables(self) -> None:
        metadata.create_all(self._engine)
        with self._engine.begin() as conn:  # users tables made before the column existed
            schema = conn.get_execution_options().get("schema_translate_map", {}).get(None)
            present = {c["name"] for c in inspect(conn).get_columns(users.name, schema=schema)}
            table = f'"{schema}".{users.name}' if schema else users.name
            for name, definition in ADDED_COLUMNS.items():
                if name not in present:
                    conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {definition}"))

    def add(self, principal: Principal, password: str) -> None:
        check_password(password, principal.username)
        row = {
            "username": principal.username,
            "password_hash": self._hasher.hash(password),
            "role": principal.role.value,
            "tenants": ",".join(sorted(principal.tenants)),
            "structure": principal.structure,
            "region": principal.region,
            "personal_data": principal.personal_data,
            "full_name": principal.full_name or None,
            "active": True,
            "created_at": datetime.now(UTC),
        }
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(users).values(**row))
        except IntegrityError:
            raise UserExistsError(principal.username) from None

    def set_password(self, username: str, password: str) -> bool:
        """A new password; every session of the user ends (a token copied before stops working)."""
        check_password(password, username)
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(users).where(users.c.username == username).values(password_hash=self._hasher.hash(password))
            ).rowcount
            self._revoke(conn, sessions.c.username == username)
        return bool(changed == 1)

    def set_full_name(self, username: str, full_name: str) -> bool:
        with self._engine.begin() as conn:
            return (
                conn.execute(update(users).where(users.c.username == username).values(full_name=full_name)).rowcount
                == 1
            )

    def set_active(self, username: str, active: bool) -> bool:
        with self._engine.begin() as conn:
            if not active:
                self._revoke(conn, sessions.c.username == username)
            return conn.execute(update(users).where(users.c.username == username).values(active=active)).rowcount == 1

    # ------------------------------------------------------------------------------------ sessions
    def open_session(self, username: str, ttl_seconds: int) -> str:
        """A new session of the user: its id, random, goes into the token (never the other way)."""
        now = datetime.now(UTC)
        session = secrets.token_urlsafe(24)
        with self._engine.begin() as conn:
            conn.execute(
                insert(sessions).values(
                    id=session, username=username, created_at=now, expires_at=now + timedelta(seconds=ttl_seconds)
                )
            )
        return session

    def session_principal(self, session: str, username: str) -> Principal | None:
        """The user's current rights, if the session is theirs and open and the user active."""
        # One query, not two (issue 24: every API request asks it): the user's row, if the session is open.
        with self._engine.connect() as conn:
            row = conn.execute(
                select(users)
                .join(sessions, sessions.c.username == users.c.username)
                .where(
                    sessions.c.id == session,
                    sessions.c.username == username,
                    sessions.c.revoked_at.is_(None),
                    users.c.username == username,
                    users.c.active,
                )
            ).first()
        return None if row is None else self._principal_of(row)

    def revoke_session(self, session: str) -> None:
        with self._engine.begin() as conn:
            self._revoke(conn, sessions.c.id == session)

    @staticmethod
    def _revoke(conn: Connection, which: ColumnElement[bool]) -> None:
        ended = update(sessions).where(which, sessions.c.revoked_at.is_(None))
        conn.execute(ended.values(revoked_at=datetime.now(UTC)))

    def principal(self, username: str) -> Principal | None:
        """The active user's current rights (so a token of a disabled user stops working)."""
        with self._engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username, users.c.active)).first()
        return None if row is None else self._principal_of(row)

    @staticmethod
    def _principal_of(row: Any) -> Principal:
        return Principal(
            username=row.username,
            role=Role(row.role),
            tenants=frozenset(t for t in row.tenants.split(",") if t),
            structure=row.structure,
            region=row.region,
            personal_data=bool(row.personal_data),
            full_name=row.full_name or "",
        )

    def authenticate(self, username: str, password: str) -> Principal | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(users.c.password_hash).where(users.c.username == username, users.c.active)
            ).first()
        try:
            # Hash even for an unknown user so that timing does not tell which users exist.
            self._hasher.verify(row.password_hash if row else self._dummy_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return self.principal(username) if row else None

    def staff(self, tenant_id: str) -> list[Principal]:
        """The tenant's active caseworkers and coordinators, by name: who a case can be given to."""
        members = [
            p
            for p in self.all()
            if p.role in (Role.CASEWORKER, Role.COORDINATOR) and p.tenants == frozenset({tenant_id})
        ]
        return sorted(members, key=lambda p: (p.display_name.casefold(), p.username))

    def all(self) -> list[Principal]:
        with self._engine.connect() as conn:
            names = [r.username for r in conn.execute(select(users.c.username).order_by(users.c.username))]
        return [p for name in names if (p := self.principal(name)) is not None]
