"""Runs last (by name): after the whole end-to-end suite, no log under the stack's var/ holds
an email address, an IBAN or a name of the demo data (X4)."""

import re
import time

import pytest

from tests.e2e.conftest import PASSWORD, Platform

pytestmark = pytest.mark.e2e

DEMO_NAMES = ("Alice", "Martin", "Bernard", "Carol", "Petit")
#: What the suite's own tests wrote: the subsidies tests' IBAN and holder, a ticket's text.
WRITTEN = ("FR7630006000011234567890189", "3000 6000 0112", "Ann Lee", "Eve Erased")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@(?:demo|other)\.test")


def assert_logs_hold_none_of(
    platform: Platform, values: tuple[str, ...], email: re.Pattern[str]
) -> None:
    """Every service's and the gateway's log of the stack: no address matching ``email``,
    none of the demo names, ``values`` or the demo password."""
    time.sleep(0.5)  # the last lines reach the files
    logs = sorted(platform.var_dir.glob("logs/*.log")) + sorted(
        platform.var_dir.glob("gateway/logs/*.log")
    )
    assert logs, "no log files"
    for path in logs:
        text = path.read_text(errors="replace")
        found = email.search(text)
        assert found is None, f"an email address in {path.name}"
        for value in (*DEMO_NAMES, *values, PASSWORD):
            assert value not in text, f"{value!r} in {path.name}"


def test_no_log_holds_an_email_an_iban_or_a_demo_name(platform: Platform) -> None:
    assert_logs_hold_none_of(platform, WRITTEN, EMAIL)
