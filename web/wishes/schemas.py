"""Request and response schemas of the directory and wishes API (its OpenAPI documentation)."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String
from apiflask.validators import Length, OneOf

from web.attendees.wishes import WishLevel

LEVELS = [str(level) for level in WishLevel]
LEVEL_DOC = {"description": "must, want or no (no: never seat us together)."}


class DirectoryQuery(Schema):
    competency = String(load_default="", validate=Length(max=100))
    partner_type = String(load_default="", validate=Length(max=100))
    region = String(load_default="", validate=Length(max=100))
    q = String(load_default="", validate=Length(max=100), metadata={
        "description": "Words to find in the name, company, line, offers and seeks."})


class EntryOut(Schema):
    id = String(attribute="ext_id", metadata={"description": "The attendee file's id."})
    name = String()
    company = String()
    partner_type = String()
    region = String()
    offers = List(String())
    seeks = List(String())
    looking_for = String()
    wish = String(allow_none=True, metadata={"description": "Your own wish on this person, if any."})


class DirectoryOut(Schema):
    total = Integer(metadata={"description": "Everyone listed but you, before the filters."})
    people = List(Nested(EntryOut), attribute="entries")
    suggested = List(Nested(EntryOut), metadata={
        "description": "The best pairs for you by profile among those you gave no wish yet."})


class WishIn(Schema):
    id = String(required=True, validate=Length(min=1, max=64), metadata={"description": "The person's id."})
    level = String(required=True, validate=OneOf(LEVELS), metadata=LEVEL_DOC)


class WishesIn(Schema):
    wishes = List(Nested(WishIn), required=True, validate=Length(max=500), metadata={
        "description": "Your whole list: it replaces the wishes you gave before."})


class MyWishOut(Schema):
    id = String(attribute="ext_id")
    name = String()
    company = String()
    level = String(metadata=LEVEL_DOC)


class AllowanceOut(Schema):
    level = String()
    used = Integer()
    limit = Integer()
    left = Integer()


class WishesOut(Schema):
    wishes = List(Nested(MyWishOut))
    allowances = List(Nested(AllowanceOut), metadata={"description": "How many Must and Want you have left."})
    closes_at = DateTime(allow_none=True, metadata={"description": "After this (UTC) wishes no longer change."})
    closed = Boolean()


class TallyOut(Schema):
    requested = Integer()
    granted = Integer()


class PersonOut(Schema):
    id = String()
    name = String()
    company = String()
    count = Integer()


class DemandOut(Schema):
    published_version = Integer(allow_none=True)
    must = Nested(TallyOut, metadata={"description": "One-way Must wishes."})
    want = Nested(TallyOut, metadata={"description": "One-way Want wishes."})
    must_mutual = Nested(TallyOut, metadata={"description": "Pairs who both said Must."})
    want_mutual = Nested(TallyOut, metadata={"description": "Other pairs who both asked to meet."})
    no_given = Integer()
    no_pairs_met = Integer(metadata={"description": "Pairs one side said No to that meet anyway (0)."})
    most_wished = List(Nested(PersonOut))
    none_granted = List(Nested(PersonOut), metadata={"description": "People who asked and got none of their wishes."})
    unmet_competencies = List(String(), metadata={"description": "Sought, offered by nobody coming."})
