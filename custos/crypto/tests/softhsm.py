"""A real SoftHSM2 token for tests: its own configuration, token directory and PIN."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

SOFTHSM_LIBRARY = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN_LABEL = "custos-test"
USER_PIN = "1234"
SO_PIN = "5678"


def require_softhsm() -> None:
    """Skip, saying why, when SoftHSM2 is not installed."""
    if not SOFTHSM_LIBRARY.exists():
        pytest.skip(f"SoftHSM2 is not installed ({SOFTHSM_LIBRARY} absent; Debian package 'softhsm2')")
    if shutil.which("softhsm2-util") is None:
        pytest.skip("softhsm2-util is not on PATH (Debian package 'softhsm2')")


@dataclass(frozen=True)
class SoftHsm:
    conf: Path
    pin_file: Path

    def env(self, *, pin: str | None = None) -> dict[str, str]:
        """The environment that makes Custos use this token."""
        values = {
            "SOFTHSM2_CONF": str(self.conf),
            "CUSTOS_KEY_PROVIDER": "pkcs11",
            "CUSTOS_PKCS11_LIBRARY": str(SOFTHSM_LIBRARY),
            "CUSTOS_PKCS11_TOKEN_LABEL": TOKEN_LABEL,
            "CUSTOS_PKCS11_KEY_LABEL": "custos-kek",
        }
        if pin is None:
            values["CUSTOS_PKCS11_PIN_FILE"] = str(self.pin_file)
        else:
            values["CUSTOS_PKCS11_PIN"] = pin
        return values


def softhsm_token(directory: Path) -> SoftHsm:
    """Initialise a fresh token labelled ``custos-test`` under ``directory``."""
    require_softhsm()
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, mode=0o700)
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            TOKEN_LABEL,
            "--pin",
            USER_PIN,
            "--so-pin",
            SO_PIN,
        ],
        env={"SOFTHSM2_CONF": str(conf), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    pin_file = directory / "pin"
    pin_file.write_text(USER_PIN + "\n")
    pin_file.chmod(0o600)
    return SoftHsm(conf=conf, pin_file=pin_file)
