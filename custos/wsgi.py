"""WSGI entry point for gunicorn, ``custos runserver`` and other servers.

Before it serves, the erasure ledger is re-applied (ADR 10): anyone erased
after the database's backup was taken is erased again, so no supported path
(``custos restore``, a hand-run ``pg_restore``, a copied SQLite file) can
bring an erased person back. If the ledger is broken the server refuses to
start and says why.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custos.settings")
application = get_wsgi_application()


def _erasures_hold() -> None:
    from django.db import connection

    from custos.retention.services import ledger_reapply

    try:
        if "retention_tombstone" not in connection.introspection.table_names():
            return  # not initialised yet: nothing to serve, nothing to re-apply
        ledger_reapply()
    finally:
        connection.close()


_erasures_hold()
