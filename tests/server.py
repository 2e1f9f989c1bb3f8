"""A real Custos server in a subprocess, for browser and over-HTTP tests.

Each server gets its own data directory (key file, secret key) and its own
database: a SQLite file there, or, when the suite runs on PostgreSQL
(``CUSTOS_DATABASE_URL`` is a postgres URL), a fresh database created for it
and dropped afterwards. It is set up exactly as a user would: ``custos init``
then ``custos demo_users`` (every demo account sharing one known
authenticator secret, ``DEMO_TOTP_SECRET``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
CUSTOS = str(Path(sys.executable).with_name("custos"))
DEMO_PASSWORD = "demo-password-for-tests-only"
#: Every demo account's authenticator secret in tests (base32; ``custos demo_users --totp-secret``).
DEMO_TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # noqa: S105 - a published test value


def __getattr__(name: str) -> int:
    """``DEMO_AUTHENTICATORS``: demo_users gives each of its accounts (one per role) an authenticator, each with its
    own data key. Read lazily, so that benchmarks can import this module before Django is set up."""
    if name == "DEMO_AUTHENTICATORS":
        from custos.accounts.models import Role

        return len(Role)
    raise AttributeError(name)


@dataclass
class CustosInstance:
    """A data directory and database, and the environment that points at them."""

    data_dir: Path
    env: dict[str, str]
    database_url: str
    url: str = ""
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def custos(
        self, *args: str, check: bool = True, input: str | None = None, timeout: int = 600
    ) -> subprocess.CompletedProcess[str]:
        """Run the ``custos`` console script against this instance."""
        result = subprocess.run(
            [CUSTOS, *args], env=self.env, capture_output=True, text=True, input=input, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"custos {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result


def _postgres_admin_url(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def _pg_execute(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@contextmanager
def custos_instance(*, demo_users: bool = True) -> Iterator[CustosInstance]:
    """An initialised instance (no server) with its own data directory and database."""
    data_dir = Path(tempfile.mkdtemp(prefix="custos-instance-"))
    base_url = os.environ.get("CUSTOS_DATABASE_URL", "")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CUSTOS_", "DJANGO_"))}
    env["CUSTOS_DATA_DIR"] = str(data_dir)
    # Erasures compact the key table at once rather than wait for the other test worker's transactions on the
    # server; the test that reads the table's file for a shredded key sets a long wait of its own.
    env["CUSTOS_ERASURE_COMPACT_WAIT_SECONDS"] = "0"
    dbname = ""
    if base_url.startswith(("postgres://", "postgresql://")):
        dbname = f"custos_it_{uuid.uuid4().hex[:12]}"
        _pg_execute(base_url, f'CREATE DATABASE "{dbname}"')
        database_url = _postgres_admin_url(base_url, dbname)
    else:
        database_url = f"sqlite:///{data_dir / 'custos.sqlite3'}"
    env["CUSTOS_DATABASE_URL"] = database_url
    instance = CustosInstance(data_dir=data_dir, env=env, database_url=database_url)
    try:
        instance.custos("init")
        if demo_users:
            instance.custos("demo_users", "--password", DEMO_PASSWORD, "--totp-secret", DEMO_TOTP_SECRET)
        yield instance
    finally:
        if instance.process is not None:
            instance.process.terminate()
            try:
                instance.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                instance.process.kill()
        if dbname:
            _pg_execute(base_url, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        shutil.rmtree(data_dir, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(instance: CustosInstance) -> str:
    """Start ``custos runserver`` for the instance; returns its base URL once it answers."""
    port = _free_port()
    log = open(instance.data_dir / "server.log", "wb")  # noqa: SIM115 - closed with the process
    instance.process = subprocess.Popen(
        [CUSTOS, "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"],
        env=instance.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    instance.url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            raise AssertionError((instance.data_dir / "server.log").read_text())
        try:
            urllib.request.urlopen(instance.url + "/sign-in/", timeout=2)  # noqa: S310 - loopback only
            return instance.url
        except OSError:
            time.sleep(0.2)
    raise AssertionError("custos server did not start within 60 s")
