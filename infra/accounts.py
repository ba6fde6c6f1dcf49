"""Users of Kentra (platform-wide, not per tenant): SQL rows with argon2id password hashes."""

from __future__ import annotations

from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, Column, DateTime, Engine, MetaData, String, Table, insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

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
)


class UserExistsError(Exception):
    def __init__(self, username: str) -> None:
        super().__init__(f"user {username!r} exists already")


class SqlAccounts:
    def __init__(self, engine: Engine, schema: str | None = None) -> None:
        self._engine = engine.execution_options(schema_translate_map={None: schema}) if schema else engine
        self._hasher = PasswordHasher()
        self._dummy_hash = self._hasher.hash("timing-equaliser")

    @property
    def engine(self) -> Engine:
        return self._engine

    def create_tables(self) -> None:
        metadata.create_all(self._engine)
        with self._engine.begin() as conn:  # users tables made before the column existed
            schema = conn.get_execution_options().get("schema_translate_map", {}).get(None)
            present = {c["name"] for c in inspect(conn).get_columns(users.name, schema=schema)}
            if "personal_data" not in present:
                table = f'"{schema}".{users.name}' if schema else users.name
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN personal_data BOOLEAN NOT NULL DEFAULT FALSE"))

    def add(self, principal: Principal, password: str) -> None:
        row = {
            "username": principal.username,
            "password_hash": self._hasher.hash(password),
            "role": principal.role.value,
            "tenants": ",".join(sorted(principal.tenants)),
            "structure": principal.structure,
            "region": principal.region,
            "personal_data": principal.personal_data,
            "active": True,
            "created_at": datetime.now(UTC),
        }
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(users).values(**row))
        except IntegrityError:
            raise UserExistsError(principal.username) from None

    def set_password(self, username: str, password: str) -> bool:
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(users).where(users.c.username == username).values(password_hash=self._hasher.hash(password))
            ).rowcount
        return bool(changed == 1)

    def set_active(self, username: str, active: bool) -> bool:
        with self._engine.begin() as conn:
            return conn.execute(update(users).where(users.c.username == username).values(active=active)).rowcount == 1

    def principal(self, username: str) -> Principal | None:
        """The active user's current rights (so a token of a disabled user stops working)."""
        with self._engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username, users.c.active)).first()
        if row is None:
            return None
        return Principal(
            username=row.username,
            role=Role(row.role),
            tenants=frozenset(t for t in row.tenants.split(",") if t),
            structure=row.structure,
            region=row.region,
            personal_data=bool(row.personal_data),
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

    def all(self) -> list[Principal]:
        with self._engine.connect() as conn:
            names = [r.username for r in conn.execute(select(users.c.username).order_by(users.c.username))]
        return [p for name in names if (p := self.principal(name)) is not None]
