"""Database triggers that refuse UPDATE and DELETE on audit events (and TRUNCATE on PostgreSQL)."""

from typing import Any

from django.db import migrations

SQLITE_UP = [
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_event_no_update", "DROP TRIGGER IF EXISTS audit_event_no_delete"]

POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_event_no_update_delete ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_event_refuse_change()",
]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
