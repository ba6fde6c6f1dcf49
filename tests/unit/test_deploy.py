"""deploy/: the image, the compose file and the Kubernetes manifests are well-formed and agree with the code.

Every command they run is a command of `kentra` with options it has; every setting they pass is one
Kentra reads; every Kubernetes object passes the API's schema (strictly).
"""

from __future__ import annotations

import copy
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import typer
import yaml
from typer.core import TyperGroup

from gateways.cli import app
from gateways.kafka.topics import topic_specs
from infra.settings import Settings

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy"
K8S_VERSION = "1.30.0"
SETTINGS = {f"KENTRA_{name.upper()}" for name in Settings.model_fields} | {"KENTRA_SECRETS_DIR"}


INSTALLS = {"small": DEPLOY / "k8s", "operators": DEPLOY / "k8s" / "operators"}
POD_KINDS = {"Deployment", "StatefulSet", "Job", "CronJob", "DaemonSet"}
CRD_GROUPS = ("postgresql.cnpg.io/", "kafka.strimzi.io/")
# Commands other helpers of issue 22 add on their branches: checked once they are registered.
PENDING: set[tuple[str, ...]] = set()


def kustomization(directory: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))
    return loaded


def render(directory: Path) -> list[tuple[str, dict[str, Any]]]:
    """What `kubectl kustomize` makes of the directory, for what these files use: resources (files and
    directories), the namespace and `images:` (test_the_rendering_matches_kustomize holds it to that)."""
    spec = kustomization(directory)
    found: list[tuple[str, dict[str, Any]]] = []
    for entry in spec["resources"]:
        path = (directory / entry).resolve()
        if path.is_dir():
            found += render(path)
        else:
            docs = yaml.safe_load_all(path.read_text(encoding="utf-8"))
            found += [(str(path.relative_to(DEPLOY)), doc) for doc in docs if doc]
    for _, doc in found:
        if "namespace" in spec and doc["kind"] != "Namespace":
            doc["metadata"]["namespace"] = spec["namespace"]
        for container in pod(doc).get("containers", []) + pod(doc).get("initContainers", []):
            for image in spec.get("images", []):
                name, _, tag = container["image"].partition(":")
                if name == image["name"]:
                    container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}"
    return found


def manifests() -> list[tuple[str, dict[str, Any]]]:
    """Every object of both installs, once each (the base is in both)."""
    seen: dict[tuple[str, str, str], tuple[str, dict[str, Any]]] = {}
    for root in INSTALLS.values():
        for file, doc in render(root):
            seen.setdefault((file, doc["kind"], doc["metadata"]["name"]), (file, doc))
    return list(seen.values())


def pod(doc: dict[str, Any]) -> dict[str, Any]:
    """The pod spec of a workload (empty for anything else)."""
    spec = doc.get("spec", {})
    if doc.get("kind") == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    found: dict[str, Any] = spec.get("template", {}).get("spec", {}) if doc.get("kind") in POD_KINDS else {}
    return found


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = pod(doc).get("initContainers", []) + pod(doc).get("containers", [])
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


def registered(args: list[str]) -> bool:
    """Whether `kentra <group> <command>` exists in this branch."""
    root: Any = typer.main.get_command(app)
    group = root.get_command(root.make_context("kentra", [args[0]], resilient_parsing=True), args[0])
    context = group.make_context(args[0], [args[1]], resilient_parsing=True)
    return isinstance(group, TyperGroup) and group.get_command(context, args[1]) is not None


def test_every_kubernetes_object_passes_the_api_schema_strictly() -> None:
    found = manifests()
    kinds = {doc["kind"] for _, doc in found}
    assert {"Deployment", "StatefulSet", "Service", "Job", "CronJob", "ConfigMap", "Namespace"} <= kinds
    assert {"PodDisruptionBudget", "PersistentVolumeClaim"} <= kinds
    for _file, doc in found:
        if not doc["apiVersion"].startswith(CRD_GROUPS):  # the operators' kinds: test_the_operators_*
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    broken = copy.deepcopy(next(doc for _, doc in found if doc["kind"] == "Deployment"))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):  # the check is not a formality
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_each_kustomization_lists_every_manifest_beside_it() -> None:
    for directory in [DEPLOY / "k8s", DEPLOY / "k8s" / "base", DEPLOY / "k8s" / "operators"]:
        listed = [r for r in kustomization(directory)["resources"] if not (directory / r).is_dir()]
        present = sorted(p.name for p in directory.glob("*.yaml") if p.name != "kustomization.yaml")
        assert sorted(listed) == present, directory
    assert set(kustomization(DEPLOY / "k8s")["resources"]) >= {"base"}
    assert set(kustomization(DEPLOY / "k8s" / "operators")["resources"]) >= {"../base"}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with kustomize) not installed")
@pytest.mark.parametrize("install", sorted(INSTALLS))
def test_the_rendering_matches_kustomize(install: str) -> None:
    """The tests read the manifests as kustomize builds them: same objects, namespaces and images."""
    built = subprocess.run(
        ["kubectl", "kustomize", str(INSTALLS[install])], capture_output=True, text=True, check=True, timeout=60
    ).stdout

    def summary(docs: list[dict[str, Any]]) -> set[tuple[str, ...]]:
        return {
            (d["kind"], d["metadata"]["name"], d["metadata"].get("namespace", ""), *(c["image"] for c in containers(d)))
            for d in docs
        }

    assert summary([d for d in yaml.safe_load_all(built) if d]) == summary([d for _, d in render(INSTALLS[install])])


def test_every_process_the_files_start_is_a_kentra_command_with_options_it_has() -> None:
    calls = kentra_invocations()
    started = {tuple(args[:2]) for _, args in calls}
    assert {
        ("serve", "--host"),
        ("projections", "run"),
        ("gateway", "run"),
        ("rollup", "run"),
        ("jobs", "run"),
        ("migrate", "--check"),
        ("kafka", "init"),
        ("backup", "--to"),
    } <= started
    assert ("migrate",) in {tuple(args) for _, args in calls}
    for _where, args in calls:
        if tuple(args[:2]) in PENDING and not registered(args):
            continue  # another part of issue 22 builds it; checked here once merged
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
        if service.get("restart") != "no":  # the one-off steps (migrate, kafka-init) end
            assert "healthcheck" in service, f"{name} has no health check"
    assert all("file" in s and s["file"].startswith("./secrets/") for s in spec["secrets"].values())
    for name, service in services.items():  # no inline passwords: only files named by *_FILE variables
        for key in service.get("environment", {}):
            assert "PASSWORD" not in key or key.endswith("_FILE"), f"{name}: {key}"
    for path in [DEPLOY / "compose.yaml", *(DEPLOY / "k8s").rglob("*.yaml")]:
        assert not re.search(r"://[^/\s:@]+:[^@\s]+@", path.read_text(encoding="utf-8")), path.name
    kafka = services["kafka"]["environment"]
    assert kafka["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper


def test_in_compose_only_migrate_holds_the_owners_url_and_the_others_start_after_it() -> None:
    services = compose()["services"]
    holders = [name for name, s in services.items() if "kentra_database_owner_url" in s.get("secrets", [])]
    assert holders == ["migrate"]
    for name, service in services.items():
        if str(service.get("image", "")).startswith("kentra") and name not in {"migrate", "kafka-init"}:
            assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
            if "kafka" in service["depends_on"]:
                assert service["depends_on"]["kafka-init"] == {"condition": "service_completed_successfully"}, name


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


# ------------------------------------------------------------------------------------------------
# The rules of least privilege and of running well, each checked on both installs and shown to catch
# a manifest that breaks it (a broken copy made in memory).
Docs = list[tuple[str, dict[str, Any]]]
# Secrets holding the schema owner's credentials, and the only workloads that may mount each.
OWNER_SECRETS: dict[str, set[tuple[str, str]]] = {
    "kentra-db-owner": {("Job", "kentra-migrate")},
    "kentra-pg-owner": set(),  # CloudNativePG's: read by the operator only, never by a pod of ours
    "postgres-secrets": {("StatefulSet", "postgres")},  # the small install's PostgreSQL makes the roles
}


def installs() -> dict[str, Docs]:
    return {name: render(root) for name, root in INSTALLS.items()}


def workloads(docs: Docs) -> list[dict[str, Any]]:
    return [doc for _, doc in docs if doc["kind"] in POD_KINDS]


def named(docs: Docs, kind: str, name: str) -> dict[str, Any]:
    return next(doc for _, doc in docs if doc["kind"] == kind and doc["metadata"]["name"] == name)


def secrets_of(doc: dict[str, Any]) -> set[str]:
    """Every Secret a workload's pods read: volumes (plain and projected), envFrom and env."""
    found = set()
    for volume in pod(doc).get("volumes", []):
        if "secret" in volume:
            found.add(volume["secret"]["secretName"])
        for source in volume.get("projected", {}).get("sources", []):
            if "secret" in source:
                found.add(source["secret"]["name"])
    for container in containers(doc):
        found |= {e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e}
        for env in container.get("env", []):
            if "secretKeyRef" in env.get("valueFrom", {}):
                found.add(env["valueFrom"]["secretKeyRef"]["name"])
    return found


def owner_secret_outside_migrate(docs: Docs) -> list[str]:
    wrong = []
    for doc in workloads(docs):
        where = (doc["kind"], doc["metadata"]["name"])
        for secret in secrets_of(doc) & set(OWNER_SECRETS):
            if where not in OWNER_SECRETS[secret]:
                wrong.append(f"{where} mounts {secret}")
    return wrong


def missing_probes_or_resources(docs: Docs) -> list[str]:
    wrong = []
    for doc in workloads(docs):
        long_running = doc["kind"] in {"Deployment", "StatefulSet", "DaemonSet"}
        for container in pod(doc).get("containers", []):
            where = f"{doc['metadata']['name']}/{container['name']}"
            if long_running:  # a Job's container ends: activeDeadlineSeconds is its liveness
                wrong += [f"{where}: no {p}" for p in ("livenessProbe", "readinessProbe") if p not in container]
            wrong += resources_missing(where, container)
        for container in pod(doc).get("initContainers", []):
            wrong += resources_missing(f"{doc['metadata']['name']}/{container['name']}", container)
    return wrong


def resources_missing(where: str, container: dict[str, Any]) -> list[str]:
    resources = container.get("resources", {})
    needed = [("requests", "cpu"), ("requests", "memory"), ("limits", "memory")]
    return [f"{where}: no {a}.{b}" for a, b in needed if b not in resources.get(a, {})]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return bool(selector.get("matchLabels")) and selector["matchLabels"].items() <= labels.items()


def multi_replica_without_budget(docs: Docs) -> list[str]:
    budgets = [doc for _, doc in docs if doc["kind"] == "PodDisruptionBudget"]
    wrong = []
    for doc in workloads(docs):
        if doc["kind"] == "Deployment" and doc["spec"].get("replicas", 1) >= 2:
            labels = doc["spec"]["template"]["metadata"]["labels"]
            if not any(selects(b["spec"]["selector"], labels) for b in budgets):
                wrong.append(doc["metadata"]["name"])
    return wrong


def jobs_without_ttl(docs: Docs) -> list[str]:
    wrong = []
    for doc in workloads(docs):
        spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
        if doc["kind"] in {"Job", "CronJob"} and "ttlSecondsAfterFinished" not in spec:
            wrong.append(doc["metadata"]["name"])
    return wrong


def images_not_overridable(root: Path, docs: Docs) -> list[str]:
    """Every image of every pod is named in the install's `images:`, so `kustomize edit set image` moves it."""
    names = {image["name"] for image in kustomization(root).get("images", [])}
    source = {
        (doc["metadata"]["name"], c["name"]): c["image"].partition(":")[0] for _, doc in docs for c in containers(doc)
    }
    return sorted(f"{where}: {image}" for where, image in source.items() if image not in names)


def statefulsets_without_headless_service(docs: Docs) -> list[str]:
    services = {doc["metadata"]["name"]: doc for _, doc in docs if doc["kind"] == "Service"}
    wrong = []
    for doc in workloads(docs):
        if doc["kind"] == "StatefulSet":
            governing = services.get(doc["spec"].get("serviceName", ""))
            labels = doc["spec"]["template"]["metadata"]["labels"]
            if (
                governing is None
                or governing["spec"].get("clusterIP") != "None"
                or not governing["spec"]["selector"].items() <= labels.items()
            ):
                wrong.append(doc["metadata"]["name"])
    return wrong


def started_before_migrate(docs: Docs) -> list[str]:
    """Every Deployment of Kentra waits for `kentra migrate` in an init container (the process waits too)."""
    wrong = []
    for doc in workloads(docs):
        if doc["kind"] == "Deployment" and pod(doc)["containers"][0]["image"].startswith("kentra"):
            waits = [c for c in pod(doc).get("initContainers", []) if c.get("args") == ["migrate", "--check"]]
            if not waits:
                wrong.append(doc["metadata"]["name"])
    return wrong


def break_one(docs: Docs, kind: str, name: str, change: Any) -> Docs:
    broken = copy.deepcopy(docs)
    change(named(broken, kind, name))
    return broken


def test_no_pod_but_the_migrate_job_holds_the_owners_secret() -> None:
    for docs in installs().values():
        assert owner_secret_outside_migrate(docs) == []
        api = named(docs, "Deployment", "kentra-api")
        assert secrets_of(api) == {"kentra-keys", "kentra-db-app", "kentra-db-direct"}  # direct: its LISTEN only
        for worker in ("kentra-projections", "kentra-gateway", "kentra-rollup", "kentra-jobs"):
            assert secrets_of(named(docs, "Deployment", worker)) == {"kentra-keys", "kentra-db-direct"}, worker
        assert "kentra-db-owner" in secrets_of(named(docs, "Job", "kentra-migrate"))
        assert secrets_of(named(docs, "Job", "kentra-kafka-init")) == set()  # it reads the Kafka settings only
        assert "kentra-db-owner" not in secrets_of(named(docs, "CronJob", "kentra-backup"))

        def mount_owner(doc: dict[str, Any]) -> None:
            pod(doc)["volumes"][0]["projected"]["sources"].append({"secret": {"name": "kentra-db-owner"}})

        assert owner_secret_outside_migrate(break_one(docs, "Deployment", "kentra-api", mount_owner))

        def env_owner(doc: dict[str, Any]) -> None:
            pod(doc)["containers"][0]["envFrom"].append({"secretRef": {"name": "kentra-db-owner"}})

        assert owner_secret_outside_migrate(break_one(docs, "Deployment", "kentra-gateway", env_owner))


def test_every_container_has_probes_and_resources() -> None:
    for docs in installs().values():
        assert missing_probes_or_resources(docs) == []
        for kind, name, drop in [
            ("Deployment", "kentra-rollup", lambda d: pod(d)["containers"][0].pop("readinessProbe")),
            ("Deployment", "kentra-api", lambda d: pod(d)["initContainers"][0].pop("resources")),
            ("Job", "kentra-migrate", lambda d: pod(d)["containers"][0]["resources"].pop("limits")),
        ]:
            assert missing_probes_or_resources(break_one(docs, kind, name, drop)), name
    small = installs()["small"]
    assert missing_probes_or_resources(
        break_one(small, "StatefulSet", "kafka", lambda d: pod(d)["containers"][0].pop("livenessProbe"))
    )


def test_every_deployment_of_several_replicas_has_a_disruption_budget() -> None:
    for docs in installs().values():
        assert multi_replica_without_budget(docs) == []
        several = [d["metadata"]["name"] for d in workloads(docs) if d["spec"].get("replicas", 1) >= 2]
        # The workers share tenants through leases (the roll-up through its consumer group): two or more.
        assert {"kentra-api", "kentra-projections", "kentra-gateway", "kentra-rollup", "kentra-jobs"} <= set(several)
        without = [
            (f, d)
            for f, d in docs
            if not (d["kind"] == "PodDisruptionBudget" and d["metadata"]["name"] == "kentra-jobs")
        ]
        assert multi_replica_without_budget(without) == ["kentra-jobs"]


def test_every_job_is_cleaned_up_after_it_finishes() -> None:
    for docs in installs().values():
        assert jobs_without_ttl(docs) == []
        assert jobs_without_ttl(
            break_one(docs, "Job", "kentra-kafka-init", lambda d: d["spec"].pop("ttlSecondsAfterFinished"))
        )
        assert jobs_without_ttl(
            break_one(
                docs,
                "CronJob",
                "kentra-backup",
                lambda d: d["spec"]["jobTemplate"]["spec"].pop("ttlSecondsAfterFinished"),
            )
        )


def test_every_image_can_be_set_with_kustomize() -> None:
    for name, docs in installs().items():
        assert images_not_overridable(INSTALLS[name], docs) == [], name
        elsewhere = break_one(
            docs, "Deployment", "kentra-api", lambda d: pod(d)["containers"][0].update(image="elsewhere/kentra:1")
        )
        assert images_not_overridable(INSTALLS[name], elsewhere) == ["('kentra-api', 'api'): elsewhere/kentra"]


def test_every_statefulset_has_a_headless_governing_service() -> None:
    docs = installs()["small"]
    assert {d["metadata"]["name"] for d in workloads(docs) if d["kind"] == "StatefulSet"} == {"postgres", "kafka"}
    assert statefulsets_without_headless_service(docs) == []
    assert statefulsets_without_headless_service(
        break_one(docs, "StatefulSet", "kafka", lambda d: d["spec"].update(serviceName="kafka"))
    ) == ["kafka"]
    assert statefulsets_without_headless_service(
        break_one(docs, "Service", "postgres-headless", lambda d: d["spec"].pop("clusterIP"))
    ) == ["postgres"]


def test_the_api_and_workers_start_only_after_migrate_and_the_metrics_stay_off_the_service() -> None:
    for docs in installs().values():
        assert started_before_migrate(docs) == []
        assert started_before_migrate(
            break_one(docs, "Deployment", "kentra-projections", lambda d: pod(d).pop("initContainers"))
        ) == ["kentra-projections"]
        api = named(docs, "Deployment", "kentra-api")
        args = pod(api)["containers"][0]["args"]
        metrics = args[args.index("--metrics-port") + 1]
        service = named(docs, "Service", "kentra-api")
        assert metrics not in {str(p.get("targetPort")) for p in service["spec"]["ports"]}
        assert metrics not in {str(p["port"]) for p in service["spec"]["ports"]}


def operators_problems(docs: Docs, recovery: dict[str, Any]) -> list[str]:
    """What the production path needs of the operators' resources (their CRDs are not in the
    Kubernetes schema): replicas, the pooler's mode, WAL archiving and its recovery, three KRaft
    brokers, topics with three copies and two in sync, the checkpoints kept for ever."""
    wrong: list[str] = []

    def need(condition: bool, what: str) -> None:
        if not condition:
            wrong.append(what)

    config = named(docs, "ConfigMap", "kentra-config")["data"]
    cluster = named(docs, "Cluster", "kentra-pg")["spec"]
    need(cluster["instances"] >= 3, "PostgreSQL: a primary and two replicas")
    store = cluster.get("backup", {}).get("barmanObjectStore", {})
    need(str(store.get("destinationPath", "")).startswith("s3://") and "wal" in store, "PostgreSQL: WAL archived")
    roles = {r["name"]: r for r in cluster.get("managed", {}).get("roles", [])}
    need(roles.get("kentra_app", {}).get("inherit") is False, "kentra_app must be NOINHERIT")
    need("createrole" not in roles.get("kentra_app", {}), "kentra_app creates no roles")
    need(roles.get("kentra_backup", {}).get("inRoles") == ["pg_read_all_data"], "kentra_backup reads only")
    need(int(cluster["postgresql"]["parameters"]["max_connections"]) >= 200, "the connection budget")
    pooler = named(docs, "Pooler", "kentra-pg-pooler-rw")["spec"]
    need(pooler["cluster"]["name"] == "kentra-pg" and pooler["type"] == "rw", "the pooler in front of the primary")
    need(pooler["pgbouncer"]["poolMode"] == "transaction", "PgBouncer in transaction mode")
    scheduled = named(docs, "ScheduledBackup", "kentra-pg-nightly")["spec"]
    need(scheduled["cluster"]["name"] == "kentra-pg" and len(scheduled["schedule"].split()) == 6, "nightly base backup")
    restore = recovery["spec"]
    source = restore.get("bootstrap", {}).get("recovery", {})
    external = {c["name"]: c for c in restore.get("externalClusters", [])}
    need(source.get("source") in external, "the recovery reads the archive of a cluster it names")
    need("targetTime" in source.get("recoveryTarget", {}), "point-in-time: a target time")
    archive = external.get(source.get("source", ""), {}).get("barmanObjectStore", {})
    need(archive.get("destinationPath") == store.get("destinationPath"), "the recovery reads the archive written")

    kafka = named(docs, "Kafka", "kentra")
    annotations = kafka["metadata"].get("annotations", {})
    need(annotations.get("strimzi.io/kraft") == "enabled", "Kafka in KRaft mode (no ZooKeeper)")
    need(annotations.get("strimzi.io/node-pools") == "enabled", "Kafka's nodes from a KafkaNodePool")
    pools = [d for _, d in docs if d["kind"] == "KafkaNodePool"]
    mine = [p for p in pools if p["metadata"]["labels"].get("strimzi.io/cluster") == "kentra"]
    need(sum(p["spec"]["replicas"] for p in mine if "broker" in p["spec"]["roles"]) >= 3, "three brokers")
    need(sum(p["spec"]["replicas"] for p in mine if "controller" in p["spec"]["roles"]) >= 3, "three controllers")
    broker = kafka["spec"]["kafka"]["config"]
    need(broker.get("auto.create.topics.enable") is False, "no topic made with the broker's defaults")
    need(broker.get("min.insync.replicas") == 2 and broker.get("default.replication.factor") == 3, "broker defaults")
    listener = kafka["spec"]["kafka"]["listeners"][0]
    need(config["KENTRA_KAFKA_BOOTSTRAP_SERVERS"] == f"kentra-kafka-bootstrap:{listener['port']}", "bootstrap")
    topics = {d["spec"]["topicName"]: d for _, d in docs if d["kind"] == "KafkaTopic"}
    defaults = Settings.model_fields
    for name in (defaults["kafka_topic"].default, defaults["kafka_checkpoint_topic"].default):
        topic = topics.get(name, {"spec": {}, "metadata": {"labels": {}}})
        spec = topic["spec"]
        need(topic["metadata"]["labels"].get("strimzi.io/cluster") == "kentra", f"{name}: of the cluster")
        need(spec.get("partitions") == int(config["KENTRA_KAFKA_PARTITIONS"]) >= 12, f"{name}: partitions")
        need(spec.get("replicas") == int(config["KENTRA_KAFKA_REPLICATION_FACTOR"]) == 3, f"{name}: replicas 3")
        need(
            spec.get("config", {}).get("min.insync.replicas") == int(config["KENTRA_KAFKA_MIN_INSYNC_REPLICAS"]) == 2,
            f"{name}: min.insync.replicas 2",
        )
    checkpoints = topics.get(defaults["kafka_checkpoint_topic"].default, {"spec": {}})["spec"].get("config", {})
    need(
        checkpoints.get("retention.ms") == -1 and checkpoints.get("retention.bytes") == -1, "checkpoints kept for ever"
    )
    # Exactly what `kentra kafka init` makes from the same settings, so the Topic Operator and the Job agree.
    for spec in topic_specs(
        events=defaults["kafka_topic"].default,
        checkpoints=defaults["kafka_checkpoint_topic"].default,
        partitions=int(config["KENTRA_KAFKA_PARTITIONS"]),
        replication_factor=int(config["KENTRA_KAFKA_REPLICATION_FACTOR"]),
        min_insync_replicas=int(config["KENTRA_KAFKA_MIN_INSYNC_REPLICAS"]),
    ):
        declared = topics.get(spec.name, {"spec": {}})["spec"]
        as_set = {k: str(v).lower() for k, v in declared.get("config", {}).items()}
        need(as_set == dict(spec.configs), f"{spec.name}: the configs kafka init sets")
    return wrong


def test_the_operators_run_postgresql_and_kafka_as_production_needs() -> None:
    docs = installs()["operators"]
    recovery = yaml.safe_load((INSTALLS["operators"] / "examples" / "recovery.yaml").read_text(encoding="utf-8"))
    assert operators_problems(docs, recovery) == []
    assert {d["kind"] for _, d in docs} >= {"Cluster", "Pooler", "ScheduledBackup", "Kafka", "KafkaNodePool"}
    for kind, name, change in [
        ("Pooler", "kentra-pg-pooler-rw", lambda d: d["spec"]["pgbouncer"].update(poolMode="session")),
        ("Cluster", "kentra-pg", lambda d: d["spec"]["backup"].pop("barmanObjectStore")),
        ("Cluster", "kentra-pg", lambda d: d["spec"]["managed"]["roles"][1].update(inherit=True)),
        ("KafkaNodePool", "dual", lambda d: d["spec"].update(replicas=1)),
        ("KafkaTopic", "kentra-checkpoints-v1", lambda d: d["spec"]["config"].pop("retention.ms")),
        ("KafkaTopic", "kentra-events-v1", lambda d: d["spec"].update(replicas=1)),
        ("KafkaTopic", "kentra-events-v1", lambda d: d["spec"]["config"].update({"retention.ms": 1000})),
        ("ConfigMap", "kentra-config", lambda d: d["data"].update(KENTRA_KAFKA_MIN_INSYNC_REPLICAS="1")),
    ]:
        assert operators_problems(break_one(docs, kind, name, change), recovery), (kind, name)
    wrong_target = copy.deepcopy(recovery)
    wrong_target["spec"]["bootstrap"]["recovery"]["source"] = "elsewhere"
    assert operators_problems(docs, wrong_target)
    # What Kubernetes itself checks of them: names, labels and namespaces of well-formed objects.
    for _, doc in docs:
        if doc["apiVersion"].startswith(CRD_GROUPS):
            meta = {k: v for k, v in doc["metadata"].items() if k in {"name", "namespace", "labels", "annotations"}}
            kubernetes_validate.validate(
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}, K8S_VERSION, strict=True
            )
