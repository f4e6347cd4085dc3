"""No log of the browser tests' stack (the services', the gateway's access log with each URL
the pages requested) holds an email address, the IBAN typed in a form, a name or the demo
password. The test signs a new employee in through the form first (its own traffic: the
address typed, the pages it opens), so it means the same wherever it runs; the end of the
browser tests scans again everything they did (``logs_scanned_at_the_end`` in conftest.py)."""

from collections.abc import Callable

import pytest

from tests.browser.conftest import (
    LOG_EMAIL,
    LOG_WRITTEN,
    Browse,
    Staff,
    log_in,
    new_employee,
)
from tests.e2e.conftest import Platform, assert_logs_hold_none_of

pytestmark = pytest.mark.e2e


def test_no_log_holds_an_email_an_iban_or_a_demo_name(
    platform: Platform, browse: Browse, staff: Callable[[str], Staff]
) -> None:
    person = new_employee(staff("admin@demo.test"), first="Ludmila")
    tab = browse.tab()
    log_in(tab, person["email"])
    for route in ("/orders", "/privacy"):
        tab.open(route)
    me = tab.page.evaluate("() => fetch('/api/auth/me').then(r => r.json())")
    assert me["email"] == person["email"]
    values = (*LOG_WRITTEN, "Ludmila", str(person["last_name"]))
    assert_logs_hold_none_of(platform, values, LOG_EMAIL)
