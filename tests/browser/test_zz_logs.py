"""Runs last of the browser tests (by name): after every page the suite opened, no log of its
stack (the services', the gateway's access log with each URL the pages requested) holds an
email address, the IBAN typed in a form, a demo name or the demo password."""

import re
import time

import pytest

from tests.e2e.conftest import PASSWORD, Platform

pytestmark = pytest.mark.e2e

DEMO_NAMES = ("Alice", "Martin", "Bernard", "Carol", "Petit")
#: What the browser tests typed: the IBAN (as typed and as sent) and names.
WRITTEN = ("FR7630006000011234567890189", "3000 6000 0112", "Wrongname", "Rightname", "Olga")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+(?:@|%40)(?:demo|other)\.test")


def test_no_log_holds_an_email_an_iban_or_a_demo_name(platform: Platform) -> None:
    time.sleep(0.5)  # the last lines reach the files
    logs = sorted(platform.var_dir.glob("logs/*.log")) + sorted(
        platform.var_dir.glob("gateway/logs/*.log")
    )
    assert logs, "no log files"
    for path in logs:
        text = path.read_text(errors="replace")
        found = EMAIL.search(text)
        assert found is None, f"an email address in {path.name}"
        for value in (*DEMO_NAMES, *WRITTEN, PASSWORD):
            assert value not in text, f"{value!r} in {path.name}"
