"""pytest plugin (auto-loaded with ember-core): the ``--ember-device`` option of the conformance kit,
and a summary of the kit's skips (every skip must say why, and the reasons are printed)."""


def pytest_addoption(parser):
    parser.addoption("--ember-device", action="store", default="cpu",
                     help="device type the ember conformance kit runs on (default: cpu)")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = [r for r in terminalreporter.stats.get("skipped", [])
               if "conformance.py::" in r.nodeid]
    if not skipped:
        return
    reasons: dict = {}
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reasons.setdefault(reason.removeprefix("Skipped: "), []).append(report.nodeid)
    device = config.getoption("--ember-device")
    terminalreporter.section(f"ember conformance kit: {len(skipped)} skipped on '{device}'")
    for reason, ids in reasons.items():
        terminalreporter.write_line(f"{len(ids)} x {reason}")
        for nodeid in ids[:3]:
            terminalreporter.write_line(f"    {nodeid.split('::', 1)[1]}")
        if len(ids) > 3:
            terminalreporter.write_line(f"    ... and {len(ids) - 3} more")
