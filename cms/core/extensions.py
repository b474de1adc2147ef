"""Flask extensions, created unbound and initialised by :func:`cms.app.create_app`."""

from typing import TYPE_CHECKING

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from cms.core.api import ProblemApi

#: Constraint names that are stable across SQLite and PostgreSQL, so that
#: batch migrations can find and alter them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)

# Every model subclasses ``Model``. ``db.Model`` is built at run time from ``Base``
# (adding the session binding), so a type checker cannot see it as a class; it
# checks the models against ``Base``, which declares everything they use.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def make_api() -> ProblemApi:
    """Return a new, unbound editors' API (``/api/v1``) with its own OpenAPI document.

    Unlike the other extensions, a flask-smorest ``Api`` holds one app's spec,
    so each app gets its own (tests build one app per database).
    """
    return ProblemApi()


def make_content_api() -> ProblemApi:
    """Return a new, unbound partners' content API (``/content/v1``).

    A second ``Api`` with its own OpenAPI document (``/content/v1/openapi.json``),
    configured by the ``CONTENT_``-prefixed settings (``cms.config.CONTENT_API_SETTINGS``).
    """
    return ProblemApi(config_prefix="CONTENT")
