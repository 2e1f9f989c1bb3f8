"""A logging filter for ``django.request``: no traceback for a refused fault.

Django logs an exception raised in a middleware (sessions, authentication)
with its traceback before ``custos.web.fail_closed.server_error`` answers it
with 503. For the faults that answer (the database, the key provider or the
audit log unavailable) ``fail_closed.refusal`` has logged one line naming the
fault, the method and the path; Django's record is dropped. Any other
exception keeps its traceback.

Kept apart from ``fail_closed`` because logging is configured before the
apps are loaded: this module imports nothing of Custos until a record comes.
"""

from __future__ import annotations

import logging


class FaultLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if not exc_info or exc_info[1] is None:
            return True
        from django.apps import apps

        if not apps.ready:  # a failure while starting: keep everything
            return True
        from custos.web.fail_closed import fault_of

        return fault_of(exc_info[1]) is None
