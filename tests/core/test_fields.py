"""Fields of our own: fields read at an attribute path, strict JSON booleans."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from marshmallow import Schema, ValidationError, fields

from cms.core.fields import JSONBoolean, fields_at
from tests import factories


@dataclass
class Story:
    headline: str
    words: int


@dataclass(frozen=True)
class Shown:
    story: Story
    secret: str


class StorySchema(Schema):
    headline = fields.String()
    length = fields.Integer(attribute="words")
    shout = fields.Function(lambda story: story.headline.upper())


class ShownSchema(Schema.from_dict(fields_at("story", StorySchema))):
    secret = fields.String()


def test_fields_at_reads_each_field_below_the_path_in_the_same_order():
    dumped = ShownSchema().dump(Shown(Story("Cranes idle", 2), "s3cret"))

    assert list(dumped.items()) == [
        ("headline", "Cranes idle"),
        ("length", 2),
        ("shout", "CRANES IDLE"),
        ("secret", "s3cret"),
    ]


def test_fields_at_leaves_out_the_excluded_fields():
    assert list(fields_at("story", StorySchema, exclude={"length", "shout"})) == ["headline"]


def test_fields_at_leaves_the_original_schema_alone():
    assert StorySchema().dump(Story("Cranes idle", 2)) == {
        "headline": "Cranes idle",
        "length": 2,
        "shout": "CRANES IDLE",
    }


@pytest.mark.parametrize("value", [True, False])
def test_a_json_boolean_takes_true_and_false(value):
    assert JSONBoolean().deserialize(value) is value


@pytest.mark.parametrize("value", [0, 1, 1.0, "true", "yes", "", None, [], {}])
def test_a_json_boolean_refuses_anything_else(value):
    with pytest.raises(ValidationError):
        JSONBoolean().deserialize(value)


def test_partner_flags_in_a_body_must_be_booleans(client, admin):
    created = client.post(
        "/api/v1/partners",
        json={"name": "Strict", "embargo_access": 1},
        headers=factories.auth(admin),
    )
    assert created.status_code == 422
    assert "embargo_access" in created.json["errors"]["json"]
