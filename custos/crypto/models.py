"""Data keys: one per data subject, stored only wrapped by the KEK."""

from __future__ import annotations

import uuid

from django.db import models


class DataKey(models.Model):
    """A person's data encryption key, wrapped by a key-encryption key.

    Every encrypted field of a person's records is sealed with this key.
    Shredding sets ``wrapped`` to NULL: every copy of the person's
    ciphertext, including those in backups, becomes unreadable.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kek_id = models.CharField(max_length=64)
    wrapped = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    shredded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "data key"

    def __str__(self) -> str:
        return f"data key {self.id} ({'shredded' if self.shredded_at else 'live'})"
