"""An exported checkpoint file that is wrong is refused with ``CheckpointInvalid``, never a crash (issue 8).

``custos audit_verify --checkpoint FILE`` reads a file someone kept outside
Custos; ``exported_checkpoint_read`` must refuse any damage to it (a part
changed, dropped or added, at any depth) with its one-line reason.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custos.audit.checkpoints import CheckpointInvalid, checkpoint_create, checkpoint_export, exported_checkpoint_read
from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.register.tests.fuzzing import json_values, mutated, says_why

FUZZ = settings(
    max_examples=300,
    deadline=2000,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def exported(db: Any) -> dict[str, Any]:
    """A real exported checkpoint, with its statement parsed so that its parts can be damaged too."""
    event_record(actor=Actor.system("fuzz"), verb=Verb.PERSON_CONSULTED, object_type="person", object_ref="person:fuzz")
    document = json.loads(json.dumps(checkpoint_export(checkpoint_create().checkpoint)))
    exported_checkpoint_read(document)  # the undamaged file reads
    return document


@FUZZ
@given(data=st.data())
def test_a_damaged_checkpoint_is_refused_with_a_reason(exported: dict[str, Any], data: st.DataObject) -> None:
    document = dict(exported)
    if data.draw(st.booleans()):  # damage inside the signed statement, re-serialised
        statement = data.draw(mutated(json.loads(document["statement"])))
        document["statement"] = json.dumps(statement)
    else:
        document = data.draw(st.one_of(mutated(document), json_values))
    try:
        exported_checkpoint_read(document)
    except CheckpointInvalid as exc:
        says_why(exc)
