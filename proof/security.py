"""Security suite: ``make security`` (issue 9).

The whole platform on PostgreSQL and RabbitMQ (ports of its own, see proof/common.py), its
gateway serving a certificate issued by a CA of the run (so that a TLS scanner can check the
whole configuration, certificate path included). Then:

1. gixy-ng finds nothing in the gateway's configuration: the one the stack runs, and the one
   compose renders (tests/test_gateway_config.py, also run by ``make test``);
2. sslyze finds the gateway compliant with Mozilla's "intermediate" TLS configuration;
3. Schemathesis fuzzes every operation of every service's OpenAPI document through the
   gateway, signed in as an employee and as each staff role the operation admits: no 5xx, no
   response outside its schema, no status the document does not list; and the gateway's log
   shows no 5xx answered to anything the scanners and the fuzzer sent;
4. the role matrix (tests/e2e/test_role_matrix.py) and the token attacks
   (tests/e2e/test_sessions.py, tests/e2e/test_gateway.py) run on an e2e stack of their own
   (E2E_SHIFT=4).

Summary table: proof/results/security-<time>.md; the Schemathesis logs and reports stay in
var/proof-security/schemathesis/. Settings: SECURITY_EXAMPLES (examples per operation and
phase, 100), SECURITY_SEED (Schemathesis' seed; random by default).

``SECURITY_FAST=1`` (``make test``): part 3 alone, one Schemathesis pass per service: signed in
as the caller the most of its operations admit (the employee for the public and signed-in
ones, the tenant admin, the DPO or the agent for their services), 10 examples per operation
in the examples and fuzzing phases (the coverage phase stays in the full run), then the
gateway's log as in part 3; on a stack of its own (suite
``security-fast``, beside a full ``make security``). gixy-ng runs in every ``make test``
already (tests/test_gateway_config.py), and so do the role matrix and the token attacks;
sslyze needs a virtual environment of its own and stays in ``make security``. Table in
proof/results/security-fast-<time>.md.
"""

import copy
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from devstack.stack import ROOT, SERVICES, Stack

sys.path.insert(0, str(ROOT))
from bench.common import bench_stack, login
from proof.common import PORTS, Check, gateway_client, report, say

FAST = os.environ.get("SECURITY_FAST") == "1"
SUITE = "security-fast" if FAST else "security"
STACK = f"proof-{SUITE}"
EXCHANGE = f"{SUITE}.events"
#: The e2e stack of the role matrix and the token attacks (ports moved by 4,000).
E2E_SHIFT = "4"
EXAMPLES = int(os.environ.get("SECURITY_EXAMPLES", "10" if FAST else "100"))
#: The coverage phase (every boundary of every schema) is two thirds of a run's time: the
#: fast run leaves it to ``make security``.
PHASES = "examples,fuzzing" if FAST else "examples,coverage,fuzzing"
SEED = os.environ.get("SECURITY_SEED")

#: Who fuzzes: an employee runs every public and signed-in operation; each staff role runs the
#: signed-in operations and those its role admits (``x-access``/``x-roles``).
CALLERS = {
    "employee": "alice@demo.test",
    "tenant_admin": "admin@demo.test",
    "dpo": "dpo@demo.test",
    "support_agent": "agent@demo.test",
}
#: Operations the fuzzer does not call, and why (each is covered by the e2e tests).
NOT_FUZZED = {
    ("POST", "/api/auth/logout"): "ends the very session the run uses",
    ("DELETE", "/api/auth/sessions/{session_id}"): "Schemathesis reuses the ids it reads in"
    " GET /api/auth/sessions, and ends the session the run uses",
    # The platform administrator's alone (no caller of the run has that role; every other
    # caller's 403 is the role matrix's): tests/e2e/test_processor_duties.py.
    ("GET", "/api/privacy/closures/{tenant_id}/archive"): "the platform administrator's alone",
    ("PUT", "/api/privacy/clients/{tenant_id}/contract"): "the platform administrator's alone",
}
#: Operations that answer a caller they let in with 401/403 whatever a fuzzer sends (a code,
#: a password or a signature it cannot know): Schemathesis' "only 401/403" warning is expected.
REFUSING = {
    "POST /api/auth/mfa",
    "POST /api/auth/mfa/disable",
    "POST /api/auth/password",
    "POST /api/payments/webhook",
    # The ids Schemathesis reads from GET /api/privacy/processors are the platform's entries,
    # which only the platform administrator removes: a DPO is refused them (403) by design.
    "DELETE /api/privacy/processors/{processor_id}",
}
#: Never routed by the gateway (the role matrix checks they cannot be reached through it).
NOT_ROUTED = re.compile(r"^/(internal/|\.well-known/|healthz$|readyz$|metrics$)")
METHODS = ("get", "post", "put", "patch", "delete")
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"

#: sslyze 6.3.1 needs cryptography < 47 and the platform pins 50.0.2: it gets a virtual
#: environment of its own, with these exact versions.
SSLYZE_VENV = ROOT / "var" / "tools" / "sslyze"
SSLYZE_PINS = [
    "sslyze==6.3.1",
    "nassl==5.4.0",
    "tls_parser==2.0.2",
    "cryptography==46.0.7",
    "cffi==2.1.1",
    "pycparser==3.12",
    "pydantic==2.14.4",
    "pydantic_core==2.50.5",
    "annotated-types==0.8.0",
    "typing-inspection==0.4.5",
    "typing_extensions==4.16.0",
]


def pytest(*args: str, **options: Any) -> subprocess.CompletedProcess[str]:
    """The project's pytest on ``args`` from the repository root (``options``: of
    ``subprocess.run``)."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    return subprocess.run(command, cwd=ROOT, check=False, **options)


# -- the run's certificate ---------------------------------------------------------------------


def issue_certificate(folder: Path, *, days: int = 90) -> Path:
    """A CA of the run and the gateway's certificate issued by it (what a real deployment
    has), written where the stack looks for its certificate; returns the CA's file.

    ``gateway.crt`` holds the certificate and then the CA's, so that the clients of
    proof/common.py, which trust that file, still verify the gateway."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "security suite CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    usage = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(**usage | {"key_cert_sign": True, "crl_sign": True}), critical=True
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(**usage | {"digital_signature": True}), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_path = folder / "gateway.key"
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (folder / "gateway.crt").write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    (folder / "ca.crt").write_bytes(ca.public_bytes(pem))
    return folder / "ca.crt"


# -- 1. gixy-ng --------------------------------------------------------------------------------


def gixy(stack: Stack) -> list[Check]:
    """The configuration the stack runs, then the compose one (the test of ``make test``)."""
    live = stack.gateway_dir / "conf" / "nginx.conf"
    result = subprocess.run(
        [sys.executable, "-m", "gixy", "-f", "json", str(live)],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        issues = json.loads(result.stdout)
    except ValueError:
        issues = None
    compose = pytest("tests/test_gateway_config.py", capture_output=True, text=True)
    if issues:
        say(SUITE, f"gixy-ng: {json.dumps(issues)[:2000]}")
    if compose.returncode != 0:
        say(SUITE, f"gixy-ng on the compose configuration:\n{compose.stdout[-2000:]}")
    found = "?" if issues is None else str(len(issues))
    return [
        Check(
            "gixy-ng: gateway configuration (local run, compose)",
            f"{found} issues in the running configuration; compose rendering: "
            + ("no issue" if compose.returncode == 0 else "issues (see the log above)"),
            issues == [] and result.returncode == 0 and compose.returncode == 0,
        )
    ]


# -- 2. sslyze ---------------------------------------------------------------------------------


def sslyze_python() -> Path:
    python = SSLYZE_VENV / "bin" / "python"
    installed = SSLYZE_VENV / ".installed"
    if not installed.exists() or installed.read_text() != "\n".join(SSLYZE_PINS):
        say(SUITE, f"installing sslyze into {SSLYZE_VENV.relative_to(ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", str(SSLYZE_VENV)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                *SSLYZE_PINS,
            ],
            check=True,
        )
        installed.write_text("\n".join(SSLYZE_PINS))
    return python


def sslyze(stack: Stack, ca: Path) -> list[Check]:
    target = f"localhost:{stack.config.https_port}"
    out = stack.config.var_dir / "sslyze.json"
    result = subprocess.run(
        [
            str(sslyze_python()),
            "-W",
            "ignore",
            "-m",
            "sslyze",
            "--quiet",
            "--mozilla_config=intermediate",
            f"--certinfo_ca_file={ca}",
            f"--json_out={out}",
            target,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    text = result.stdout + result.stderr
    deviations = [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("* ")]
    compliant = result.returncode == 0 and f"{target}: OK - Compliant" in text
    if not compliant:
        say(SUITE, f"sslyze:\n{text[-3000:]}")
    accepted: dict[str, int] = {}
    curves: list[str] = []
    try:
        scan = json.loads(out.read_text())["server_scan_results"][0]["scan_result"]
        for version in ("ssl_2_0", "ssl_3_0", "tls_1_0", "tls_1_1", "tls_1_2", "tls_1_3"):
            suites = scan[f"{version}_cipher_suites"]["result"]["accepted_cipher_suites"]
            if suites:
                accepted[version.replace("_", ".").replace("tls.", "TLS ").upper()] = len(suites)
        curves = [c["name"] for c in scan["elliptic_curves"]["result"]["supported_curves"]]
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        pass
    protocols = ", ".join(f"{name} ({n} suites)" for name, n in accepted.items())
    return [
        Check(
            "sslyze: Mozilla intermediate profile",
            ("compliant" if compliant else f"{len(deviations)} deviations: {'; '.join(deviations)}")
            + f"; {protocols or 'no protocol seen'}; curves {', '.join(curves) or '?'}",
            compliant and not deviations,
        )
    ]


# -- 3. Schemathesis ---------------------------------------------------------------------------


@dataclass
class Fuzzed:
    """The figures of one service's runs."""

    service: str
    operations: int = 0
    callers: list[str] = field(default_factory=list)
    cases: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    broken: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures and not self.errors and not self.broken


def documents(stack: Stack) -> dict[str, dict[str, Any]]:
    """Each service's OpenAPI document, from its own port (the gateway never serves them)."""
    found = {}
    for spec in SERVICES:
        url = f"http://127.0.0.1:{stack.config.port(spec)}/openapi.json"
        found[spec.name] = httpx.get(url, timeout=30).raise_for_status().json()
    return found


def for_caller(document: dict[str, Any], role: str) -> tuple[dict[str, Any], int]:
    """The part of ``document`` that ``role`` may call through the gateway, and its size."""
    mine = copy.deepcopy(document)
    count = 0
    for path in list(mine["paths"]):
        if NOT_ROUTED.match(path):
            del mine["paths"][path]
            continue
        for method in [m for m in mine["paths"][path] if m in METHODS]:
            operation = mine["paths"][path][method]
            access = operation.get("x-access")
            allowed = (
                (access == "public" and role == "employee")
                or access == "authenticated"
                or (access == "roles" and role in operation.get("x-roles", []))
            )
            if not allowed or (method.upper(), path) in NOT_FUZZED:
                del mine["paths"][path][method]
            else:
                count += 1
        if not any(m in mine["paths"][path] for m in METHODS):
            del mine["paths"][path]
    return mine, count


def callers_of(
    document: dict[str, Any], sessions: dict[str, "Session"]
) -> list[tuple[str, "Session"]]:
    """Who fuzzes ``document``: every caller; in the fast run, the one the most operations
    admit (the first of ``CALLERS`` on a tie: the employee)."""
    if not FAST:
        return list(sessions.items())
    role = max(sessions, key=lambda r: for_caller(document, r)[1])
    return [(role, sessions[role])]


@dataclass
class Session:
    email: str
    cookie: str
    csrf: str


def sign_in(stack: Stack, email: str) -> Session:
    with gateway_client(stack) as client:
        login(client, email)
        cookies = {k: client.cookies[k] for k in ("__Host-session", "csrf_token")}
    return Session(email, "; ".join(f"{k}={v}" for k, v in cookies.items()), cookies["csrf_token"])


def signed_in(stack: Stack, session: Session) -> bool:
    """Whether the session is still valid. A POST (which asks for a new pending authenticator
    secret, harmless): the gateway may answer a read from its 2-second cache."""
    headers = {"Cookie": session.cookie, "X-CSRF-Token": session.csrf}
    with gateway_client(stack) as client:
        return client.post("/api/auth/mfa/setup", headers=headers).status_code == 200


def fuzz(stack: Stack, ca: Path, sessions: dict[str, Session]) -> list[Check]:
    folder = stack.config.var_dir / "schemathesis"
    folder.mkdir(parents=True, exist_ok=True)
    # Every account there now stays (the runs' own accounts among them): every page of the
    # list (kit.pagination), not only the first.
    with gateway_client(stack) as admin:
        admin.headers["Cookie"] = sessions["tenant_admin"].cookie
        ids: list[str] = []
        params = {"limit": "500"}
        while True:
            answer = admin.get("/api/users", params=params).raise_for_status()
            ids += [u["id"] for u in answer.json()]
            if "X-Next-Cursor" not in answer.headers:
                break
            params["cursor"] = answer.headers["X-Next-Cursor"]
        keep = ",".join(ids)
    results = []
    for service, document in documents(stack).items():
        fuzzed = Fuzzed(service)
        operations: set[tuple[str, str]] = set()
        for role, session in callers_of(document, sessions):
            mine, count = for_caller(document, role)
            if count == 0:
                continue
            operations |= {(m, p) for p, ops in mine["paths"].items() for m in ops}
            name = f"{service}-{role}"
            schema = folder / f"{name}.json"
            schema.write_text(json.dumps(mine))
            run_report = folder / f"{name}.report.json"
            run_report.unlink(missing_ok=True)
            argv = [sys.executable, "-m", "schemathesis.cli", "run", str(schema)]
            argv += ["--url", f"https://localhost:{stack.config.https_port}"]
            argv += ["-H", f"Cookie: {session.cookie}", "-H", f"X-CSRF-Token: {session.csrf}"]
            argv += ["--tls-verify", str(ca), "--checks", CHECKS]
            argv += ["--max-examples", str(EXAMPLES), "--phases", PHASES]
            argv += ["--generation-database", "none", "--no-color", "--request-timeout", "30"]
            argv += ["--report", "json", "--report-json-path", str(run_report)]
            if SEED:
                argv += ["--seed", SEED]
            started = time.monotonic()
            result = subprocess.run(
                argv,
                cwd=ROOT,
                env=os.environ
                | {
                    "SCHEMATHESIS_HOOKS": "proof.security_hooks",
                    "PYTHONPATH": str(ROOT),
                    "SECURITY_KEEP_USERS": keep,
                },
                capture_output=True,
                text=True,
                check=False,
            )
            seconds = time.monotonic() - started
            fuzzed.seconds += seconds
            (folder / f"{name}.log").write_text(result.stdout + result.stderr)
            fuzzed.callers.append(role)
            try:
                data = json.loads(run_report.read_text())
            except (OSError, ValueError):
                fuzzed.broken.append(f"{role}: no report (exit {result.returncode})")
                say(SUITE, f"schemathesis {name} failed to run:\n{result.stderr[-2000:]}")
                continue
            fuzzed.cases += int(data["test_cases"]["generated"])
            fuzzed.errors += len(data.get("errors") or [])
            for failure in data.get("failures") or []:
                key = f"{failure['code']} {failure['title']}"
                fuzzed.failures[key] = fuzzed.failures.get(key, 0) + int(failure["count"])
            if data["operations"]["tested"] != count:
                fuzzed.broken.append(f"{role}: {data['operations']['tested']} of {count} tested")
            # A run is only worth its cases if its session held: the gateway would have
            # answered 401 to everything after the session ended.
            refused = sorted(set(data["warnings"].get("missing_auth") or []) - REFUSING)
            if refused:
                fuzzed.broken.append(f"{role}: only 401/403 for {', '.join(refused)}")
            if not signed_in(stack, session):
                fuzzed.broken.append(f"{role}: the run's session ended during the run")
                sessions[role] = sign_in(stack, session.email)
            verdict = "ok" if result.returncode == 0 else f"FAILED (see {name}.log)"
            say(
                SUITE,
                f"schemathesis {service} as {role}: {count} operations,"
                f" {data['test_cases']['generated']} cases, {seconds:.0f} s: {verdict}",
            )
            if result.returncode != 0:
                print(_failures_of(result.stdout), flush=True)
        fuzzed.operations = len(operations)
        routed = {
            (m, p)
            for p, item in document["paths"].items()
            if not NOT_ROUTED.match(p)
            for m in item
            if m in METHODS and (m.upper(), p) not in NOT_FUZZED
        }
        if operations != routed and not FAST:  # the fast run: its one caller's share
            missed = sorted(f"{m.upper()} {p}" for m, p in routed - operations)
            fuzzed.broken.append(f"not fuzzed by any caller: {', '.join(missed)}")
        results.append(fuzzed)
    return [
        Check(
            f"schemathesis: {f.service}",
            f"{f.operations} operations, as {', '.join(f.callers)}; {f.cases} cases in"
            f" {f.seconds:.0f} s; "
            + (
                "no 5xx, no schema or status violation"
                if f.passed
                else "; ".join(
                    [f"{n} x {k}" for k, n in f.failures.items()]
                    + ([f"{f.errors} errors"] if f.errors else [])
                    + f.broken
                )
            ),
            f.passed,
        )
        for f in results
    ]


def _failures_of(output: str) -> str:
    """The FAILURES section of a Schemathesis run, shortened."""
    start = output.find("FAILURES")
    end = output.find("WARNINGS", start) if start >= 0 else -1
    return output[start : end if end > 0 else None][:6000] if start >= 0 else output[-3000:]


def server_errors(stack: Stack) -> list[Check]:
    """Everything the gateway answered while the scanners and the fuzzer ran: no 5xx, and no
    unhandled error in any service's log."""
    answered, failed = 0, []
    access = stack.gateway_dir / "logs" / "access.log"
    for line in access.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        answered += 1
        if int(entry.get("status", 0)) >= 500:
            failed.append(f"{entry.get('status')} {entry.get('method')} {entry.get('path')}")
    unhandled = sum(
        log.read_text(errors="replace").count('"unhandled error"')
        for log in (stack.config.var_dir / "logs").glob("*.log")
    )
    if failed:
        say(SUITE, "5xx answered by the gateway:\n" + "\n".join(failed[:50]))
    return [
        Check(
            "gateway log: no 5xx during the scans and the fuzzing",
            f"{answered} requests, {len(failed)} answered 5xx; {unhandled} unhandled errors in"
            " the services' logs",
            answered > 0 and not failed and unhandled == 0,
        )
    ]


# -- 4. the role matrix and the token attacks --------------------------------------------------

E2E_FILES = {
    "role matrix (tests/e2e/test_role_matrix.py)": "tests/e2e/test_role_matrix.py",
    "token attacks (tests/e2e/test_sessions.py)": "tests/e2e/test_sessions.py",
    "gateway attacks (tests/e2e/test_gateway.py)": "tests/e2e/test_gateway.py",
    "inputs at their limits (tests/e2e/test_input_limits.py)": "tests/e2e/test_input_limits.py",
}


def e2e() -> tuple[list[Check], list[str]]:
    var_dir = ROOT / "var" / f"e2e{E2E_SHIFT}"
    measurements = var_dir / "measurements.json"
    measurements.unlink(missing_ok=True)
    junit = ROOT / "var" / STACK / "e2e-junit.xml"
    junit.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    result = pytest(
        f"--junitxml={junit}", *E2E_FILES.values(), env=os.environ | {"E2E_SHIFT": E2E_SHIFT}
    )
    say(SUITE, f"e2e tests done in {time.monotonic() - started:.0f} s (exit {result.returncode})")
    counts = {path: [0, 0] for path in E2E_FILES.values()}  # passed, total
    failed: dict[str, list[str]] = {path: [] for path in E2E_FILES.values()}
    try:
        for case in ET.parse(junit).iter("testcase"):
            module = case.get("classname", "").replace(".", "/") + ".py"
            path = next((p for p in E2E_FILES.values() if module.endswith(p)), None)
            if path is None:
                continue
            counts[path][1] += 1
            if any(child.tag in ("failure", "error") for child in case):
                failed[path].append(case.get("name", "?"))
            elif not any(child.tag == "skipped" for child in case):
                counts[path][0] += 1
    except (OSError, ET.ParseError):
        pass
    figures: dict[str, Any] = {}
    if measurements.exists():
        figures = json.loads(measurements.read_text())
    checks = []
    for name, path in E2E_FILES.items():
        passed, total = counts[path]
        figure = f"{passed} of {total} tests passed"
        if path.endswith("test_role_matrix.py") and "role_matrix_calls" in figures:
            figure += (
                f"; {figures['role_matrix_operations']} operations x"
                f" {figures['role_matrix_callers']} callers = {figures['role_matrix_calls']}"
                " calls"
            )
        if path.endswith("test_role_matrix.py") and "role_matrix_object_checks" in figures:
            figure += (
                f"; {figures['role_matrix_object_checks']} calls on another tenant's or"
                " person's objects"
            )
        if failed[path]:
            figure += f"; failed: {', '.join(failed[path])}"
        checks.append(Check(name, figure, total > 0 and passed == total))
    notes = [] if result.returncode == 0 else ["- e2e tests: their output is on the console above."]
    return checks, notes


# -- the suite ---------------------------------------------------------------------------------


def fast(ca: Path) -> int:
    """``SECURITY_FAST=1``: one Schemathesis pass per service, then the gateway's log."""
    started = time.monotonic()
    with bench_stack(STACK, EXCHANGE, ports=PORTS[SUITE]) as stack:
        sessions = {role: sign_in(stack, email) for role, email in CALLERS.items()}
        say(SUITE, f"fuzzing each service once ({EXAMPLES} examples)")
        checks = fuzz(stack, ca, sessions)
        checks += server_errors(stack)
    checks.append(Check("duration", f"{time.monotonic() - started:.0f} s", None))
    notes = [
        "Notes:",
        "- The fast run of make test: one Schemathesis pass per service (phases " + PHASES + ";"
        " checks " + CHECKS + "), as the caller the most of its operations admit; `make"
        " security` runs every caller, the coverage phase, 100 examples, sslyze and gixy-ng."
        " Logs and reports: var/" + STACK + "/schemathesis/.",
    ]
    return report(SUITE, checks, notes)


def main() -> int:
    started = time.monotonic()
    var_dir = ROOT / "var" / STACK
    shutil.rmtree(var_dir, ignore_errors=True)  # the logs read at the end are this run's only
    ca = issue_certificate(var_dir / "tls")
    checks: list[Check] = []
    say(SUITE, "starting the platform")
    if FAST:
        return fast(ca)
    with bench_stack(STACK, EXCHANGE, ports=PORTS[SUITE]) as stack:
        checks += gixy(stack)
        say(SUITE, f"gixy-ng: {checks[-1].figure}")
        checks += sslyze(stack, ca)
        say(SUITE, f"sslyze: {checks[-1].figure}")
        sessions = {role: sign_in(stack, email) for role, email in CALLERS.items()}
        say(SUITE, f"fuzzing every service as {', '.join(CALLERS)} ({EXAMPLES} examples)")
        checks += fuzz(stack, ca, sessions)
        checks += server_errors(stack)
    say(SUITE, f"role matrix and token attacks (E2E_SHIFT={E2E_SHIFT})")
    e2e_checks, notes = e2e()
    checks += e2e_checks
    checks.append(Check("duration", f"{time.monotonic() - started:.0f} s", None))
    notes = [
        "Notes:",
        "- TLS: the gateway serves a certificate issued by a CA made for the run (a local run's"
        " certificate is self-signed, which no profile accepts); sslyze is given that CA"
        " (--certinfo_ca_file), so the certificate path is checked like every other point"
        " and any deviation fails the line.",
        "- Schemathesis (examples, coverage and fuzzing phases; checks " + CHECKS + ") calls"
        " each operation through the gateway with a real session and CSRF header: employee"
        " runs cover public and signed-in operations, each staff role the signed-in ones and"
        " those its role admits; after each run, its session must still be valid, and no"
        " operation may have answered only 401/403 (but those refusing any code, password or"
        " signature a fuzzer cannot know: "
        + ", ".join(sorted(REFUSING))
        + "). Not fuzzed: "
        + "; ".join(f"{m} {p} ({why})" for (m, p), why in NOT_FUZZED.items())
        + ". An erasure request is sent as an access request, the employee import as a dry"
        " run, and the accounts there before the run are never deleted"
        " (proof/security_hooks.py): each would end the run's accounts. The stateful phase is"
        " off: the documents declare no links, and it reached few operations when tried."
        " Logs and reports: var/proof-security/schemathesis/.",
        "- Role matrix and token attacks run as pytest on an e2e stack of their own"
        f" (E2E_SHIFT={E2E_SHIFT}); they also run in every `make test`.",
        *notes,
    ]
    return report(SUITE, checks, notes)


if __name__ == "__main__":
    sys.exit(main())
