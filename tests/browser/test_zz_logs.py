"""Runs last of the browser tests (by name): after every page the suite opened, no log of its
stack (the services', the gateway's access log with each URL the pages requested) holds an
email address, the IBAN typed in a form, a demo name or the demo password."""

import re

import pytest

from tests.e2e.conftest import Platform
from tests.e2e.test_zz_logs import assert_logs_hold_none_of

pytestmark = pytest.mark.e2e

#: What the browser tests typed: the IBAN (as typed and as sent) and names.
WRITTEN = ("FR7630006000011234567890189", "3000 6000 0112", "Wrongname", "Rightname", "Olga")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+(?:@|%40)(?:demo|other)\.test")


def test_no_log_holds_an_email_an_iban_or_a_demo_name(platform: Platform) -> None:
    assert_logs_hold_none_of(platform, WRITTEN, EMAIL)
