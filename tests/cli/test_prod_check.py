"""`make prod-check`: Django's deployment checks pass with the production settings and fail, naming the problem,
when DEBUG is on, HTTPS is off or the settings are the development defaults."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.server import custos_instance

pytestmark = pytest.mark.cli

ROOT = Path(__file__).resolve().parents[2]
PROD_CHECK = ROOT / ".ci" / "prod-check"

#: What each run changes in the production settings of `.ci/prod-check` (what `make prod-check` runs).
RUNS = {
    "production": [],
    "debug on": ["CUSTOS_DEBUG=1"],
    "https off": ["CUSTOS_HTTPS=0"],
    "no preload consent": ["CUSTOS_HSTS_PRELOAD=0"],
}


@pytest.fixture(scope="module")
def runs() -> dict[str, subprocess.CompletedProcess[str]]:
    # Each run prepares its own data directory with `custos init`; started together, they take the time of one.
    started = {
        name: subprocess.Popen([str(PROD_CHECK), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for name, args in RUNS.items()
    }
    done = {}
    for name, process in started.items():
        output, _ = process.communicate(timeout=300)
        done[name] = subprocess.CompletedProcess(process.args, process.returncode, output)
    return done


def test_the_production_settings_pass_every_deployment_check(runs):
    result = runs["production"]
    assert result.returncode == 0, result.stdout
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_debug_on_fails_the_check_naming_debug(runs):
    result = runs["debug on"]
    assert result.returncode != 0
    assert "security.W018" in result.stdout
    assert "You should not have DEBUG set to True in deployment" in result.stdout


def test_https_off_fails_the_check_naming_redirect_hsts_and_cookies(runs):
    result = runs["https off"]
    assert result.returncode != 0
    for warning, setting in [
        ("security.W004", "SECURE_HSTS_SECONDS"),
        ("security.W008", "SECURE_SSL_REDIRECT"),
        ("security.W012", "SESSION_COOKIE_SECURE"),
        ("security.W016", "CSRF_COOKIE_SECURE"),
    ]:
        assert warning in result.stdout
        assert setting in result.stdout


def test_hsts_preload_is_an_explicit_choice_the_check_reports(runs):
    result = runs["no preload consent"]
    assert result.returncode != 0
    assert "security.W021" in result.stdout
    assert "SECURE_HSTS_PRELOAD" in result.stdout


def test_a_change_that_is_not_a_custos_setting_is_refused():
    result = subprocess.run([str(PROD_CHECK), "DEBUG=1"], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "arguments are CUSTOS_NAME=value" in result.stderr


def test_the_development_defaults_fail_the_deployment_checks():
    with custos_instance(demo_users=False) as inst:
        result = inst.custos("check", "--deploy", "--fail-level", "WARNING", check=False)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr
