"""Security events are counted from 0: every kind a process may count exists at start-up, so
Prometheus's ``rate()`` and ``increase()`` see its first event (a series that appears with the
value 1 has no earlier sample to increase from)."""

from pathlib import Path

from fastapi.testclient import TestClient

from kit.security import SECURITY_EVENTS, declare_security_events, security_event
from kit.settings import ServiceSettings
from kit.web import create_app


def served(text: str, service: str, kind: str) -> float | None:
    """The count ``/metrics`` serves for (service, kind); None when there is no such series."""
    prefix = f'security_events_total{{kind="{kind}",service="{service}"}} '
    found = [ln[len(prefix) :] for ln in text.splitlines() if ln.startswith(prefix)]
    return float(found[0]) if found else None


def test_an_app_serves_its_known_kinds_at_zero_before_any_event(tmp_path: Path) -> None:
    settings = ServiceSettings(service_name="security-test", var_dir=tmp_path)
    app = create_app(settings=settings, routers=[], security_events=["signin.failed"])
    with TestClient(app) as client:
        before = client.get("/metrics").text
        security_event("signin.failed", service="security-test", account="a-1")
        after = client.get("/metrics").text
    assert served(before, "security-test", "signin.failed") == 0
    assert served(after, "security-test", "signin.failed") == 1
    # A kind nobody declared appears with its first event only.
    assert served(before, "security-test", "mfa.failed") is None


def test_declaring_again_keeps_the_count() -> None:
    security_event("broker.refused", service="declare-test")
    declare_security_events("declare-test", ["broker.refused", "broker.impersonation"])
    samples = {
        sample.labels["kind"]: sample.value
        for family in SECURITY_EVENTS.collect()
        for sample in family.samples
        if sample.name == "security_events_total" and sample.labels["service"] == "declare-test"
    }
    assert samples == {"broker.refused": 1, "broker.impersonation": 0}
