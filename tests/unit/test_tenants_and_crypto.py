from __future__ import annotations

import base64
import hashlib
import hmac
import tomllib
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine

from domain.errors import UnknownStructureError, UnknownTenantError
from domain.tenants import TenantRegistry
from infra import vault as vault_module
from infra.crypto import RegionLink, SealedDataError, TenantKeys, new_data_key, seal, unseal
from infra.settings import DEFAULT_TENANTS_FILE, Settings, SettingsError, region_link_key_bytes, token_secret
from infra.tenant_registry import RegistryFileError, load_registry
from infra.vault import SqlVault


def test_the_registry_holds_the_four_municipalities_with_the_seeds_facts() -> None:
    registry = load_registry(DEFAULT_TENANTS_FILE)
    assert [t.id for t in registry.tenants] == ["sofades", "karditsa", "tyrnavos", "pylaia-chortiatis"]
    assert [t.id for t in registry.tenants_of("thessaly")] == ["sofades", "karditsa", "tyrnavos"]
    assert [t.id for t in registry.tenants_of("central-macedonia")] == ["pylaia-chortiatis"]
    sofades = registry.tenant("sofades")
    assert sofades.programmes[0].code == "5002786"
    assert str(sofades.opened_on) == "2018-07-01"
    assert [(p.role.value, p.count) for p in sofades.structure("roma-branch").staff] == [
        ("sociologist", 1),
        ("nurse", 1),
        ("economist", 2),
        ("mediator", 1),
    ]
    pylaia = registry.tenant("pylaia-chortiatis")
    assert (pylaia.programmes[0].code, str(pylaia.programmes[0].budget_amended_eur)) == ("5002873", "594126.00")
    assert [s.id for s in pylaia.structures] == ["centre"]
    tyrnavos = registry.tenant("tyrnavos")
    assert str(tyrnavos.opened_on) == "2024-03-04"
    assert [(h.kind, str(h.opens), str(h.closes)) for h in tyrnavos.structure("centre").hours] == [
        ("office", "07:00:00", "15:00:00"),
        ("public", "08:00:00", "14:00:00"),
    ]


def test_unknown_tenant_and_structure_are_named() -> None:
    registry = load_registry(DEFAULT_TENANTS_FILE)
    with pytest.raises(UnknownTenantError, match="'volos'"):
        registry.tenant("volos")
    with pytest.raises(UnknownStructureError, match="roma-branch"):
        registry.tenant("pylaia-chortiatis").structure("roma-branch")


def test_a_tenant_in_an_unknown_region_is_refused_with_the_place_named(tmp_path: Path) -> None:
    data = tomllib.loads(DEFAULT_TENANTS_FILE.read_text(encoding="utf-8"))
    data["tenants"][0]["region"] = "attica"
    with pytest.raises(ValueError, match="unknown region 'attica'"):
        TenantRegistry.model_validate(data)
    bad = tmp_path / "tenants.toml"
    bad.write_text(DEFAULT_TENANTS_FILE.read_text(encoding="utf-8").replace('opened = "2018-07"', 'opened = "2018-13"'))
    with pytest.raises(RegistryFileError, match=r"tenants\.0\.opened"):
        load_registry(bad)


def test_sealed_data_open_only_with_their_subjects_key() -> None:
    subject, key = uuid4(), new_data_key()
    token = seal(key, subject, {"first_name": "Ευανθία"})
    assert "Ευανθία" not in token
    assert unseal(key, token) == {"first_name": "Ευανθία"}
    with pytest.raises(SealedDataError):
        unseal(new_data_key(), token)
    moved = token.replace(subject.hex, uuid4().hex)  # the same ciphertext claimed for another person
    with pytest.raises(SealedDataError):
        unseal(key, moved)


def test_tenant_keys_differ_per_tenant_and_never_show_in_repr() -> None:
    master = bytes(range(32))
    a, b = TenantKeys.derive(master, "sofades"), TenantKeys.derive(master, "karditsa")
    assert a.blind_index("amka", "04037900422") != b.blind_index("amka", "04037900422")
    assert a.kek.hex() not in repr(a)
    assert "kek=" not in repr(a)


def test_blind_indexes_and_fingerprints_stay_the_hmac_sha256_every_stored_one_was_made_with() -> None:
    # Stored blind indexes and command fingerprints are looked up by value: a faster way of computing
    # them (issue 24) must give the same hex digests, or every person and command recorded before is lost.
    keys = TenantKeys.derive(bytes(range(32)), "sofades")
    expected = hmac.new(keys.blind_index_key, b"amka\x0004037900422", hashlib.sha256).hexdigest()
    assert keys.blind_index("amka", "04037900422") == expected
    data = b'{"command": "open_request"}'
    assert keys.fingerprint(data) == hmac.new(keys.fingerprint_key, data, hashlib.sha256).hexdigest()


SAFE: dict[str, object] = {
    "environment": "production",
    "database_url": SecretStr("postgresql+psycopg://kentra_app:Xk3-real-one@db.internal/kentra"),
    "master_key_file": Path("/run/secrets/kentra-master-key"),
    "token_secret": SecretStr("q" * 12 + "Jx7-not-an-example-secret-at-all"),
}


def test_with_postgresql_a_missing_master_key_is_refused_with_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="KENTRA_MASTER_KEY"):
        Settings(data_dir=tmp_path, database_url=SecretStr("postgresql://a:b@h/d")).master_key_bytes()
    with pytest.raises(SettingsError, match="32 bytes"):
        Settings(master_key=SecretStr(base64.b64encode(b"short").decode())).master_key_bytes()


def test_development_on_the_embedded_store_makes_a_private_master_key_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = settings.master_key_bytes()
    assert first == settings.master_key_bytes()
    assert (tmp_path / "keys" / "master.key").stat().st_mode & 0o777 == 0o600


def test_development_on_the_embedded_store_makes_a_private_linkage_key_per_region_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    thessaly = region_link_key_bytes(settings, "thessaly")
    assert thessaly is not None
    assert thessaly == region_link_key_bytes(settings, "thessaly") != region_link_key_bytes(settings, "attica")
    assert (tmp_path / "keys" / "region-links" / "thessaly.key").stat().st_mode & 0o777 == 0o600


def test_elsewhere_a_region_gets_a_linkage_key_only_from_the_configured_directory(tmp_path: Path) -> None:
    postgres = Settings(data_dir=tmp_path, database_url=SecretStr("postgresql://a:b@h/d"))
    assert region_link_key_bytes(postgres, "thessaly") is None  # no links, and nothing made
    assert not (tmp_path / "keys").exists()
    keys = tmp_path / "links"
    keys.mkdir()
    (keys / "thessaly.key").write_text(base64.b64encode(bytes(range(32))).decode())
    configured = postgres.model_copy(update={"region_link_keys": keys})
    assert region_link_key_bytes(configured, "thessaly") == bytes(range(32))
    assert region_link_key_bytes(configured, "central-macedonia") is None
    with pytest.raises(SettingsError, match="KENTRA_REGION_LINK_KEYS names no directory"):
        region_link_key_bytes(postgres.model_copy(update={"region_link_keys": tmp_path / "absent"}), "thessaly")


def test_a_link_is_hmac_of_the_amka_under_the_regions_key_named_by_its_kid() -> None:
    key = bytes(range(32))
    link = RegionLink("thessaly", key)
    made = link.link("17068700016")
    assert made == {
        "kid": hashlib.sha256(key).hexdigest()[:8],
        "value": hmac.new(key, b"17068700016", hashlib.sha256).hexdigest(),
    }
    assert "17068700016" not in made["value"]
    assert key.hex() not in repr(link)


def test_outside_development_the_token_secret_must_be_long(tmp_path: Path) -> None:
    master = bytes(32)
    with pytest.raises(SettingsError, match="at least 32"):
        token_secret(Settings(**{**SAFE, "token_secret": SecretStr("short")}), master)  # type: ignore[arg-type]
    assert token_secret(Settings(environment="development", data_dir=tmp_path), master) != token_secret(
        Settings(environment="development", data_dir=tmp_path), bytes([1] * 32)
    )


@pytest.mark.parametrize(
    ("unsafe", "says"),
    [
        ({"database_url": None}, "set KENTRA_DATABASE_URL"),
        ({"master_key_file": None}, "set KENTRA_MASTER_KEY_FILE"),
        ({"token_secret": None}, "KENTRA_TOKEN_SECRET"),
        ({"token_secret": SecretStr("change-me-to-32-or-more-random-characters")}, "generate your own"),
        ({"master_key": SecretStr("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")}, "generate your own"),
        ({"database_url": SecretStr("postgresql://kentra_app:kentra_app@db/kentra")}, "published example password"),
        ({"oidc_issuer": "http://idp.example"}, "https://"),
    ],
    ids=["embedded", "no-master-key", "no-token-secret", "example-secret", "test-key", "example-password", "oidc-http"],
)
@pytest.mark.parametrize("environment", ["production", "test"])
def test_outside_development_unsafe_settings_are_refused_saying_what_to_set(
    unsafe: dict[str, object], says: str, environment: str
) -> None:
    safe = {**SAFE, "environment": environment}
    assert Settings(**safe).environment == environment  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match=says) as refused:
        Settings(**{**safe, **unsafe})  # type: ignore[arg-type]
    assert "Xk3-real-one" not in str(refused.value)


def test_keys_fetched_for_a_batch_do_not_push_out_the_batchs_own_cached_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vault_module, "CACHE_SIZE", 4)
    vault = SqlVault(create_engine(f"sqlite:///{tmp_path / 'vault.sqlite'}"), TenantKeys.derive(bytes(32), "sofades"))
    vault.create_tables()
    people = [uuid4() for _ in range(6)]
    tokens = [vault.seal(person, {"n": n}) for n, person in enumerate(people)]  # the cache keeps the last 4
    asked: list[UUID] = []
    stored_key = vault._stored_key

    def fetched_one_by_one(subject: UUID) -> bytes | None:
        asked.append(subject)
        return stored_key(subject)

    monkeypatch.setattr(vault, "_stored_key", fetched_one_by_one)
    batch = tokens[:4]  # two keys to fetch (0, 1), two cached (2, 3), and the oldest there
    vault.preload(batch)
    assert [vault.unseal(token) for token in batch] == [{"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}]
    assert asked == []  # each opened with a key preloaded or kept: none fetched one by one
