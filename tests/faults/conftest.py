"""The fault matrix's bookkeeping: which fault kind each case exercises, and the summary.

Each case of the matrix carries its fault kind (``case.fault``); a module of this folder may
instead name one for all its tests with a module-level ``FAULT_KIND``. At the end of the run
a table says, per fault kind, how many cases ran, passed and failed, how many hit a known
library bug (strict xfails, each with its cause), and how many crossings were ruled out as
not applicable (skipped explicitly, with the reason in the case table).
"""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

_PROPERTY = "fault_kind"
_COUNTS: defaultdict[str, Counter[str]] = defaultdict(Counter)


def _fault_kind(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    case = callspec.params.get("case") if callspec is not None else None
    if case is not None and hasattr(case, "fault"):
        return str(case.fault)
    module = getattr(item, "module", None)
    kind = getattr(module, "FAULT_KIND", None)
    return kind if isinstance(kind, str) else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tag every case of this folder with its fault kind (carried into its reports)."""
    for item in items:
        kind = _fault_kind(item)
        if kind is not None:
            item.user_properties.append((_PROPERTY, kind))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count each case once: passed or failed when it ran, not applicable when skipped."""
    kind = dict(report.user_properties).get(_PROPERTY)
    if kind is None:
        return
    counts = _COUNTS[str(kind)]
    if report.when == "setup" and report.skipped:
        counts["not applicable"] += 1
    elif report.when == "setup" and report.failed:
        counts["run"] += 1
        counts["failed"] += 1
    elif report.when == "call":
        counts["run"] += 1
        if hasattr(report, "wasxfail"):
            counts["known bug"] += 1
        else:
            counts["passed" if report.passed else "failed"] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the fault matrix: cases run and passed, by fault kind."""
    if not _COUNTS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("fault matrix")
    width = max(len(kind) for kind in _COUNTS) + 2
    write(f"{'fault kind':<{width}}{'run':>6}{'passed':>8}{'failed':>8}{'known bug':>11}{'n/a':>6}")
    total: Counter[str] = Counter()
    for kind in sorted(_COUNTS):
        counts = _COUNTS[kind]
        total.update(counts)
        write(_row(kind, counts, width))
    write(_row("total", total, width))


def _row(kind: str, counts: Counter[str], width: int) -> str:
    return (
        f"{kind:<{width}}{counts['run']:>6}{counts['passed']:>8}{counts['failed']:>8}"
        f"{counts['known bug']:>11}{counts['not applicable']:>6}"
    )
