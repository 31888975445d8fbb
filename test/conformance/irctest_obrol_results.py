"""pytest plugin for irctest runs through irctest_obrol (load with
`-p irctest_obrol_results`): a per-test time limit, since irctest's client
waits forever for a reply a server never sends, and a results file in the
format of the shared harness (../shared/irctest: tab-separated OUTCOME,
nodeid, markers, seconds, message, after '#' headers), so its summary.py and
bar.py read it too.

Options: --obrol-results FILE, --obrol-test-timeout SECONDS (default 60).
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from typing import Dict, Optional

import pytest

BUILTIN_MARKS = {"parametrize", "skip", "skipif", "xfail", "usefixtures", "filterwarnings"}


def pytest_addoption(parser):
    group = parser.getgroup("obrol")
    group.addoption("--obrol-results", default=None, help="write per-test results here")
    group.addoption("--obrol-test-timeout", type=float, default=60.0, help="per-test limit (s)")


class _State:
    fd = None
    timeout = 0.0
    reports: Dict[str, dict] = {}
    started = 0.0


def pytest_configure(config):
    _State.timeout = config.getoption("obrol_test_timeout") or 0.0
    path = config.getoption("obrol_results")
    if not path:
        return
    _State.fd = open(path, "w", encoding="utf-8")
    try:
        commit = subprocess.check_output(
            ["git", "-C", str(config.rootpath), "rev-parse", "HEAD"], text=True, stderr=subprocess.DEVNULL
        ).strip()
    except Exception:
        commit = "unknown"
    fd = _State.fd
    fd.write("# irctest results, Obrol started by irctest_obrol for every test\n")
    fd.write("# irctest: %s\n" % commit)
    fd.write("# date: %s\n" % time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    fd.write("# args: %s\n" % " ".join(config.invocation_params.args))
    fd.write("# outcome\tnodeid\tmarkers\tseconds\tmessage\n")
    fd.flush()


def pytest_unconfigure(config):
    if _State.fd:
        _State.fd.close()
        _State.fd = None


def _on_alarm(signum, frame):
    pytest.fail("[obrol] test exceeded %ss (no reply from the server?)" % _State.timeout, pytrace=False)


def _arm(minimum: float = 1.0):
    if _State.timeout <= 0:
        return None
    left = _State.timeout - (time.monotonic() - _State.started)
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(left, minimum))
    return old


def _disarm(old):
    if old is not None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    old = _arm()
    try:
        yield
    finally:
        _disarm(old)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    old = _arm()
    try:
        yield
    finally:
        _disarm(old)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    old = _arm(minimum=20.0)  # stopping the server always gets its time
    try:
        yield
    finally:
        _disarm(old)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _State.started = t0 = time.monotonic()
    yield
    _write(item, time.monotonic() - t0)


def pytest_runtest_logreport(report):
    _State.reports.setdefault(report.nodeid, {})[report.when] = report


def _clean(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()[:300]


def _message(rep) -> str:
    if rep.skipped and isinstance(rep.longrepr, tuple):
        return str(rep.longrepr[2])
    lr = rep.longrepr
    if lr is None:
        return ""
    crash = getattr(lr, "reprcrash", None)
    if crash is not None:
        return crash.message
    text = str(lr)
    return text.splitlines()[-1] if text else ""


def _write(item, seconds: float) -> None:
    reps = _State.reports.pop(item.nodeid, {})
    setup, call, teardown = reps.get("setup"), reps.get("call"), reps.get("teardown")
    outcome, msg = "ERROR", "no report"
    if setup is not None and not setup.passed:
        outcome, msg = ("SKIPPED" if setup.skipped else "ERROR"), _message(setup)
    elif call is not None:
        if hasattr(call, "wasxfail"):
            outcome, msg = ("XFAIL" if call.skipped else "XPASS"), call.wasxfail
        elif call.passed:
            outcome, msg = "PASSED", ""
        elif call.skipped:
            outcome, msg = "SKIPPED", _message(call)
        else:
            outcome, msg = "FAILED", _message(call)
    if outcome in ("PASSED", "SKIPPED", "XFAIL") and teardown is not None and teardown.failed:
        outcome, msg = "ERROR", "teardown: " + _message(teardown)
    marks = sorted({m.name for m in item.iter_markers() if m.name not in BUILTIN_MARKS})
    if _State.fd:
        _State.fd.write(
            "%s\t%s\t%s\t%.2f\t%s\n" % (outcome, item.nodeid, ",".join(marks), seconds, _clean(str(msg)))
        )
        _State.fd.flush()
