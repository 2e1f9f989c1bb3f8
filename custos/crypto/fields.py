"""Encrypted model fields.

A model that holds personal data declares a ``data_key`` foreign key to
``crypto.DataKey`` (its data subject's key) and uses these fields for every
personal value. The database only ever sees ciphertext; the application sees
plaintext, decrypted lazily the first time an attribute is read.

Encrypted fields cannot be filtered or ordered on: exact search goes through
blind indexes (``custos.crypto.blind_index``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models.query_utils import DeferredAttribute

from custos.crypto.envelope import open_sealed, seal


class Sealed(bytes):
    """Ciphertext as loaded from the database, not yet opened."""


def _aad(instance: models.Model, column: str) -> bytes:
    return f"custos:{instance._meta.db_table}.{column}:{instance.pk}".encode()


class _DecryptingAttribute(DeferredAttribute):
    """A data descriptor (it defines ``__set__``), so reads always pass through it."""

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed):
            field: EncryptedField = self.field  # type: ignore[assignment]
            plaintext = open_sealed(instance.data_key_id, bytes(value), aad=_aad(instance, field.column))
            value = field.decode(plaintext)
            instance.__dict__[field.attname] = value
        return value


if TYPE_CHECKING:
    _BinaryField = models.BinaryField[Any, Any]
else:
    _BinaryField = models.BinaryField


class EncryptedField(_BinaryField):
    """Base for a personal value stored as AES-256-GCM ciphertext."""

    descriptor_class = _DecryptingAttribute

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", True)
        super().__init__(*args, **kwargs)

    def encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode(self, raw: bytes) -> Any:
        raise NotImplementedError

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Sealed | None:
        if value is None:
            return None
        return Sealed(bytes(value))

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None or isinstance(value, Sealed):
            return value
        data_key_id = getattr(model_instance, "data_key_id", None)
        if data_key_id is None:
            raise ValueError(f"{model_instance._meta.label} has no data key to encrypt with")
        return Sealed(seal(data_key_id, self.encode(value), aad=_aad(model_instance, self.column)))

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is not None and not isinstance(value, Sealed):
            # Only ciphertext from pre_save reaches the database.
            raise TypeError("encrypted fields cannot be queried or updated in bulk")
        return super().get_db_prep_value(None if value is None else bytes(value), connection, prepared)

    def value_to_string(self, obj: models.Model) -> str:
        return "[encrypted]"


class EncryptedTextField(EncryptedField):
    def encode(self, value: Any) -> bytes:
        return str(value).encode("utf-8")

    def decode(self, raw: bytes) -> str:
        return raw.decode("utf-8")


class EncryptedDateField(EncryptedField):
    def encode(self, value: Any) -> bytes:
        if not isinstance(value, dt.date):
            raise TypeError("expected a date")
        return value.isoformat().encode("ascii")

    def decode(self, raw: bytes) -> dt.date:
        return dt.date.fromisoformat(raw.decode("ascii"))


class EncryptedJSONField(EncryptedField):
    """A list or mapping (aliases, addresses), stored as encrypted JSON."""

    def encode(self, value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def decode(self, raw: bytes) -> Any:
        return json.loads(raw.decode("utf-8"))
