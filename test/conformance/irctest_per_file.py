#!/usr/bin/env python3
"""Per-file counts of an irctest results file (the tab-separated format of
irctest_obrol_results.py and the shared harness).

usage: irctest_per_file.py RESULTS [--core] [--failures]
  --core      only the core selection (not implementation-specific,
              deprecated, strict or services)
  --failures  list every failed or errored test with its message
"""
import collections
import sys

CORE_EXCLUDES = {"implementation-specific", "deprecated", "strict", "services"}
COLUMNS = ["PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS"]


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    core = "--core" in sys.argv
    failures = "--failures" in sys.argv
    if len(args) != 1:
        sys.exit(__doc__)
    per_file = collections.defaultdict(collections.Counter)
    failed = []
    with open(args[0], encoding="utf-8") as fd:
        for line in fd:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t") + [""] * 5
            outcome, nodeid, markers, _secs, message = parts[:5]
            if outcome not in COLUMNS:
                continue
            if core and set(markers.split(",")) & CORE_EXCLUDES:
                continue
            name = nodeid.split("::")[0].replace("irctest/server_tests/", "")
            per_file[name][outcome] += 1
            if outcome in ("FAILED", "ERROR"):
                failed.append((nodeid, message))
    shown = [c for c in COLUMNS if any(per_file[f][c] for f in per_file)]
    width = max([len(f) for f in per_file] + [5])
    print("%-*s %s" % (width, "file", " ".join("%7s" % c.lower() for c in shown)))
    total = collections.Counter()
    for name in sorted(per_file):
        total.update(per_file[name])
        print("%-*s %s" % (width, name, " ".join("%7d" % per_file[name][c] for c in shown)))
    print("%-*s %s" % (width, "TOTAL", " ".join("%7d" % total[c] for c in shown)))
    if failures and failed:
        print()
        for nodeid, message in failed:
            print("%s\n    %s" % (nodeid, message))


if __name__ == "__main__":
    main()
