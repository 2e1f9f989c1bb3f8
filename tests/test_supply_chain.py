"""`make supply-chain`'s own scripts: the lock-file check refuses what would weaken hash-checked installs, and the
pip-audit gate fails closed (a package the vulnerability service did not answer for fails, as does no report)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECK_LOCK = ROOT / ".ci" / "check_lock.py"
GATE = ROOT / ".ci" / "pip_audit_gate.py"
HASH = "--hash=sha256:" + "a" * 64


def _check_lock(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    lock = tmp_path / "requirements.lock"
    lock.write_text(text, encoding="utf-8")
    return subprocess.run([sys.executable, str(CHECK_LOCK), str(lock)], capture_output=True, text=True, check=False)


def test_the_project_lock_file_is_pinned_and_hashed(tmp_path):
    result = subprocess.run(
        [sys.executable, str(CHECK_LOCK), str(ROOT / "requirements.lock")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "each pinned with == and hashed" in result.stdout


def test_a_pinned_hashed_requirement_with_a_marker_passes(tmp_path):
    text = f'six==1.16.0 \\\n    {HASH}\n    # via custos\nqux[extra]==1.0 ; python_version < "3.12" \\\n    {HASH}\n'
    assert _check_lock(tmp_path, text).returncode == 0


@pytest.mark.parametrize(
    "line",
    [
        f"foo>=1.0 {HASH}",
        "foo==1.0",
        f"foo===1.0 {HASH}",
        "--extra-index-url https://index.invalid/simple",
        "--trusted-host index.invalid",
        "-e ./local",
        f"foo @ https://files.invalid/foo-1.0.tar.gz {HASH}",
        f"foo==1.0 --hash=md5:{'a' * 32}",
    ],
)
def test_a_line_that_weakens_the_lock_is_refused(tmp_path, line):
    result = _check_lock(tmp_path, f"six==1.16.0 {HASH}\n{line}\n")
    assert result.returncode == 1
    assert "line 2" in result.stderr


def test_a_package_pinned_twice_is_refused(tmp_path):
    result = _check_lock(tmp_path, f"six==1.16.0 {HASH}\nSix==1.15.0 {HASH}\n")
    assert result.returncode == 1
    assert "pinned twice" in result.stderr


def _gate(tmp_path: Path, report: dict[str, object] | None, exit_code: int) -> subprocess.CompletedProcess[str]:
    """The gate run against a stand-in pip-audit that prints ``report`` (or nothing) and exits with ``exit_code``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    fake = bin_dir / "pip-audit"
    output = json.dumps(report) if report is not None else ""
    fake.write_text(f"#!/bin/sh\ncat <<'EOF'\n{output}\nEOF\necho 'stand-in pip-audit' >&2\nexit {exit_code}\n")
    fake.chmod(0o755)
    return subprocess.run(
        [str(bin_dir / "python"), str(GATE), "requirements.lock"], capture_output=True, text=True, check=False
    )


def test_the_gate_passes_when_every_package_was_audited_and_none_is_vulnerable(tmp_path):
    report = {"dependencies": [{"name": "six", "version": "1.16.0", "vulns": []}], "fixes": []}
    result = _gate(tmp_path, report, 0)
    assert result.returncode == 0, result.stderr
    assert "1 locked packages audited, 0 known vulnerabilities" in result.stdout


def test_the_gate_fails_closed_when_a_package_could_not_be_audited(tmp_path):
    skipped = "Dependency not found on PyPI and could not be audited: six (1.16.0)"
    report = {"dependencies": [{"name": "six", "skip_reason": skipped}], "fixes": []}
    result = _gate(tmp_path, report, 0)  # pip-audit itself exits 0 here
    assert result.returncode == 1
    assert "1 of 1 locked packages could not be audited" in result.stderr


def test_the_gate_fails_closed_when_pip_audit_gives_no_report(tmp_path):
    result = _gate(tmp_path, None, 1)
    assert result.returncode == 1
    assert "the audit did not run" in result.stderr


def test_the_gate_names_each_vulnerability_with_its_fixed_versions(tmp_path):
    vuln = {"id": "PYSEC-0000-1", "fix_versions": ["5.2.2"], "aliases": ["CVE-0000-1"], "description": ""}
    report = {
        "dependencies": [
            {"name": "django", "version": "5.2.1", "vulns": [vuln]},
            {"name": "six", "version": "1.16.0", "vulns": []},
        ],
        "fixes": [],
    }
    result = _gate(tmp_path, report, 1)
    assert result.returncode == 1
    assert "django 5.2.1: PYSEC-0000-1 (CVE-0000-1); fixed in 5.2.2" in result.stderr
    assert "known vulnerabilities: 1, in 1 of 2 locked packages" in result.stderr
