"""pip-audit on the lock file, failing closed: passes only if every locked package was audited and none is vulnerable.

Runs ``pip-audit --require-hashes --disable-pip -r requirements.lock``: the lock file is read as it is (every
requirement pinned and hashed, so nothing is resolved or installed) and each pinned version is looked up in PyPI's
vulnerability feed. pip-audit on its own exits 0 with "No known vulnerabilities found" when the feed did not answer
for a package (it reports the package as skipped), so this gate reads its JSON report and fails when any package
was skipped, when the report is missing, or when any vulnerability is known; it prints the fixed versions.
Usage: ``python .ci/pip_audit_gate.py requirements.lock [extra pip-audit arguments]``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


def main(argv: list[str]) -> int:
    if not argv:
        sys.stderr.write("usage: pip_audit_gate.py REQUIREMENTS_FILE [pip-audit arguments]\n")
        return 2
    lock, extra = argv[0], argv[1:]
    command = [str(PIP_AUDIT), "--require-hashes", "--disable-pip", "--progress-spinner", "off", "--format", "json"]
    command += ["--requirement", lock, *extra]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed arguments
    try:
        report: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError:
        sys.stderr.write(result.stderr)
        sys.stderr.write(
            f"pip-audit: FAILED (exit {result.returncode}, no report): the audit did not run; "
            "if the vulnerability service is unreachable the supply-chain check fails rather than pass unaudited\n"
        )
        return 1
    dependencies: list[dict[str, Any]] = report.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = [d for d in dependencies if not d.get("skip_reason")]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version"
            aliases = ", ".join(vuln.get("aliases") or [])
            sys.stderr.write(
                f"pip-audit: {dependency['name']} {dependency['version']}: {vuln['id']}"
                f"{f' ({aliases})' if aliases else ''}; fixed in {fixed}\n"
            )
    if skipped:
        sys.stderr.write(
            f"pip-audit: FAILED: {len(skipped)} of {len(dependencies)} locked packages could not be audited "
            f"(first: {skipped[0]['skip_reason']}). The vulnerability service did not answer for them, so this check "
            "fails closed; run it where PyPI's JSON API for each release (/pypi/NAME/VERSION/json) answers.\n"
        )
        return 1
    if not audited:
        sys.stderr.write("pip-audit: FAILED: no package was audited\n")
        return 1
    if vulnerable:
        count = sum(len(d["vulns"]) for d in vulnerable)
        sys.stderr.write(
            f"pip-audit: FAILED: known vulnerabilities: {count}, "
            f"in {len(vulnerable)} of {len(audited)} locked packages\n"
        )
        return 1
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        sys.stderr.write(f"pip-audit: FAILED (exit {result.returncode})\n")
        return 1
    sys.stdout.write(f"pip-audit: {len(audited)} locked packages audited, 0 known vulnerabilities\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
