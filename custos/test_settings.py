"""Settings for the test suite: the real settings, with a throwaway data directory.

The database comes from ``CUSTOS_DATABASE_URL`` as in production, so the
same suite runs on SQLite and on PostgreSQL.
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("CUSTOS_DATA_DIR", tempfile.mkdtemp(prefix="custos-test-"))
os.environ.setdefault("CUSTOS_SECRET_KEY", "test-only-secret-key-not-for-any-deployment")

from custos.crypto.dlp_key import create_dlp_key_file  # noqa: E402
from custos.crypto.keys import create_key_file  # noqa: E402
from custos.settings import *  # noqa: E402,F403
from custos.settings import (
    DLP_KEY_PATH,  # noqa: E402
    KEY_FILE_PATH,  # noqa: E402
    STATIC_ROOT,  # noqa: E402
)

create_key_file(Path(KEY_FILE_PATH))
create_dlp_key_file(Path(DLP_KEY_PATH))
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)

# Fast hashing in tests only; production uses Argon2 (asserted in a test).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
