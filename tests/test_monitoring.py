"""The monitoring profile (deploy/monitoring): Prometheus scrapes every API and worker, its alert
rules pass promtool's tests (each alert firing and silent), Grafana's dashboard asks only for
metrics that exist or are specified, and the profile adds nothing reachable from outside."""

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

import kit.metrics
import kit.security

ROOT = Path(__file__).resolve().parents[1]
MONITORING = ROOT / "deploy" / "monitoring"
SERVICES = ("identity", "orders", "subsidies", "support", "privacy")
COMPOSE = ("docker-compose", "-f", "docker-compose.yml")

#: Prometheus's own series and the blackbox exporter's.
FROM_PROMETHEUS = {"up", "ALERTS", "probe_success", "probe_ssl_earliest_cert_expiry"}
PROMQL_WORDS = {
    "sum", "min", "max", "by", "rate", "increase", "histogram_quantile", "time", "absent",
    "and", "or", "unless", "offset",
    # label names
    "le", "service", "type", "queue", "kind", "route", "status", "job", "purge",
    "instance", "alertstate",
}  # fmt: skip


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: deploy/local/system-deps.sh test installs it"
    return subprocess.run(
        [tool, *args], cwd=MONITORING, capture_output=True, text=True, check=False
    )


#: The metrics kit defines (what the APIs, the workers and the backup job serve).
KIT_METRICS = (
    kit.metrics.REQUEST_SECONDS,
    kit.metrics.DSR_SECONDS,
    kit.metrics.OUTBOX_BACKLOG,
    kit.metrics.OUTBOX_OLDEST,
    kit.metrics.DSR_OPEN,
    kit.metrics.DSR_NEXT_DEADLINE,
    kit.metrics.BREACH_NEXT_DEADLINE,
    kit.metrics.BACKUP_LAST_SUCCESS,
    kit.metrics.DEAD_LETTERS,
    kit.metrics.PURGED,
    kit.security.SECURITY_EVENTS,
)
#: The labels Prometheus gives every series it scrapes: a metric's own label of that name
#: arrives renamed ``exported_<name>``, and a rule or panel keyed on it reads the target's.
TARGET_LABELS = {"job", "instance"}


def exported_metrics() -> set[str]:
    """The metric names kit defines."""
    return {family.name for metric in KIT_METRICS for family in metric.describe()}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (strings and durations left out)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    expr = re.sub(r"\[\d+[smhd]\]|\b\d+[smhd]\b", "", expr)
    return set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", expr)) - PROMQL_WORDS


def rules() -> list[dict[str, Any]]:
    document: dict[str, Any] = yaml.safe_load((MONITORING / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def known(name: str) -> bool:
    exported = exported_metrics()
    base = re.sub(r"_(bucket|count|sum)$", "", name)
    counter = re.sub(r"_total$", "", name)
    return bool({name, base, counter} & (exported | FROM_PROMETHEUS))


def test_promtool_accepts_the_configuration_and_the_rules() -> None:
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_fires_and_stays_silent_in_promtool_tests() -> None:
    tests = sorted(p.name for p in (MONITORING / "tests").glob("*.yml"))
    result = promtool("test", "rules", *(f"tests/{name}" for name in tests))
    assert result.returncode == 0, result.stdout + result.stderr
    firing: set[str] = set()
    silent: set[str] = set()
    for name in tests:
        document = yaml.safe_load((MONITORING / "tests" / name).read_text())
        for case in document["tests"]:
            for check in case["alert_rule_test"]:
                (firing if check["exp_alerts"] else silent).add(check["alertname"])
    alerts = {rule["alert"] for rule in rules()}
    assert alerts - firing == set(), "alerts never seen firing"
    assert alerts - silent == set(), "alerts never seen silent"
    assert len(alerts) >= 17


def test_every_rule_has_a_severity_and_reads_known_metrics() -> None:
    for rule in rules():
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        unknown = {m for m in metric_names(rule["expr"]) if not known(m)}
        assert unknown == set(), (rule["alert"], unknown)


def test_the_metric_check_catches_a_misspelt_name() -> None:
    assert not known("outbox_backlogs")
    assert known("http_request_duration_seconds_bucket") and known("security_events_total")
    assert metric_names('sum by (kind) (increase(security_events_total{kind="x"}[10m]))') == {
        "security_events_total"
    }


def test_no_metric_has_a_label_prometheus_gives_its_targets() -> None:
    for metric in KIT_METRICS:
        labels: tuple[str, ...] = metric._labelnames
        assert not set(labels) & TARGET_LABELS, next(iter(metric.describe())).name
    assert set(kit.metrics.PURGED._labelnames) == {"service", "purge"}


def test_prometheus_scrapes_every_api_and_worker() -> None:
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    jobs = {
        job["job_name"]: {t for static in job["static_configs"] for t in static["targets"]}
        for job in config["scrape_configs"]
    }
    assert jobs["api"] == {f"{name}:8000" for name in SERVICES}
    assert jobs["worker"] == {f"{name}-worker:9100" for name in SERVICES}
    assert config["rule_files"] == ["alerts.yml"]


@pytest.fixture(scope="module")
def profile() -> dict[str, Any]:
    result = subprocess.run(
        [*COMPOSE, "--env-file", ".env.example", "--profile", "monitoring", "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = yaml.safe_load(result.stdout)
    return parsed


def test_the_monitoring_profile_reaches_the_services_and_publishes_only_loopback(
    profile: dict[str, Any],
) -> None:
    services = profile["services"]
    for name in ("prometheus", "blackbox", "grafana", "otel-collector"):
        assert services[name]["profiles"] == ["monitoring"], name
    # Only the profile's services carry a profile: `up` without it starts the platform alone.
    assert {n for n, s in services.items() if s.get("profiles")} == {
        "prometheus",
        "blackbox",
        "grafana",
        "otel-collector",
    }
    # What Prometheus scrapes listens where Prometheus is.
    assert "internal" in services["prometheus"]["networks"]
    for name in SERVICES:
        assert services[f"{name}-worker"]["environment"]["WORKER_METRICS_PORT"] == "9100"
        assert services[f"{name}-worker"]["environment"]["WORKER_METRICS_HOST"] == "0.0.0.0"
    # Grafana reaches Prometheus only, and is published on the host's loopback only.
    assert set(services["grafana"]["networks"]) == {"monitoring", "edge"}
    assert profile["networks"]["monitoring"]["internal"] is True
    ports = services["grafana"]["ports"]
    assert len(ports) == 1 and str(ports[0]).startswith("127.0.0.1:")
    for name in ("prometheus", "blackbox", "otel-collector"):
        assert not services[name].get("ports"), name
    assert services["grafana"]["environment"]["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    mounts = {str(v).split(":")[1] for v in services["prometheus"]["volumes"]}
    assert {"/etc/prometheus/prometheus.yml", "/etc/prometheus/alerts.yml"} <= mounts


def test_grafana_needs_its_admin_password(tmp_path: Path) -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    env = tmp_path / "env"
    env.write_text("\n".join(ln for ln in lines if not ln.startswith("GRAFANA_ADMIN")) + "\n")
    result = subprocess.run(
        [*COMPOSE, "--env-file", str(env), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode != 0
    assert "GRAFANA_ADMIN_PASSWORD" in result.stderr


def test_the_dashboard_is_provisioned_and_reads_known_metrics() -> None:
    grafana = MONITORING / "grafana"
    source = yaml.safe_load((grafana / "provisioning/datasources/prometheus.yml").read_text())
    uid = source["datasources"][0]["uid"]
    assert source["datasources"][0]["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((grafana / "provisioning/dashboards/platform.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana-dashboards"
    dashboard = json.loads((grafana / "dashboards/platform.json").read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len(panels) >= 15
    cells: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        box = panel["gridPos"]
        assert box["x"] + box["w"] <= 24, panel["title"]
        area = {
            (x, y)
            for x in range(box["x"], box["x"] + box["w"])
            for y in range(box["y"], box["y"] + box["h"])
        }
        assert not area & cells, f"{panel['title']} overlaps another panel"
        cells |= area
    used: set[str] = set()
    for panel in panels:
        assert panel["datasource"]["uid"] == uid, panel["title"]
        for target in panel["targets"]:
            names = metric_names(target["expr"])
            assert all(known(n) for n in names), (panel["title"], names)
            used |= names
    # Every metric an alert reads has a panel.
    for rule in rules():
        assert metric_names(rule["expr"]) & used or rule["alert"] == "BackupNeverReported"


def collector_config() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((MONITORING / "otel-collector.yml").read_text())
    return document


def test_the_collector_forwards_traces_to_the_apm_with_its_key_from_the_environment() -> None:
    config = collector_config()
    (pipeline,) = config["service"]["pipelines"].values()
    assert list(config["service"]["pipelines"]) == ["traces"]
    assert pipeline["receivers"] == ["otlp"]
    # memory_limiter first (it refuses before the batch holds more), then batch.
    assert pipeline["processors"] == ["memory_limiter", "batch"]
    for section in ("receivers", "processors", "exporters"):
        for name in pipeline[section]:
            assert name in config[section], (section, name)
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "0.0.0.0:4318"
    limiter = config["processors"]["memory_limiter"]
    assert limiter["check_interval"] and limiter["limit_percentage"] <= 90
    (exporter,) = (config["exporters"][name] for name in pipeline["exporters"])
    assert pipeline["exporters"][0].split("/")[0] in {"otlp", "otlphttp"}
    # The endpoint and the key come from the environment, never from this file.
    assert exporter["endpoint"] == "${env:APM_OTLP_ENDPOINT}"
    assert exporter["headers"] == "${env:OTEL_EXPORTER_OTLP_HEADERS}"


def test_the_collector_listens_on_internal_and_reaches_the_apm_through_egress(
    profile: dict[str, Any],
) -> None:
    collector = profile["services"]["otel-collector"]
    assert collector["image"].startswith("otel/opentelemetry-collector")
    assert collector["image"].split(":")[1][0].isdigit()  # a pinned version, not latest
    assert set(collector["networks"]) == {"internal", "egress"}
    assert not profile["networks"]["egress"].get("internal")
    assert profile["networks"]["internal"]["internal"] is True
    # Only the collector is on egress, and identity's API (the client companies' OpenID
    # providers, docs/accounts.md): the services' way out is through the collector.
    on_egress = {n for n, s in profile["services"].items() if "egress" in s.get("networks", {})}
    assert on_egress == {"otel-collector", "identity"}
    assert collector["read_only"] is True and collector["cap_drop"] == ["ALL"]
    mounts = {str(v).split(":")[1] for v in collector["volumes"]}
    assert "/etc/otelcol/config.yml" in mounts
    assert "--config=/etc/otelcol/config.yml" in collector["command"]
    environment = collector["environment"]
    assert environment["APM_OTLP_ENDPOINT"]
    # .env.example holds no key: the header map is empty there.
    assert environment["OTEL_EXPORTER_OTLP_HEADERS"] == ""
    # The services send to the collector once .env names it (empty by default: none sent).
    for name in SERVICES:
        assert profile["services"][name]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == ""


def test_the_apm_key_is_read_from_env_and_reaches_the_collector(tmp_path: Path) -> None:
    """What an operator's .env gives the collector (and the services' endpoint)."""
    env = tmp_path / "env"
    env.write_text(
        (ROOT / ".env.example").read_text()
        + 'APM_OTLP_HEADERS={"api-key": "k-123"}\n'
        + "OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318\n"
    )
    result = subprocess.run(
        [*COMPOSE, "--env-file", str(env), "--profile", "monitoring", "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    headers = services["otel-collector"]["environment"]["OTEL_EXPORTER_OTLP_HEADERS"]
    # The collector's ${env:...} reads a whole-field value as YAML: a map of headers.
    assert yaml.safe_load(headers) == {"api-key": "k-123"}
    for name in SERVICES:
        for container in (name, f"{name}-worker"):
            endpoint = services[container]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"]
            assert endpoint == "http://otel-collector:4318", container
