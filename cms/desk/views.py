"""The desk's pages: sign in, the queue and a story. The data comes from ``/api/v1``."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from cms.core.routing import ID

blp = Blueprint(
    "desk",
    __name__,
    url_prefix="/desk",
    template_folder="templates",
    static_folder="static",
)

#: Only the desk's own script and style, and calls to its own API: an injected
#: script could not run, nor send the token elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@blp.after_request
def _harden(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


@blp.get("/")
def queue() -> str:
    """The queue: stories in review, approved, scheduled, embargoed, published, killed."""
    return render_template("desk/queue.html", page="queue")


@blp.get("/signin")
def signin() -> str:
    """The sign-in form."""
    return render_template("desk/signin.html", page="signin")


@blp.get(f"/stories/<{ID}:article_id>")
def story(article_id: int) -> str:
    """One story: as readers see it, its history, a diff, notes and the actions."""
    return render_template("desk/story.html", page="story", article_id=article_id)
