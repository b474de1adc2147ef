"""flask-smorest ``Api`` that speaks RFC 9457 problem details."""

from flask_smorest import Api

from cms.core.errors import problem_response


class ProblemApi(Api):
    """An ``Api`` whose every error response is ``application/problem+json``."""

    def handle_http_exception(self, error):
        """Render any HTTP error (including 405's ``Allow``) as problem details."""
        return problem_response(error)
