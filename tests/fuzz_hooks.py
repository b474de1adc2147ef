"""Schemathesis hooks for ``make fuzz``: a fresh identity whenever the last one stops working.

Loaded by the schemathesis CLI through ``SCHEMATHESIS_HOOKS=tests.fuzz_hooks``, never by
pytest (registering an auth provider is global). ``CMS_FUZZ_DATABASE_URL`` names the
database the fuzzed server uses and ``CMS_FUZZ_ROLE`` the identity: ``reporter``,
``editor``, ``admin`` or ``partner``. Fuzzing revokes tokens (``DELETE
/auth/tokens/current``), deactivates users and revokes partner keys; on a 401 schemathesis
asks :class:`FreshIdentity` again, which creates a new user (or partner) in the database
with a new token (or key), so the run keeps testing as that role.
"""

from __future__ import annotations

import functools
import os
import threading
import uuid

import schemathesis
from flask import Flask

from tests import factories
from tests.conftest import make_test_app

_lock = threading.Lock()


@functools.cache
def _app() -> Flask:
    return make_test_app(os.environ["CMS_FUZZ_DATABASE_URL"])


def new_credential(role: str) -> str:
    """Create a user of ``role`` (or a partner) in the fuzzed database; return its bearer."""
    # Another process (the seeding one) counts factory names from 1 too.
    unique = uuid.uuid4().hex[:12]
    with _lock, _app().app_context():
        if role == "partner":
            _partner, key = factories.partner(name=f"Fuzz {unique}", embargo_access=True)
            return key
        return factories.token(factories.user(role=role, email=f"fuzz-{unique}@example.test"))


@schemathesis.auth(refresh_interval=3600)
class FreshIdentity:
    """A bearer for ``CMS_FUZZ_ROLE``, fetched again after a 401."""

    def get(self, case, context) -> str:
        return new_credential(os.environ["CMS_FUZZ_ROLE"])

    def set(self, case, data: str, context) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
