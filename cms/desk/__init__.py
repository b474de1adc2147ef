"""The review desk: the editors' web pages at ``/desk/``, on top of the editors' API.

Pages are Jinja shells; plain JavaScript (``static/desk.js``, no build step, no
asset from elsewhere) fills them from ``/api/v1`` with the signed-in editor's
bearer token, which it keeps in ``sessionStorage``. The desk adds no endpoint
of its own to the API and no way around its roles. See ``docs/desk.md``.
"""
