"""Browser tests of the web front end: headless Chromium from Debian's packages, driven by
Playwright, against the whole platform through the real Nginx gateway (its own stack, ports
and exchange, so it never meets the e2e suite's).

Every page a test opens is watched: no Content-Security-Policy violation, no uncaught script
error, no email address in any URL the page requests, nothing but the language choice in the
browser's storage. ``Tab.axe()`` runs axe-core (``tests/browser/node_modules``, from the npm
registry) and fails on any serious or critical violation. Screenshots go to
``var/browser/screenshots/<test>/``."""

import json
import os
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    ViewportSize,
    expect,
    sync_playwright,
)

from devstack.stack import ROOT
from tests.e2e.conftest import (
    PASSWORD,
    TOTP_SECRET,
    Platform,
    assert_logs_hold_none_of,
    running_platform,
)

HERE = Path(__file__).parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(ROOT) / "var" / "browser" / "screenshots"
#: Apart from the e2e suite's (18443, offset 10000, E2E_SHIFT moves by 1,000). E2E_SHIFT moves
#: these by 1,000 too, plus 500, so that two sessions' browser and e2e suites never meet.
SHIFT = int(os.environ.get("E2E_SHIFT", "0"))
MOVE = 1000 * SHIFT + 500 if SHIFT else 0
HTTPS_PORT = 21443 + MOVE
HTTP_PORT = 21080 + MOVE
PORT_OFFSET = 13000 + MOVE
EXCHANGE = f"browser{SHIFT or ''}.events"
STACK_NAME = f"browser{SHIFT or ''}"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
#: What axe may report: anything "serious" or "critical" fails the test.
BLOCKING = {"serious", "critical"}
EMAIL_IN_URL = re.compile(r"[^/?#&=]+(@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def _axe_source() -> Path:
    """axe-core from the lock file (``npm ci``) when ``node_modules`` is missing."""
    if not AXE.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed for axe-core (deploy/local/system-deps.sh test)")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True)
    return AXE


# Package scope: everything here ends with the browser tests. Playwright's sync API holds an
# event loop on the thread while it runs, which later asyncio tests of the suite must not meet.
@pytest.fixture(scope="package")
def platform() -> Iterator[Platform]:
    with running_platform(
        STACK_NAME,
        https_port=HTTPS_PORT,
        http_port=HTTP_PORT,
        port_offset=PORT_OFFSET,
        exchange=EXCHANGE,
    ) as running:
        yield running


#: What the browser tests typed: the IBAN (as typed and as sent) and names.
LOG_WRITTEN = ("FR7630006000011234567890189", "3000 6000 0112", "Wrongname", "Rightname", "Olga")
#: An address in a log line, or in a URL a page requested (the gateway's access log).
LOG_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+(?:@|%40)(?:demo|other)\.test")


@pytest.fixture(scope="package", autouse=True)
def logs_scanned_at_the_end(platform: Platform) -> Iterator[None]:
    """After the last browser test, whichever it was: no log of the stack (the services', the
    gateway's access log with each URL the pages requested) holds what the tests typed."""
    yield
    assert_logs_hold_none_of(platform, LOG_WRITTEN, LOG_EMAIL)


@pytest.fixture(scope="package")
def playwright(platform: Platform) -> Iterator[Playwright]:
    """After the stack (whose set-up runs asyncio; Playwright's loop then owns the thread)."""
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: run deploy/local/system-deps.sh test")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
    yield browser
    browser.close()


@dataclass
class Tab:
    """A page of the front end with its watchers, screenshots and helpers."""

    page: Page
    base: str
    shots: Path
    #: Shared by the tabs of one test: its screenshots are numbered in the order taken.
    counter: list[int] = field(default_factory=lambda: [0])
    problems: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def open(self, route: str) -> None:
        """A route of the application (``/orders``), once its content has loaded."""
        if self.page.url.startswith(self.base):
            self.page.evaluate("route => { window.location.hash = '#' + route; }", route)
        else:
            self.page.goto(f"{self.base}/#{route}")
        self.settle()

    def settle(self) -> None:
        """The page drew its content: a title, no "Loading…" left."""
        self.page.wait_for_selector("main h1")
        self.page.wait_for_function("() => !document.querySelector('main .loading')")

    def shot(self, name: str) -> Path:
        self.counter[0] += 1
        path = self.shots / f"{self.counter[0]:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def axe(self, name: str = "") -> list[dict[str, Any]]:
        """axe-core on the page as it is: every serious or critical violation fails."""
        result: dict[str, Any] = self.page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        blocking = [v for v in result["violations"] if v.get("impact") in BLOCKING]
        summary = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
            for v in blocking
        ]
        assert not summary, f"axe on {name or self.page.url}:\n" + "\n".join(summary)
        return list(result["violations"])

    def title_has_focus(self) -> bool:
        return bool(self.page.evaluate("() => document.activeElement?.id === 'page-title'"))

    def storage(self) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = self.page.evaluate(
            """() => ({
                local: Object.fromEntries(Object.entries(localStorage)),
                session: Object.fromEntries(Object.entries(sessionStorage)),
            })"""
        )
        return found

    def check_clean(self) -> None:
        """No CSP violation or script error, no email in a URL, nothing stored but the
        language."""
        assert not self.problems, "\n".join(self.problems)
        leaked = [u for u in self.urls if EMAIL_IN_URL.search(u)]
        assert not leaked, f"personal data in URLs: {leaked}"
        if self.page.url.startswith(self.base):
            stored = self.storage()
            assert set(stored["local"]) <= {"lang"}, stored
            assert stored["session"] == {}, stored


class Browse:
    """Opens watched tabs in fresh browser contexts (each its own cookies: one person)."""

    def __init__(self, browser: Browser, platform: Platform, shots: Path, axe: Path) -> None:
        self.browser = browser
        self.platform = platform
        self.shots = shots
        self.axe = axe
        self.tabs: list[Tab] = []
        self.contexts: list[BrowserContext] = []
        self.counter = [0]

    def context(self, *, phone: bool = False, lang: str = "fr-FR") -> BrowserContext:
        context = self.browser.new_context(
            viewport=PHONE if phone else DESKTOP,
            locale=lang,
            ignore_https_errors=True,  # the run's self-signed certificate
            is_mobile=phone,
            has_touch=phone,
            accept_downloads=True,
        )
        # Injected by the browser, not by the page: the page's CSP stays as it is.
        context.add_init_script(path=str(self.axe))
        self.contexts.append(context)
        return context

    def tab(self, context: BrowserContext | None = None, **kwargs: Any) -> Tab:
        context = context or self.context(**kwargs)
        tab = watch(context.new_page(), self.platform.url, self.shots, self.counter)
        self.tabs.append(tab)
        return tab

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def watch(page: Page, base: str, shots: Path, counter: list[int] | None = None) -> Tab:
    tab = Tab(page, base, shots, counter if counter is not None else [0])

    def console(message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            tab.problems.append(f"CSP: {text}")
        elif message.type == "error" and not text.startswith("Failed to load resource"):
            tab.problems.append(f"console error: {text}")

    def request(req: Request) -> None:
        tab.urls.append(req.url)

    page.on("console", console)
    page.on("pageerror", lambda error: tab.problems.append(f"script error: {error}"))
    page.on("request", request)
    return tab


@pytest.fixture
def browse(
    request: pytest.FixtureRequest, browser: Browser, platform: Platform
) -> Iterator[Browse]:
    shots = SHOTS / request.node.name.replace("[", "-").replace("]", "")
    if shots.exists():
        shutil.rmtree(shots)
    shots.mkdir(parents=True)
    opened = Browse(browser, platform, shots, _axe_source())
    yield opened
    try:
        for tab in opened.tabs:
            if not tab.page.is_closed():
                tab.check_clean()
    finally:
        opened.close()


# -- logging in ------------------------------------------------------------------------------


def log_in(tab: Tab, email: str, password: str = PASSWORD, tenant: str = "demo") -> None:
    """Through the login form (and its second step for staff, with the TOTP code of now or,
    when this step's code was used already, of the next step)."""
    page = tab.page
    tab.open("/login")
    page.get_by_label("Entreprise").fill(tenant)
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    code = page.get_by_label("Code de vérification")
    logout = page.get_by_role("button", name="Se déconnecter")
    expect(code.or_(logout)).to_be_visible()
    if code.is_visible():
        totp = pyotp.TOTP(TOTP_SECRET)
        for _ in range(3):
            code.fill(totp.now())
            page.get_by_role("button", name="Valider").click()
            refused = page.get_by_text("Code incorrect")
            expect(logout.or_(refused)).to_be_visible(timeout=10_000)
            if logout.is_visible():
                break
            time.sleep(30.2 - time.time() % 30)
    expect(logout).to_be_visible()
    tab.settle()


@dataclass
class Staff:
    """A staff member's logged-in browser context, shared by the tests (a TOTP code is
    accepted once per 30-second step)."""

    context: BrowserContext
    email: str
    base: str

    def csrf(self) -> str:
        return next(c["value"] for c in self.context.cookies() if c["name"] == "csrf_token")

    def api(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        """The public REST routes with this person's session, as the page calls them."""
        response = self.context.request.fetch(
            self.base + path,
            method=method,
            headers={"X-CSRF-Token": self.csrf(), "Content-Type": "application/json"},
            data=json.dumps(body) if body is not None else None,
            **kwargs,
        )
        assert response.ok, f"{method} {path}: {response.status} {response.text()}"
        return response.json() if response.status != 204 else None


@pytest.fixture(scope="package")
def staff(browser: Browser, platform: Platform) -> Iterator[Callable[[str], Staff]]:
    """``staff("admin@demo.test")``: that person's session, logged in once for the run."""
    logged: dict[str, Staff] = {}
    contexts: list[BrowserContext] = []
    shots = SHOTS / "staff-login"
    shots.mkdir(parents=True, exist_ok=True)

    def get(email: str) -> Staff:
        if email not in logged:
            context = browser.new_context(
                viewport=DESKTOP, locale="fr-FR", ignore_https_errors=True, accept_downloads=True
            )
            context.add_init_script(path=str(_axe_source()))
            contexts.append(context)
            tab = watch(context.new_page(), platform.url, shots)
            log_in(tab, email)
            tab.check_clean()
            tab.page.close()
            logged[email] = Staff(context, email, platform.url)
        return logged[email]

    yield get
    for context in contexts:
        context.close()


def staff_tab(browse: Browse, person: Staff) -> Tab:
    return browse.tab(person.context)


def new_employee(admin: Staff, first: str = "Élise", password: str = PASSWORD) -> dict[str, Any]:
    """A fresh employee with a password, made by the admin, so a test may erase them."""
    email = f"web-{secrets.token_hex(4)}@demo.test"
    body = {
        "email": email,
        "first_name": first,
        "last_name": f"Test{secrets.token_hex(2)}",
        "roles": ["employee"],
        "password": password,
    }
    created: dict[str, Any] = admin.api("POST", "/api/users", body)
    return created


def wait_for(check: Callable[[], bool], timeout: float = 20, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)


def mail_texts(platform: Platform, to: str) -> list[str]:
    """The plain texts of the sink's mails to ``to``, in arrival order."""
    texts = []
    paths = sorted((platform.var_dir / "mail").glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    for path in paths:
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if message["To"] == to:
            body = message.get_body(preferencelist=("plain",))
            texts.append(str(body.get_content()) if body else "")
    return texts


def mailed(platform: Platform, to: str, pattern: str, timeout: float = 30) -> str:
    """The first match of ``pattern`` (its group 1) in a mail to ``to``, waiting for it."""
    deadline = time.monotonic() + timeout
    while True:
        for text in mail_texts(platform, to):
            found = re.search(pattern, text)
            if found:
                return found.group(1)
        assert time.monotonic() < deadline, f"no mail to {to} matching {pattern}"
        time.sleep(0.25)


# -- English -----------------------------------------------------------------------------------


def switch_to_english(tab: Tab) -> None:
    """The header's language switch: the page redraws itself in English (the choice is kept in
    this browser context's storage only)."""
    tab.page.get_by_role("button", name="English").click()
    expect(tab.page.locator("html")).to_have_attribute("lang", "en")
    expect(tab.page.get_by_role("button", name="Français")).to_be_visible()
    tab.settle()


def english_staff_tab(browse: Browse, person: Staff, route: str, *, phone: bool = False) -> Tab:
    """``route`` in English with ``person``'s session, copied into a browser context of its own:
    its language is its own too, so the staff sessions the tests share stay French."""
    context = browse.context(phone=phone)
    context.add_cookies(
        [
            {"name": c["name"], "value": c["value"], "url": person.base}
            for c in person.context.cookies()
        ]
    )
    tab = browse.tab(context)
    tab.open(route)
    switch_to_english(tab)
    return tab
