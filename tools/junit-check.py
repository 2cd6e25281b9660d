#!/usr/bin/env python3
"""Reads a poscert JUnit report with junitparser (PyPI), the way CI plugins read it, and checks
the shape Jenkins, GitLab, GitHub reporters and Azure all rely on (see the landscape notes, §5):

- the file parses, and has at least one testsuite and one testcase;
- every suite has a name, a hostname and an ISO 8601 timestamp, and the properties
  poscert.target and poscert.client.mode;
- every testcase has a dotted, non-empty classname; classname + name is unique;
- every testcase has `file` and a positive integer `line`;
- a failure, error or skip carries a message; a failure is an assertion, an error is not;
- the counts on each suite match its testcases;
- with --secret VALUE (repeatable), the value appears in no byte of the file, neither plain
  nor base64- nor URL-encoded.

Usage: junit-check.py [--secret VALUE]... [--min-tests N] report.xml
Exit status 0 when the file is fine; 1 with one line per problem on stderr otherwise; 2 when
it cannot be read at all.
"""

import argparse
import base64
import datetime
import sys
import urllib.parse

try:
    from junitparser import Error, Failure, JUnitXml, Skipped
except ImportError:
    print("junit-check: junitparser is not installed (pip install junitparser)", file=sys.stderr)
    sys.exit(2)

REQUIRED_PROPERTIES = ("poscert.target", "poscert.client.mode")


def encodings(secret):
    """The forms a secret travels in: plain, base64 (with and without padding), URL-encoded."""
    raw = secret.encode()
    forms = {
        secret,
        base64.b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
    }
    return {f for f in forms if f}


def is_timestamp(text):
    try:
        datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return True
    except (TypeError, ValueError):
        return False


def results_of(case):
    # junitparser 2/3 return a list; both spellings are read the same way.
    result = case.result
    if result is None:
        return []
    return list(result) if isinstance(result, (list, tuple)) else [result]


def check(path, secrets, min_tests):
    problems = []
    try:
        raw = open(path, "rb").read()
        xml = JUnitXml.fromfile(path)
    except Exception as e:  # any parse error means CI cannot read it either
        print(f"junit-check: {path}: cannot read: {e}", file=sys.stderr)
        sys.exit(2)

    for secret in secrets:
        for form in encodings(secret):
            if form.encode() in raw:
                problems.append(f"a secret appears in the file (as `{form[:4]}…`, {len(form)} chars)")

    suites = list(xml) if isinstance(xml, JUnitXml) else [xml]
    if not suites:
        problems.append("no <testsuite>")
    seen = set()
    total = 0
    for suite in suites:
        where = f"testsuite `{suite.name}`"
        if not suite.name:
            problems.append("a testsuite has no name")
        if not suite.hostname:
            problems.append(f"{where}: no hostname")
        if not is_timestamp(suite.timestamp):
            problems.append(f"{where}: timestamp `{suite.timestamp}` is not ISO 8601")
        properties = {p.name: p.value for p in suite.properties()}
        for name in REQUIRED_PROPERTIES:
            if not properties.get(name):
                problems.append(f"{where}: no property {name}")
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for case in suite:
            total += 1
            counts["tests"] += 1
            name = f"{case.classname} / {case.name}"
            classname = case.classname or ""
            if "." not in classname or any(part == "" for part in classname.split(".")):
                problems.append(f"{where}: {name}: classname `{classname}` is not dotted")
            if not case.name:
                problems.append(f"{where}: a testcase of {classname} has no name")
            if (classname, case.name) in seen:
                problems.append(f"{where}: {name}: classname + name is not unique")
            seen.add((classname, case.name))
            if not case._elem.get("file"):
                problems.append(f"{where}: {name}: no file attribute")
            line = case._elem.get("line")
            if line is None or not line.isdigit() or int(line) < 1:
                problems.append(f"{where}: {name}: line `{line}` is not a positive number")
            results = results_of(case)
            if len(results) > 1:
                problems.append(f"{where}: {name}: more than one result")
            for r in results:
                if not r.message:
                    problems.append(f"{where}: {name}: <{r._tag}> without a message")
                if isinstance(r, Failure):
                    counts["failures"] += 1
                    if r.type != "assertion":
                        problems.append(f"{where}: {name}: <failure type=`{r.type}`>: failures are assertions")
                elif isinstance(r, Error):
                    counts["errors"] += 1
                    if r.type == "assertion":
                        problems.append(f"{where}: {name}: an assertion reported as <error>")
                elif isinstance(r, Skipped):
                    counts["skipped"] += 1
        for key, value in counts.items():
            declared = getattr(suite, key)
            if declared is not None and int(declared) != value:
                problems.append(f"{where}: {key}=\"{declared}\" but {value} testcases say so")
    if total < min_tests:
        problems.append(f"{total} testcases, expected at least {min_tests}")
    return total, len(suites), problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", help="the JUnit XML file")
    parser.add_argument("--secret", action="append", default=[], help="a value that must not appear")
    parser.add_argument("--min-tests", type=int, default=1, help="fewest testcases expected")
    args = parser.parse_args()
    total, suites, problems = check(args.report, args.secret, args.min_tests)
    if problems:
        for p in problems:
            print(f"junit-check: {args.report}: {p}", file=sys.stderr)
        print(f"junit-check: {len(problems)} problem(s) in {args.report}", file=sys.stderr)
        sys.exit(1)
    print(f"junit-check: {args.report}: {total} testcases in {suites} suites, as CI reads them")


if __name__ == "__main__":
    main()
