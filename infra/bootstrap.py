"""The composition root: the only place that picks concrete classes. Nothing is built at import."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, create_engine

from domain.tenants import Tenant, TenantRegistry
from infra.accounts import SqlAccounts
from infra.crypto import RegionLink, TenantKeys
from infra.documents import S3DocumentStore, s3_client
from infra.event_seal import seal_env
from infra.jobs import Jobs
from infra.kafka import ConsumerFactory, ProducerFactory, kafka_group_consumer, kafka_producer, kafka_reader
from infra.migrations.runner import upgrade_views
from infra.pg_pool import ProcessPools
from infra.pg_provision import (
    PLATFORM_SCHEMA,
    create_platform_tables,
    provision_platform_schema,
    provision_rollup_schema,
)
from infra.positions import Positions
from infra.sessions import Sessions
from infra.settings import (
    Settings,
    SettingsError,
    previous_master_key_bytes,
    region_link_key_bytes,
    token_secret,
)
from infra.stores import TenantStorage, storage_for
from infra.tenant_registry import load_registry
from infra.throttle import API_PROCESSES, SignInThrottle
from infra.tokens import OidcVerifier, TokenIssuer
from infra.witness import FileWitness
from projections.audit import AuditChain
from projections.rollup import RegionalViews
from projections.runner import CaseworkViews
from services.access import Principal
from services.casework import Casework, athens_today
from services.ports import DocumentStore, PersonalDataVault, StaffDirectory
from services.privacy import compacts_documents
from services.regions import RegionalFigures

log = logging.getLogger("kentra.keys")

# How a tenant's storage is made (``infra.stores.storage_for``: SQLite or PostgreSQL by the settings,
# on PostgreSQL through the process's pools; ``memory_storage``: the library's in-memory store), and
# the vault its casework seals with.
StorageFactory = Callable[[Settings, Tenant, TenantKeys, ProcessPools | None], TenantStorage]
VaultFactory = Callable[[TenantStorage, TenantKeys], PersonalDataVault]
# Where a tenant's documents' sealed bytes go (issue 23): by KENTRA_DOCUMENT_STORE unless a test gives one.
DocumentStoreFactory = Callable[[Settings, Tenant, TenantStorage], DocumentStore]


def storage_vault(storage: TenantStorage, keys: TenantKeys) -> PersonalDataVault:
    """The production vault: the one in the tenant's own store."""
    return storage.vault(keys)


class SettingsDocumentStores:
    """The production choice of document store: the tenant's own store (``database``, the default) or
    the S3-compatible bucket (``s3``), whose one client the process's tenants share."""

    def __init__(self) -> None:
        self._client: Any = None
        self._lock = threading.Lock()

    def __call__(self, settings: Settings, tenant: Tenant, storage: TenantStorage) -> DocumentStore:
        if settings.document_store == "database":
            return storage.documents()
        with self._lock:
            if self._client is None:
                self._client = s3_client(settings)
        assert settings.s3_bucket is not None  # the settings refuse s3 without one
        return S3DocumentStore(self._client, settings.s3_bucket, tenant.id)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


class AccountsStaff:
    """The production staff directory: the platform's user accounts, opened at the first question (a
    service that never gives a case away never opens them)."""

    def __init__(self, kentra: Kentra) -> None:
        self._kentra = kentra

    def staff(self, tenant_id: str) -> list[Principal]:
        """The tenant's active caseworkers and coordinators, by full name."""
        return self._kentra.accounts.staff(tenant_id)


class TenantNotProvisionedError(Exception):
    def __init__(self, tenant_id: str) -> None:
        super().__init__(f"tenant {tenant_id!r} has no store yet: run `kentra tenants sync`")


class Kentra:
    """The running platform: settings, tenants, and one casework service per tenant on demand.

    Every part it picks is a parameter with the production default, so tests hand it others (the
    in-memory store, a fake vault, a fixed clock) without patching.
    """

    def __init__(
        self,
        settings: Settings,
        registry: TenantRegistry,
        today: Callable[[], date],
        *,
        storage: StorageFactory = storage_for,
        vault: VaultFactory = storage_vault,
        producer: ProducerFactory = kafka_producer,
        consumer: ConsumerFactory = kafka_group_consumer,
        reader: ConsumerFactory = kafka_reader,
        staff: StaffDirectory | None = None,
        documents: DocumentStoreFactory | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.today = today
        self._make_storage = storage
        self._make_vault = vault
        self._make_documents = documents or SettingsDocumentStores()
        self._make_producer = producer
        self._make_consumer = consumer
        self._make_reader = reader
        self._staff: StaffDirectory = staff or AccountsStaff(self)
        self._master_key = settings.master_key_bytes()
        self._previous_master_key = previous_master_key_bytes(settings)
        self._keys: dict[str, TenantKeys] = {}
        self._region_links: dict[str, RegionLink | None] = {}
        self._pools: ProcessPools | None = None
        self._storages: dict[str, TenantStorage] = {}
        self._casework: dict[str, Casework] = {}
        self._views: dict[str, CaseworkViews] = {}
        self._regional: dict[str, RegionalViews] = {}
        self._provisioned: set[str] = set()
        self._regional_engines: list[Engine] = []
        # Requests run in threads: the first reads of a Region must not see its store half-made (a
        # file created but not yet migrated answered "no such table" to the others, a 500).
        self._regional_lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self.regional_figures = RegionalFigures()  # each Region's protected years, while unchanged
        self._accounts: SqlAccounts | None = None
        self._platform_engine: Engine | None = None
        self._jobs: Jobs | None = None
        self.tokens = TokenIssuer(token_secret(settings, self._master_key), settings.token_ttl_seconds)
        self.sessions = Sessions(self.tokens, lambda: self.accounts)
        self.sign_in_throttle = SignInThrottle(
            settings.sign_in_limit_per_account,
            settings.sign_in_limit_per_client,
            settings.rate_limit_storage,
            processes=int(os.environ.get(API_PROCESSES, "1")),
        )
        self.oidc = (
            OidcVerifier(
                settings.oidc_issuer,
                settings.oidc_jwks_url,
                settings.oidc_audience,
                settings.oidc_max_token_lifetime_seconds,
            )
            if settings.oidc_issuer and settings.oidc_jwks_url
            else None
        )

    def pools(self) -> ProcessPools | None:
        """The process's PostgreSQL pools on the application's login role, shared by every tenant (each
        transaction takes the tenant's role): None on the embedded store."""
        if self._pools is None and self.settings.database_url is not None:
            self._pools = ProcessPools(
                self.settings.database_url.get_secret_value(),
                pool_size=self.settings.db_pool_size,
                max_overflow=self.settings.db_max_overflow,
                listen_url=listen.get_secret_value() if (listen := self.settings.database_listen_url) else None,
            )
        return self._pools

    def _pg_engine(self) -> Engine:
        """The process's one SQLAlchemy engine (platform tables, Regions, and every tenant's by role)."""
        pools = self.pools()
        assert pools is not None
        return pools.engine()

    @property
    def accounts(self) -> SqlAccounts:
        """Kentra's users: ``platform.sqlite`` beside the tenants, or schema ``kentra_platform``."""
        if self._accounts is None:
            if self.settings.embedded:
                self.settings.data_dir.mkdir(parents=True, exist_ok=True)
                self._platform_engine = create_engine(
                    f"sqlite:///{self.settings.data_dir / 'platform.sqlite'}", hide_parameters=True
                )
                self._accounts = SqlAccounts(self._platform_engine)
                create_platform_tables(self._accounts)
            else:
                self._accounts = SqlAccounts(self._pg_engine(), schema=PLATFORM_SCHEMA)
        return self._accounts

    @property
    def jobs(self) -> Jobs:
        """The durable jobs (imports), in the platform database beside the users."""
        if self._jobs is None:
            self._jobs = Jobs(self.accounts.engine)
        return self._jobs

    def provision_platform(self) -> None:
        """Create the platform tables (users) if missing; on PostgreSQL as the owner role."""
        if self.settings.embedded:
            create_platform_tables(self.accounts)
            return
        provision_platform_schema(self.settings.owner_url(), self.settings.database_url)

    def _derived_keys(self, tenant: Tenant) -> TenantKeys:
        """From the master key alone: the KEK and database password always; the rest until a rotation."""
        return TenantKeys.derive(self._master_key, tenant.id, previous_master_key=self._previous_master_key)

    def keys(self, tenant: Tenant) -> TenantKeys:
        """The tenant's keys: after a rotation of the master key, its stable secrets come from the vault."""
        if tenant.id not in self._keys:
            derived = self._derived_keys(tenant)
            stored = self.storage(tenant.id).vault(derived).stored_secrets() if self.is_provisioned(tenant.id) else None
            self._keys[tenant.id] = derived.with_secrets(stored) if stored else derived
        return self._keys[tenant.id]

    def region_link(self, tenant: Tenant) -> RegionLink | None:
        """The linkage key of the tenant's Region, shared by its municipalities; None if none is configured."""
        if tenant.region not in self._region_links:
            key = region_link_key_bytes(self.settings, tenant.region)
            if key is None:
                log.warning("region %s has no linkage key: its envelopes carry no link", tenant.region)
            self._region_links[tenant.region] = None if key is None else RegionLink(tenant.region, key)
        return self._region_links[tenant.region]

    def rotate_master_key(self, tenant_id: str, on_batch: Callable[[int], None] | None = None) -> int:
        """Re-wrap the tenant's subject keys and secrets under the current master key; no event changes.

        Needs KENTRA_PREVIOUS_MASTER_KEY: the secrets in force before are read with it (stored, or
        derived from it if this tenant was never rotated). Returns how many subject keys were re-wrapped.
        """
        if self._previous_master_key is None:
            raise SettingsError("set KENTRA_PREVIOUS_MASTER_KEY (the key in use until now) to rotate")
        tenant = self.registry.tenant(tenant_id)
        storage = self.storage(tenant.id)
        if self.settings.embedded:  # the files' tables; on PostgreSQL `kentra migrate` made them, and the
            storage.provision(self._derived_keys(tenant))  # tenant's role may re-wrap: no owner's URL
        old = TenantKeys.derive(self._previous_master_key, tenant.id, previous_master_key=self._master_key)
        stored = storage.vault(old).stored_secrets()
        effective = old.with_secrets(stored) if stored else old
        new = self._derived_keys(tenant).with_secrets(effective.secrets())
        count = storage.vault(effective).rewrap(new, effective.secrets(), on_batch=on_batch)
        self._keys[tenant.id] = new
        self._casework.pop(tenant.id, None)  # they hold vaults with the old keys
        self._views.pop(tenant.id, None)
        return count

    def storage(self, tenant_id: str) -> TenantStorage:
        """The tenant's store (made once, by the ``storage`` factory)."""
        tenant = self.registry.tenant(tenant_id)
        if tenant_id not in self._storages:
            self._storages[tenant_id] = self._make_storage(
                self.settings, tenant, self._derived_keys(tenant), self.pools()
            )
        return self._storages[tenant_id]

    def is_provisioned(self, tenant_id: str) -> bool:
        """Whether the tenant has a store; a yes is remembered (a store is never taken away while running)."""
        if tenant_id not in self._provisioned and self.storage(tenant_id).is_provisioned():
            self._provisioned.add(tenant_id)
        return tenant_id in self._provisioned

    def provision(self, tenant_id: str) -> bool:
        """Create the tenant's store if missing; True if it was created now."""
        tenant = self.registry.tenant(tenant_id)
        storage = self.storage(tenant_id)
        existed = storage.is_provisioned()
        storage.provision(self._derived_keys(tenant))  # tables, roles and grants: no stored secret needed
        # A store of before issue 22 could not be read as its role until now: its stored secrets (after a
        # rotation of the master key) are read again, not the derived ones remembered meanwhile.
        self._keys.pop(tenant_id, None)
        self._provisioned.add(tenant_id)
        chain = self.audit_chain(tenant_id)
        chain.mark_if_new()  # a store with an empty log has no events from before seals: none is ever legacy
        chain.extend()  # an upgraded store's keyed chain is built now, from position 1
        return not existed

    def casework(self, tenant_id: str) -> Casework:
        if tenant_id not in self._casework:
            tenant = self.registry.tenant(tenant_id)
            storage = self.storage(tenant_id)
            if not self.is_provisioned(tenant_id):
                raise TenantNotProvisionedError(tenant_id)
            keys = self.keys(tenant)
            self._casework[tenant_id] = Casework(
                tenant=tenant,
                vault=self._make_vault(storage, keys),
                documents=self._make_documents(self.settings, tenant, storage),
                staff=self._staff,
                env={**storage.casework_env(), **seal_env(keys.event_seal_key())},
                today=self.today,
                served_on=partial(self._served_days, tenant_id),
                stored_events=storage.stored_events,
            )
        return self._casework[tenant_id]

    def _served_days(self, tenant_id: str, beneficiary_id: UUID) -> list[date]:
        return self.views(tenant_id).served_days(beneficiary_id)

    def views(self, tenant_id: str) -> CaseworkViews:
        """The tenant's read models; on the embedded default they follow the log inside this process."""
        if tenant_id not in self._views:
            casework = self.casework(tenant_id)
            engine, schema = self.storage(tenant_id).views_engine()
            self._views[tenant_id] = CaseworkViews(casework, engine, schema, casework.vault)
        return self._views[tenant_id]

    def positions(self, tenant_id: str) -> Positions:
        """The followers' positions kept beside the tenant's views (the gateway's among them)."""
        return Positions(self.views(tenant_id).engine)

    def _servers(self, servers: str | None) -> str:
        chosen = servers or self.settings.kafka_bootstrap_servers
        if not chosen:
            raise SettingsError("set KENTRA_KAFKA_BOOTSTRAP_SERVERS to speak to Kafka")
        return chosen

    def kafka_producer(self, *, timeout: float = 30.0, servers: str | None = None) -> Any:
        """A producer for the gateway's sinks, to the configured brokers unless ``servers`` is given."""
        return self._make_producer(self._servers(servers), timeout=timeout)

    def kafka_consumer(self, *, group: str, topic: str, servers: str | None = None) -> Any:
        """A member of the consumer ``group`` on ``topic`` (the regional roll-up)."""
        return self._make_consumer(self._servers(servers), group=group, topic=topic)

    def kafka_reader(self, *, timeout_ms: int = 10_000, servers: str | None = None) -> Any:
        """A consumer of no group, reading topics from their beginning (``audit verify``)."""
        return self._make_reader(self._servers(servers), timeout_ms=timeout_ms)

    def erase(
        self, tenant_id: str, beneficiary_id: UUID, *, reason: str, legal_ground: str | None, erased_by: str
    ) -> dict[str, object]:
        """Erase one person (services.casework.Casework.erase), then compact the vault's files."""
        result = self.casework(tenant_id).erase(
            beneficiary_id, reason=reason, legal_ground=legal_ground, erased_by=erased_by
        )
        self.compact_after_erasure(tenant_id, documents=compacts_documents(result))
        return result

    def compact_after_erasure(self, tenant_id: str, *, documents: bool = False) -> None:
        """No copy left in the files of what an erasure removed: the vault's keys and indexes (and its
        documents' table where ``documents``: ``services.privacy.compacts_documents``), and the views' rows
        the erasure deletes once folded (issue 23: the person's household link), folded now."""
        self.storage(tenant_id).compact_vault(documents=documents)
        self.views(tenant_id).catch_up()
        self.storage(tenant_id).compact_views()

    @property
    def witness_dir(self) -> Path:
        return self.settings.audit_witness_dir or self.settings.data_dir / "witness"

    def audit_chain(self, tenant_id: str) -> AuditChain:
        """The tenant's audit chain, in its own store, written through the chain role (PostgreSQL) with
        the chain key; its heads and checkpoints witnessed in a file outside the database."""
        storage = self.storage(tenant_id)
        engine, schema = storage.chain_engine()
        tenant = self.registry.tenant(tenant_id)
        keys = self.keys(tenant)
        casework = self.casework(tenant_id)
        return AuditChain(
            casework,
            engine,
            schema,
            tenant_id,
            keys.signing_key(),
            chain_key=keys.chain_key(),
            seal_key=keys.event_seal_key(),
            witness=FileWitness(self.witness_dir, tenant_id),
            subjects_with_keys=storage.vault(keys).subjects_with_keys,
        )

    def rollup_schema(self, tenant_id: str) -> str:
        return "rollup_" + self.registry.tenant(tenant_id).storage_name.removeprefix("tenant_")

    def provision_rollup(self, tenant_id: str) -> None:
        """The Region's store for one municipality's published figures (idempotent)."""
        tenant = self.registry.tenant(tenant_id)
        if self.settings.embedded:
            path = self.settings.data_dir / "regions" / tenant.region / f"{tenant.id}.sqlite"
            path.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(f"sqlite:///{path}", hide_parameters=True)
            try:
                upgrade_views(engine)
            finally:
                engine.dispose()
            return
        provision_rollup_schema(self.settings.owner_url(), self.settings.database_url, self.rollup_schema(tenant_id))

    def lock(self, name: str) -> threading.Lock:
        """This process's one lock of that name: work that must not run twice at once in it."""
        with self._regional_lock:
            return self._locks.setdefault(name, threading.Lock())

    def regional(self, tenant_id: str) -> RegionalViews:
        """One municipality's figures as its Region holds them (built from the pseudonymised topic)."""
        if tenant_id in self._regional:
            return self._regional[tenant_id]
        with self._regional_lock:
            if tenant_id in self._regional:
                return self._regional[tenant_id]
            tenant = self.registry.tenant(tenant_id)
            if self.settings.embedded:
                path = self.settings.data_dir / "regions" / tenant.region / f"{tenant.id}.sqlite"
                path.parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(f"sqlite:///{path}", hide_parameters=True)
                upgrade_views(engine)  # even if the file exists: another process may have only begun it
                self._regional_engines.append(engine)
                self._regional[tenant_id] = RegionalViews(tenant_id, engine, None)
            else:
                self._regional[tenant_id] = RegionalViews(tenant_id, self._pg_engine(), self.rollup_schema(tenant_id))
        return self._regional[tenant_id]

    def close(self) -> None:
        for app in self._casework.values():
            app.close()
        for storage in self._storages.values():
            storage.close()
        if self._jobs is not None:
            self._jobs.close()
            self._jobs = None
        if self._pools is not None:
            self._pools.close()
            self._pools = None
        if self._platform_engine is not None:
            self._platform_engine.dispose()
        if isinstance(self._make_documents, SettingsDocumentStores):
            self._make_documents.close()
        for engine in self._regional_engines:
            engine.dispose()
        self._regional.clear()
        self._casework.clear()
        self._storages.clear()


def bootstrap(
    settings: Settings | None = None,
    *,
    registry: TenantRegistry | None = None,
    today: Callable[[], date] = athens_today,
    storage: StorageFactory = storage_for,
    vault: VaultFactory = storage_vault,
    producer: ProducerFactory = kafka_producer,
    consumer: ConsumerFactory = kafka_group_consumer,
    reader: ConsumerFactory = kafka_reader,
    staff: StaffDirectory | None = None,
    documents: DocumentStoreFactory | None = None,
) -> Kentra:
    """The platform, each part the production one unless given: the settings from the environment,
    the tenants from their file, the Athens clock, SQLite or PostgreSQL stores, their vaults, Kafka,
    the staff directory of the platform's accounts."""
    settings = settings or Settings.load()
    return Kentra(
        settings,
        registry or load_registry(settings.tenants_file),
        today,
        storage=storage,
        vault=vault,
        producer=producer,
        consumer=consumer,
        reader=reader,
        staff=staff,
        documents=documents,
    )
