"""The ``custos`` console script: runs Django management commands.

``custos init``, ``custos seed_demo``, ``custos import_matrix`` and the rest.
Exit status is 0 on success and non-zero with a one-line reason on failure,
so schedulers and scripts can rely on it.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custos.settings")
    from django.core.management import execute_from_command_line

    args = ["custos", *(sys.argv[1:] if argv is None else argv)]
    try:
        execute_from_command_line(args)
    except KeyboardInterrupt:
        sys.stderr.write("custos: interrupted\n")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the one place every failure becomes one line
        if _audit_unavailable(exc):  # fail closed (s.62): the change was rolled back with its event
            sys.stderr.write(
                "custos: error: AuditUnavailable: the audit log could not be written, "
                "so the change that needed it was not made\n"
            )
            sys.exit(1)
        # The class name and Django's message only: never a traceback with
        # local variables that could hold personal data.
        sys.stderr.write(f"custos: error: {type(exc).__name__}: {_first_line(exc)}\n")
        sys.exit(2)


def _audit_unavailable(exc: BaseException) -> bool:
    """``custos.audit.services.AuditUnavailable``, recognised without importing Django models."""
    return any(
        cls.__module__ == "custos.audit.services" and cls.__name__ == "AuditUnavailable" for cls in type(exc).__mro__
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else "no detail"


if __name__ == "__main__":
    main()
