"""A failing audit store for tests: a trigger makes every insert into the event table fail.

Created inside the test's transaction, so it disappears with it. The same
SQL on SQLite and PostgreSQL as ``test_log.test_change_is_rolled_back_when_audit_insert_fails``.
"""

from __future__ import annotations

from django.db import connection

#: The SQL, by database vendor (also run through ``custos shell`` by the command-line tests).
FAIL_SQL = {
    "sqlite": [
        "CREATE TRIGGER audit_fail BEFORE INSERT ON audit_auditevent "
        "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION audit_fail() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'audit store unavailable'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER audit_fail BEFORE INSERT ON audit_auditevent FOR EACH ROW EXECUTE FUNCTION audit_fail()",
    ],
}


def audit_inserts_fail() -> None:
    """From now on (in this test's transaction) the database refuses every new audit event."""
    with connection.cursor() as cursor:
        for sql in FAIL_SQL["sqlite" if connection.vendor == "sqlite" else "postgresql"]:
            cursor.execute(sql)
