"""Print a JUnit report's totals as one plain closing line: `LABEL: N passed, N failed, N skipped`.

`.ci/run` prints it for the contract fuzzing's reports, whose own output ends with warnings, not
a count. Exits non-zero when a report is missing, counts no test or has failures.
"""

import sys
import xml.etree.ElementTree as ET


def main(label: str, *paths: str) -> int:
    tests = failed = skipped = 0
    for path in paths:
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
        for suite in suites:
            tests += int(suite.get("tests", 0))
            failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped += int(suite.get("skipped", 0))
    passed = tests - failed - skipped
    print(f"{label}: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if tests and not failed else 1


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: junit_summary.py LABEL REPORT.xml [REPORT.xml ...]")
    sys.exit(main(sys.argv[1], *sys.argv[2:]))
