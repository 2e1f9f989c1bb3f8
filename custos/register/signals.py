"""Signals the register sends so that apps above it can keep derived data in step.

Sent inside the transaction of the write, so a receiver's rows commit or
roll back with it. Receivers live in the apps that keep the derived data
(``custos.dlp`` keeps its fingerprint index with them); they hold no domain
rule of the register.

- ``person_changed(sender=Person, people=[Person, ...], created=bool)``:
  people were recorded (``person_create``, bulk writes of ``seed_demo`` and
  ``import_matrix``; ``created=True``) or their personal values corrected
  (``person_rectify``; ``created=False``). The Person objects carry their
  decrypted values.
- ``person_erasing(sender=Person, people=[Person, ...], erased_at=datetime)``:
  people are about to be deleted by an erasure (``custos.retention``'s
  ``people_erase``), after their data keys are shredded and before their
  rows go.
"""

from __future__ import annotations

from django.dispatch import Signal

person_changed = Signal()
person_erasing = Signal()
