"""The application object: Flask, with what each request asks of it answered once."""

from __future__ import annotations

import pytest


class _View:
    def get(self) -> str:
        return "ok"


def test_a_method_is_run_bound_to_the_instance_it_was_asked_for(app):
    first, second = _View(), _View()

    assert app.ensure_sync(first.get).__self__ is first
    assert app.ensure_sync(second.get).__self__ is second
    assert app.ensure_sync(len) is len


def test_a_coroutine_function_is_still_handed_to_flask(app):
    async def hook() -> None:
        return None

    # Flask runs coroutines only with its "async" extra, which the project does not install.
    with pytest.raises(RuntimeError, match="async"):
        app.ensure_sync(hook)
    with pytest.raises(RuntimeError, match="async"):
        app.ensure_sync(hook)
