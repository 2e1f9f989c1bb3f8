"""Signed Merkle checkpoints over the audit log; append-only like events (triggers on SQLite and PostgreSQL)."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

SQLITE_UP = [
    """CREATE TRIGGER IF NOT EXISTS audit_checkpoint_no_update BEFORE UPDATE ON audit_auditcheckpoint
       BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_checkpoint_no_delete BEFORE DELETE ON audit_auditcheckpoint
       BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_checkpoint_no_update",
    "DROP TRIGGER IF EXISTS audit_checkpoint_no_delete",
]

POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION audit_checkpoint_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit checkpoints are append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_checkpoint_no_update_delete BEFORE UPDATE OR DELETE ON audit_auditcheckpoint
       FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_refuse_change()""",
    """CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_auditcheckpoint
       FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoint_refuse_change()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_checkpoint_no_update_delete ON audit_auditcheckpoint",
    "DROP TRIGGER IF EXISTS audit_checkpoint_no_truncate ON audit_auditcheckpoint",
    "DROP FUNCTION IF EXISTS audit_checkpoint_refuse_change()",
]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                ("id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("tree_size", models.BigIntegerField()),
                ("root_hash", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField()),
                ("key_fingerprint", models.CharField(max_length=64)),
                ("signature", models.CharField(max_length=128)),
                (
                    "consistency_proof",
                    models.JSONField(default=list, help_text="Hex hashes: RFC 6962 proof from the previous tree."),
                ),
                (
                    "frontier",
                    models.JSONField(default=list, help_text="Hex roots of the perfect subtrees making up this tree."),
                ),
                (
                    "previous",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="next_checkpoint",
                        to="audit.auditcheckpoint",
                    ),
                ),
            ],
            options={"ordering": ["id"]},
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
