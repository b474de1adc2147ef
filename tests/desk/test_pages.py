"""The desk's pages as served: shells with labelled controls, local assets, a strict policy."""

from __future__ import annotations

import re

import pytest

from cms.desk.views import CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/desk/", "/desk/signin", "/desk/stories/1"])
def test_pages_use_only_their_own_assets(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["Cache-Control"] == "no-store"
    page = response.text
    assert '<html lang="en">' in page
    assert 'name="viewport"' in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing from elsewhere
    assert "<script>" not in page  # no inline script: the policy would refuse it
    assert '<main id="main"' in page


def test_the_sign_in_form_has_labelled_fields(client):
    page = client.get("/desk/signin").text

    assert '<label for="email">Email</label>' in page
    assert '<label for="password">Password</label>' in page
    assert '<button type="submit" class="primary">Sign in</button>' in page


def test_the_script_and_style_are_served_and_self_contained(client):
    script = client.get("/desk/static/desk.js")
    style = client.get("/desk/static/desk.css")

    assert script.status_code == 200
    assert style.status_code == 200
    assert "sessionStorage" in script.text
    assert not re.search(r"https?://", script.text + style.text)
    assert ":focus-visible" in style.text
    script.close()
    style.close()


def test_an_unknown_story_id_is_a_404(client):
    assert client.get("/desk/stories/0").status_code == 404
    assert client.get("/desk/stories/99999999999").status_code == 404
