"""What the proof suites share (``make chaos``, ``make security``, ``make load``).

Each suite starts the whole platform on fresh PostgreSQL databases and RabbitMQ (the bench
stack, on ports of its own), runs its checks, prints a summary table and writes it, with the
figures, to ``proof/results/<suite>-<time>.md``. The command fails when any check fails.
"""

import ssl
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from devstack.stack import ROOT, Stack

#: (HTTPS port, HTTP port, service port offset) of each suite: none clashes with the e2e,
#: browser or bench stacks, so a suite can run beside them.
PORTS = {
    "chaos": (29443, 29080, 21000),
    "security": (30443, 30080, 22000),
    "load": (31443, 31080, 23000),
}
RESULTS = ROOT / "proof" / "results"


@dataclass
class Check:
    """One line of a summary: what was checked, the figure seen, and whether it passed
    (``None``: a figure reported without a target)."""

    name: str
    figure: str
    passed: bool | None = True


def gateway_client(stack: Stack, **kwargs: object) -> httpx.Client:
    """A client of the stack's gateway that trusts its self-signed certificate only."""
    context = ssl.create_default_context(cafile=str(stack.config.var_dir / "tls" / "gateway.crt"))
    return httpx.Client(
        base_url=f"https://localhost:{stack.config.https_port}",
        verify=context,
        timeout=30,
        **kwargs,  # type: ignore[arg-type]
    )


def report(suite: str, checks: list[Check], notes: list[str] | None = None) -> int:
    """Print the summary table, write it to proof/results; 0 when every check passed."""
    verdicts = {True: "pass", False: "FAIL", None: "info"}
    width = max(len(check.name) for check in checks)
    lines = [
        f"# {suite}: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        f"| {'check':<{width}} | result | figure |",
        f"|{'-' * (width + 2)}|--------|--------|",
    ]
    lines += [f"| {c.name:<{width}} | {verdicts[c.passed]:<6} | {c.figure} |" for c in checks]
    if notes:
        lines += ["", *notes]
    failed = [c.name for c in checks if c.passed is False]
    lines += ["", f"{len(checks) - len(failed)} of {len(checks)} lines passed or informative."]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{suite}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.md"
    path.write_text(text)
    print("\n" + text + f"written to {path.relative_to(ROOT)}", flush=True)
    return 1 if failed else 0


def say(suite: str, text: str) -> None:
    print(f"[{suite}] {text}", flush=True)
