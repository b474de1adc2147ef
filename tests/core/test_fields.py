"""Fields of our own: reading another object's fields at an attribute path."""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema, fields

from cms.core.fields import fields_at


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
