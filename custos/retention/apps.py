from typing import Any

from django.apps import AppConfig


def _ledger_after_restore(**kwargs: Any) -> str:
    """Re-apply the erasure ledger to a freshly restored database (ADR 10)."""
    from custos.audit.services import Actor
    from custos.retention.services import ledger_reapply

    report = ledger_reapply(actor=Actor.system("restore"))
    if report.reapplied:
        return (
            f"erasure ledger: {len(report.reapplied)} person record(s) in this backup were erased after it "
            f"was taken and have been erased again ({report.entries} ledger entries checked)"
        )
    return f"erasure ledger: {report.entries} entries checked, nobody erased is back"


class RetentionConfig(AppConfig):
    name = "custos.retention"
    label = "retention"
    verbose_name = "Reviews, retention and erasure"

    def ready(self) -> None:
        from custos.crypto.backup import database_restored

        database_restored.connect(_ledger_after_restore, dispatch_uid="custos.retention.ledger")
