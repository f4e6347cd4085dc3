"""deploy/kubernetes: every manifest is valid against the Kubernetes schemas (kubernetes-validate
ships them: checked offline, no cluster is reachable here), and it is the compose stack: the
same services, workers, settings and secrets, hardened the same way."""

import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
KUBE = ROOT / "deploy" / "kubernetes"
VERSION = "1.37.0"
SERVICES = ("identity", "orders", "subsidies", "support", "privacy")
#: Made by commands, not from secrets.example.yaml (deploy/README.md, "Kubernetes").
MADE_BY_HAND = {"rabbitmq-definitions", "gateway-tls"}


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def manifests() -> list[Path]:
    return sorted(p for p in KUBE.rglob("*.yaml") if p.name != "kustomization.yaml")


def applied() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((KUBE / "kustomization.yaml").read_text())
    return [doc for name in kustomization["resources"] for doc in documents(KUBE / name)]


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in applied() if d["kind"] == kind}


def pod(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


@pytest.fixture(scope="module")
def compose_config() -> dict[str, Any]:
    result = subprocess.run(
        ["docker-compose", "--env-file", ".env.example", "-f", "docker-compose.yml", "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = yaml.safe_load(result.stdout)
    return parsed


@pytest.mark.parametrize("path", manifests(), ids=lambda p: str(p.relative_to(KUBE)))
def test_every_manifest_is_valid_against_the_kubernetes_schemas(path: Path) -> None:
    for document in documents(path):
        kubernetes_validate.validate(document, VERSION, strict=True)


def test_the_validator_refuses_a_misspelt_field_and_a_wrong_type() -> None:
    deployment = documents(KUBE / "gateway.yaml")[0]
    deployment["spec"]["replica"] = 2
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSION, strict=True)
    deployment = documents(KUBE / "gateway.yaml")[0]
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSION, strict=True)


def test_the_kustomization_applies_every_manifest_but_the_secrets_example() -> None:
    listed = yaml.safe_load((KUBE / "kustomization.yaml").read_text())["resources"]
    expected = {str(p.relative_to(KUBE)) for p in manifests()} - {"secrets.example.yaml"}
    assert set(listed) == expected
    assert all(d["metadata"].get("namespace", "benefits") == "benefits" for d in applied())


def test_every_service_has_its_migration_api_and_worker_as_in_compose(
    compose_config: dict[str, Any],
) -> None:
    deployments, jobs = by_kind("Deployment"), by_kind("Job")
    for name in SERVICES:
        api, worker = deployments[name], deployments[f"{name}-worker"]
        (api_container,) = pod(api)["containers"]
        (worker_container,) = pod(worker)["containers"]
        assert api_container["image"].startswith(f"platform/{name}:")
        assert worker_container["image"] == api_container["image"]
        assert (
            worker_container["command"] == compose_config["services"][f"{name}-worker"]["command"]
        )
        # Several replicas never migrate at once: one Job does, before the rollout.
        assert {"name": "RUN_MIGRATIONS", "value": "0"} in api_container["env"]
        (migrate,) = pod(jobs[f"{name}-migrate"])["containers"]
        assert migrate["command"][0] == "alembic" and migrate["command"][-2:] == ["upgrade", "head"]
        assert api["spec"]["replicas"] >= 2 and worker["spec"]["replicas"] >= 2


def environment(container: dict[str, Any]) -> set[str]:
    """The variable names a container gets from its ConfigMaps, its Secrets (as
    secrets.example.yaml has them) and its own env."""
    config_maps = by_kind("ConfigMap")
    secrets = {
        d["metadata"]["name"]: d for d in documents(KUBE / "secrets.example.yaml")
    }  # fmt: skip
    names = {e["name"] for e in container.get("env", [])}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            names |= set(config_maps[source["configMapRef"]["name"]]["data"])
        else:
            names |= set(secrets[source["secretRef"]["name"]]["stringData"])
    return names


def test_each_container_gets_every_setting_compose_gives_it(
    compose_config: dict[str, Any],
) -> None:
    deployments = by_kind("Deployment")
    for name in SERVICES:
        for workload in (name, f"{name}-worker"):
            wanted = {
                key
                for key, value in compose_config["services"][workload]["environment"].items()
                if value not in (None, "")
            }
            (container,) = pod(deployments[workload])["containers"]
            assert wanted - environment(container) == set(), workload
    (backup,) = pod(deployments["backup"])["containers"]
    assert {"BACKUP_KEY", "BACKUP_URLS", "SUBJECT_KEY", "JOURNAL_PATH"} <= environment(backup)


def test_secrets_and_volumes_referenced_exist() -> None:
    secrets = {d["metadata"]["name"] for d in documents(KUBE / "secrets.example.yaml")}
    claims = set(by_kind("PersistentVolumeClaim"))
    for workload in [*by_kind("Deployment").values(), *by_kind("StatefulSet").values()]:
        spec = pod(workload)
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] in secrets | MADE_BY_HAND
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secrets
    for document in documents(KUBE / "secrets.example.yaml"):
        for key, value in document["stringData"].items():
            assert "change-me" in value or key == "SMTP_USER", (document["metadata"]["name"], key)


def test_python_containers_run_hardened_with_limits() -> None:
    workloads = [*by_kind("Deployment").values(), *by_kind("Job").values()]
    for workload in workloads:
        spec = pod(workload)
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert "ALL" in context["capabilities"]["drop"]
            assert container["resources"]["limits"]["memory"]
            if container["image"].startswith("platform/") and "gateway" not in container["image"]:
                assert spec["securityContext"]["runAsNonRoot"] is True
                assert context["readOnlyRootFilesystem"] is True
        assert spec["automountServiceAccountToken"] is False


def test_rabbitmq_is_three_nodes_and_only_the_gateway_is_exposed() -> None:
    broker = by_kind("StatefulSet")["rabbitmq"]
    assert broker["spec"]["replicas"] == 3
    budget = by_kind("PodDisruptionBudget")["rabbitmq"]
    assert budget["spec"]["maxUnavailable"] == 1  # a quorum queue keeps its majority
    services = by_kind("Service")
    exposed = {
        n for n, s in services.items() if s["spec"].get("type") in ("LoadBalancer", "NodePort")
    }
    assert exposed == {"gateway"}
    assert services["postgres"]["spec"]["type"] == "ExternalName"  # managed PostgreSQL
    policies = by_kind("NetworkPolicy")
    assert policies["default-deny-ingress"]["spec"]["podSelector"] == {}
