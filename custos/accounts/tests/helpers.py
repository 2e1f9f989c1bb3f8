"""Test helpers for access governance: a declared purpose in a test client's session."""

from __future__ import annotations

from django.test import Client

from custos.accounts.purpose import DeclaredPurpose, purpose_to_session

#: The purpose the page tests declare; consultation events carry its text.
TEST_PURPOSE = DeclaredPurpose(reference="OP-TEST", reason="Testing the register's pages")


def with_purpose(client: Client, purpose: DeclaredPurpose = TEST_PURPOSE) -> Client:
    """Put a declared purpose in the client's session, as ``/purpose/`` would (no event recorded)."""
    session = client.session
    purpose_to_session(session, purpose)
    session.save()
    return client
