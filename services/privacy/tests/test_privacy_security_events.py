"""The privacy API counts its security events from 0: the kinds it may count exist as soon as
the app is built, so Prometheus's increase() sees the first filing of each."""

from pathlib import Path

from kit.security import SECURITY_EVENTS
from privacy.config import Settings
from privacy.main import build_app


def counted(service: str) -> dict[str, float]:
    return {
        sample.labels["kind"]: sample.value
        for family in SECURITY_EVENTS.collect()
        for sample in family.samples
        if sample.name == "security_events_total" and sample.labels["service"] == service
    }


def test_the_sensitive_requests_are_counted_from_zero(tmp_path: Path) -> None:
    # A service name of its own: no filing in another test has counted under it.
    build_app(Settings(var_dir=tmp_path, service_name="privacy-declared"))
    assert counted("privacy-declared") == {"dsr.access": 0, "dsr.erasure": 0, "dsr.portability": 0}
