"""make load's JSON result (proof/load.py, ``write_json``): the figures of every step and of the
measured run, as the table gives them, for a program to read."""

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from proof.common import Check
from proof.load import (
    MIX,
    MemorySample,
    Operation,
    Outcome,
    Recorder,
    Sample,
    Window,
    _rate_at,
    before_the_run,
    cpu_line,
    cpu_shares,
    write_json,
)


def _memory(phase: str, at: float, orders_cpu: float, identity_cpu: float) -> MemorySample:
    return MemorySample(
        phase=phase,
        at=at,
        groups={"platform": (800.0, 1000.0, 15), "postgres": (250.0, 3000.0, 40)},
        cpu_s={"platform": orders_cpu + identity_cpu, "generator": 0.0, "machine": 10 * at},
        process_cpu_s={"orders": orders_cpu, "identity": identity_cpu},
    )


def _window(phase: str, target: float, statuses: list[int]) -> Window:
    window = Window(phase, target, seconds=10.0, arrivals=len(statuses))
    window.started = 1000.0
    window.samples = [  # one request a second, each 10 ms slower than the one before
        Sample(phase, "order", "POST /api/orders", status, 10.0 * (i + 1), 1000.0 + i)
        for i, status in enumerate(statuses)
    ]
    window.operations = [Operation(phase, "order", 50.0, status < 500) for status in statuses]
    return window


def _outcome(
    run: Window, *, best: float = 62 / 0.85, steps: list[Window] | None = None, **extra: Any
) -> Outcome:
    """An outcome around ``run``, with nothing else to say unless ``extra`` says it."""
    return Outcome(
        best=best,
        steps=steps or [],
        run=run,
        errors=Counter(),
        outbox={"orders": 0},
        outbox_s=0.0,
        requests=Counter(),
        requests_s=0.0,
        filed=0,
        ready_at=0.0,
        logged=Counter(),
        max_connections=100,
        **extra,
    )


def test_the_run_and_each_step_as_figures(tmp_path: Path) -> None:
    held = _window("step 1", 20, [200] * 10)
    failed = _window("step 2", 25, [200] * 8 + [503, 409])
    run = _window("run", 17, [200] * 9 + [409])
    outcome = _outcome(run, best=20, steps=[held, failed], probe_ms=(276.0, 301.0))
    # 10 s of run: orders used 2 s of CPU and identity 1 s, for 10 operations of 10 requests.
    memory = [_memory("run", 100.0, 5.0, 1.0), _memory("run", 110.0, 7.0, 2.0)]
    checks = [Check("5xx answers", "0", True), Check("rate held", "20", False)]
    path = tmp_path / "load-20261205T000000.json"

    write_json(
        path,
        outcome=outcome,
        memory=memory,
        by_phase={"run": memory},
        checks=checks,
        held_rate=20,
        setup_s=12.3,
        loaded={"subjects": 10_000, "rows": 1_258_543, "seconds": 22.5},
    )

    result = json.loads(path.read_text())
    assert (tmp_path / "load-latest.json").read_text() == path.read_text()
    assert result["rate_held"] == 20
    assert result["fixed_rate"] is None  # a ramp, not LOAD_RATE
    assert result["run"]["arrivals"] == 10
    assert result["population"] == {"subjects": 10_000, "rows": 1_258_543, "load_seconds": 22.5}
    assert [s["held"] for s in result["steps"]] == [True, False]
    assert result["steps"][1]["server_errors"] == 1
    assert result["run"]["requests"] == 10
    assert result["run"]["p99_ms"] == 100.0
    assert result["run"]["routes"]["POST /api/orders"]["non_2xx"] == {"409": 1}
    assert set(result["run"]["kinds"]) == set(MIX)
    assert result["run"]["kinds"]["order"]["operations"] == 10
    cost = result["run"]["platform_cpu"]
    assert cost["ms_per_operation"] == 300.0  # 3 s of CPU over 10 operations
    assert cost["per_request_ms_by_process"] == {"orders": 200.0, "identity": 100.0}
    assert result["memory_at_peak_pss_mib"]["total"] == 1050
    assert [c["result"] for c in result["checks"]] == ["pass", "fail"]
    assert result["passed"] is False
    assert result["speed_probe_cpu_ms"] == {"before": 276.0, "after": 301.0}
    assert result["warm_up"] is None  # a ramp warms the stack up itself


def test_the_warm_up_of_a_fixed_rate_run_is_reported_apart(tmp_path: Path) -> None:
    warm_up = _window("warm-up", 62, [200] * 9 + [503])
    warm_up.ramp_s = 30
    run = _window("run", 62, [200] * 10)
    outcome = _outcome(run, warm_up=warm_up, settled=(12.5, {}))
    path = tmp_path / "load-20261205T000000.json"

    write_json(
        path,
        outcome=outcome,
        memory=[],
        by_phase={},
        checks=[],
        held_rate=62,
        setup_s=1.0,
        loaded={"subjects": 10_000, "rows": 1, "seconds": 1.0},
    )

    result = json.loads(path.read_text())
    assert result["warm_up"]["phase"] == "warm-up"
    assert result["warm_up"]["server_errors"] == 1  # reported, not counted in the run's
    assert result["run"]["server_errors"] == 0
    assert result["warm_up"]["by_10_s"][0]["requests"] == 10
    assert result["warm_up"]["climb_s"] == 30 and result["run"]["climb_s"] == 0
    assert result["settled"] == {"seconds": 12.5, "left": {}}


def test_p99_by_when_each_request_was_sent() -> None:
    window = _window("run", 17, [200] * 25)  # sent at 0, 1, ... 24 s
    window.seconds = 20.0  # the last 5 requests: operations' later steps, after the end

    slices = window.slices()

    assert [(s["from_s"], s["requests"]) for s in slices] == [(0.0, 10), (10.0, 15)]
    assert [s["max_ms"] for s in slices] == [100.0, 250.0]
    assert slices[1]["p99_ms"] > slices[0]["p99_ms"]
    assert window.slices_line() == "0 s: 100 (10), 10 s: 250 (15)"


def test_the_warm_up_and_the_errors_outside_the_run_are_said_and_not_counted() -> None:
    recorder = Recorder()
    recorder.errors["warm-up"]["TimeoutError on GET /api/offers"] += 2
    recorder.errors["step 9"]["TimeoutError on POST /api/orders"] += 1
    recorder.errors["run"]["ClientError on GET /api/orders"] += 1
    warm_up = _window("warm-up", 62, [200] * 9 + [503])

    checks = before_the_run(
        _outcome(
            _window("run", 62, [200] * 10),
            warm_up=warm_up,
            errors_outside=recorder.errors_outside_run(),
        )
    )

    assert [c.passed for c in checks] == [None, None]  # said, never a verdict
    assert "5xx 1" in checks[0].figure and "done 1.0 operations/s" in checks[0].figure
    assert "30 s" not in checks[0].name and "10 s at 62 operations/s" in checks[0].name
    assert recorder.errors_outside_run() == Counter(
        {"TimeoutError on GET /api/offers": 2, "TimeoutError on POST /api/orders": 1}
    )
    assert "TimeoutError on POST /api/orders" in checks[1].figure
    assert "ClientError" not in checks[1].figure  # the run's own error counts in its check


def test_a_warm_up_climbs_to_its_rate_and_the_wait_after_it_is_said() -> None:
    """From a quarter of the rate to all of it over the ramp's seconds, then the rate; a run
    without a ramp is at its rate from the start."""
    assert [_rate_at(56, t, 15) for t in (0, 7.5, 15, 40)] == [14, 35, 56, 56]
    assert _rate_at(56, 0, 0) == 56
    warm_up = _window("warm-up", 56, [200] * 10)
    warm_up.ramp_s = 15

    checks = before_the_run(
        _outcome(_window("run", 56, [200] * 10), warm_up=warm_up, settled=(24.5, {"q": 3}))
    )

    assert "at 56 operations/s (from 14 in its first 15 s)" in checks[0].name
    assert checks[1].figure == "24.5 s; still queued at its end: {'q': 3}"
    assert checks[1].passed is None


def test_a_ramp_without_errors_outside_its_run_says_nothing_more() -> None:
    assert before_the_run(_outcome(_window("run", 17, [200] * 10))) == []


def test_the_rest_of_the_machine_gives_its_interrupts_and_stolen_time_apart() -> None:
    """Of the cores over 10 s, in shares of them: the platform 40 %, the generator 5 %, the
    machine busy 65 %, of it 5 % in interrupts and 10 % stolen by the hypervisor: "other" is
    the 20 % left, and the two are said beside it."""
    seconds = 10 * (os.cpu_count() or 1) / 100  # CPU seconds of 1 % of the cores over 10 s
    end = {"platform": 40, "generator": 5, "machine": 65, "interrupts": 5, "stolen": 10}
    samples = [
        MemorySample("run", 0.0, {}, dict.fromkeys(end, 0.0), process_cpu_s={}),
        MemorySample("run", 10.0, {}, {k: v * seconds for k, v in end.items()}, process_cpu_s={}),
    ]
    shares = cpu_shares(samples)
    assert shares == {"platform": 40, "generator": 5, "other": 20, "interrupts": 5, "stolen": 10}
    assert cpu_line(shares) == (
        "platform 40 %, generator 5 %, other 20 %; the machine's interrupts 5 %, stolen 10 %"
    )
