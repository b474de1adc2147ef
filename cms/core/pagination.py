"""Page-number pagination of ``select()`` statements, in the response body."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate
from sqlalchemy import Select

from cms.core.extensions import db


class PageArgsSchema(Schema):
    """Query arguments shared by every paginated list."""

    page = fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=1_000_000), metadata={"example": 1}
    )
    per_page = fields.Integer(
        load_default=20, validate=validate.Range(min=1, max=100), metadata={"example": 20}
    )


class PaginationSchema(Schema):
    """Where a page sits in the whole list."""

    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Items in the whole list."})
    pages = fields.Integer(required=True)


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """Return a schema class for one page of ``item_schema`` objects."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "pagination": fields.Nested(PaginationSchema, required=True),
        },
        name=name,
    )


def paginate(statement: Select, page: int, per_page: int) -> dict:
    """Run ``statement`` for one page and return ``{"items", "pagination"}``."""
    per_page = min(per_page, current_app.config["CMS_PAGE_SIZE_MAX"])
    result = db.paginate(statement, page=page, per_page=per_page, error_out=False, count=True)
    return {
        "items": list(result.items),
        "pagination": {
            "page": page,
            "per_page": per_page,
            "total": result.total or 0,
            "pages": result.pages,
        },
    }
