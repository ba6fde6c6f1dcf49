"""deploy/: the image, the compose file and the Kubernetes manifests are well-formed and agree with the code.

Every command they run is a command of `kentra` with options it has; every setting they pass is one
Kentra reads; every Kubernetes object passes the API's schema (strictly).
"""

from __future__ import annotations

import copy
import re
import shlex
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import typer
import yaml
from typer.core import TyperGroup

from gateways.cli import app
from infra.settings import Settings

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy"
K8S_VERSION = "1.30.0"
SETTINGS = {f"KENTRA_{name.upper()}" for name in Settings.model_fields} | {"KENTRA_SECRETS_DIR"}


def manifests() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        if path.name != "kustomization.yaml":
            found += [(path.name, doc) for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    return found


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc.get("spec", {})
    template = spec.get("template", {}).get("spec") or spec.get("jobTemplate", {}).get("spec", {}).get("template", {})
    found: list[dict[str, Any]] = template.get("containers", []) if isinstance(template, dict) else []
    return found


def kentra_invocations() -> list[tuple[str, list[str]]]:
    """Every argument list the deployment files hand to the `kentra` entry point."""
    calls = []
    for name, service in compose()["services"].items():
        if str(service.get("image", "")).startswith("kentra"):
            calls.append((f"compose:{name}", [str(a) for a in service["command"]]))
    for file, doc in manifests():
        for container in containers(doc):
            if container["image"].startswith("kentra"):
                calls.append((f"{file}:{doc['metadata']['name']}", [str(a) for a in container["args"]]))
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert cmd is not None
    calls.append(("Dockerfile", yaml.safe_load(cmd.group(1))))
    return calls


class NoSuchCommandError(Exception):
    pass


def parse(args: list[str]) -> Any:
    """Parse the arguments as `kentra` would, without running anything; raises if it would refuse them."""
    command: Any = typer.main.get_command(app)
    rest = list(args)
    while isinstance(command, TyperGroup):
        name = rest.pop(0)
        found = command.get_command(command.make_context("kentra", [name], resilient_parsing=True), name)
        if found is None:
            raise NoSuchCommandError(name)
        command = found
    return command.make_context(command.name or "kentra", rest)


def test_every_kubernetes_object_passes_the_api_schema_strictly() -> None:
    found = manifests()
    kinds = {doc["kind"] for _, doc in found}
    assert {"Deployment", "StatefulSet", "Service", "Job", "ConfigMap", "Namespace"} <= kinds
    for _file, doc in found:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    broken = copy.deepcopy(next(doc for _, doc in found if doc["kind"] == "Deployment"))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):  # the check is not a formality
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_the_kustomization_lists_every_manifest() -> None:
    listed = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text(encoding="utf-8"))["resources"]
    present = sorted(p.name for p in (DEPLOY / "k8s").glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(listed) == present


def test_every_process_the_files_start_is_a_kentra_command_with_options_it_has() -> None:
    calls = kentra_invocations()
    started = {tuple(args[:2]) for _, args in calls}
    assert {
        ("serve", "--host"),
        ("projections", "run"),
        ("gateway", "run"),
        ("rollup", "run"),
        ("tenants", "sync"),
    } <= started
    for _where, args in calls:
        parse(args)  # raises on an unknown command or option
    with pytest.raises(Exception, match="No such option"):
        parse(["gateway", "run", "--no-such-option"])
    with pytest.raises(NoSuchCommandError):
        parse(["gateway", "walk"])


def test_every_setting_the_files_pass_is_one_kentra_reads() -> None:
    passed = set(compose()["x-kentra"]["environment"])
    for _, doc in manifests():
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "kentra-config":
            passed |= set(doc["data"])
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    passed |= set(re.findall(r"\b(KENTRA_[A-Z_]+)=", dockerfile))
    assert passed, "no settings found at all"
    assert passed <= SETTINGS, passed - SETTINGS
    secrets = {s for s in compose()["secrets"] if s.startswith("kentra_")}
    assert {f"KENTRA_{s.upper().removeprefix('KENTRA_')}" for s in secrets} <= SETTINGS
    assert {"kentra_database_url", "kentra_master_key", "kentra_token_secret"} <= secrets


def test_the_compose_file_wires_its_services_and_keeps_secrets_in_files() -> None:
    spec = compose()
    services, declared = spec["services"], set(spec["secrets"])
    for name, service in services.items():
        for needed in service.get("depends_on", {}):
            assert needed in services, f"{name} depends on unknown {needed}"
        for secret in service.get("secrets", []):
            assert secret in declared, f"{name} uses undeclared secret {secret}"
        if name != "migrate":
            assert "healthcheck" in service, f"{name} has no health check"
    assert all("file" in s and s["file"].startswith("./secrets/") for s in spec["secrets"].values())
    for name, service in services.items():  # no inline passwords: only files named by *_FILE variables
        for key in service.get("environment", {}):
            assert "PASSWORD" not in key or key.endswith("_FILE"), f"{name}: {key}"
    for path in [DEPLOY / "compose.yaml", *(DEPLOY / "k8s").glob("*.yaml")]:
        assert not re.search(r"://[^/\s:@]+:[^@\s]+@", path.read_text(encoding="utf-8")), path.name
    kafka = services["kafka"]["environment"]
    assert kafka["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper


def test_the_image_copies_what_exists_and_pins_the_same_uv_as_the_scripts() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    for line in re.findall(r"^COPY (?!--from)(.+)$", dockerfile, re.MULTILINE):
        for source in shlex.split(line)[:-1]:
            if not source.startswith("--"):
                assert (ROOT / source).exists(), source
    pinned = re.search(r"uv==([0-9.]+)", dockerfile)
    setup = re.search(r"UV_VERSION=([0-9.]+)", (ROOT / "scripts" / "setup").read_text(encoding="utf-8"))
    assert pinned
    assert setup
    assert pinned.group(1) == setup.group(1)
    assert 'ENTRYPOINT ["kentra"]' in dockerfile
