"""The current request's id, for events written while serving it."""

from __future__ import annotations

import contextvars

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("custos_request_id", default="")
