"""The gateway refuses exactly the text its spec (gateway/openapi.yaml) refuses, for the fields
whose patterns say what a space is: a member's roll check and replacement request (as JSON and
from the HTML forms) and an officer's corrected postcode.

Schemathesis (CI seed) found each disagreement in turn in CI: a form postcode ending in U+009B
was accepted against its pattern; ``"\\r\\u0085\\u011b"`` was trimmed short by Python's ``strip``.
Here every value is drawn from the characters the two regex dialects and the trimming disagree
on, and the spec's verdict (``jsonschema``, as Schemathesis runs it) must be the gateway's.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from gateway import schemas
from gateway.service import OPENAPI

#: Spaces of one dialect and not the other, control characters (C0, DEL, C1), characters
#: upper() or a wider idea of space would change, and plain letters and digits.
TRICKY = (
    "\t\n\x0b\x0c\r \x1c\x1f\x7f\x80\x85\x9b\x9f\xa0\u1680\u2000\u200a\u200b"
    "\u2028\u2029\u202f\u205f\u3000\ufeff\u00d7\u00df\ufb00\U0010655cAZaz09@."
)
TEXT = st.text(st.sampled_from(TRICKY) | st.characters(codec="utf-8"), max_size=20)

SPEC = yaml.safe_load(OPENAPI.read_text())
COMPONENTS = SPEC["components"]["schemas"]


def _form(path: str) -> dict[str, Any]:
    body = SPEC["paths"][path]["post"]["requestBody"]["content"]
    return body["application/x-www-form-urlencoded"]["schema"]


def spec_admits(schema: dict[str, Any], instance: dict[str, Any]) -> bool:
    return jsonschema.Draft202012Validator(schema).is_valid(instance)


def gateway_admits(schema: schemas.Schema, data: dict[str, Any]) -> bool:
    try:
        schema.load(data)
    except ValidationError:
        return False
    return True


def test_the_spec_writes_the_gateways_patterns():
    roll, replacement = COMPONENTS["RollCheck"], COMPONENTS["Replacement"]
    assert roll["properties"]["postcode"]["pattern"] == schemas.TYPED_POSTCODE
    assert _form("/roll-check")["properties"]["postcode"]["pattern"] == schemas.TYPED_POSTCODE
    assert (
        COMPONENTS["MemberChanges"]["properties"]["postcode"]["pattern"]
        == schemas.CORRECTED_POSTCODE
    )
    not_blank = [
        roll["properties"]["membership_number"],
        replacement["properties"]["membership_number"],
        *(
            branch["properties"][name]
            for branch in replacement["anyOf"]
            for name in branch["properties"]
        ),
        _form("/roll-check")["properties"]["membership_number"],
        _form("/replacement")["properties"]["membership_number"],
    ]
    assert {p["pattern"] for p in not_blank} == {schemas.NOT_BLANK}
    assert not [p for p in _patterns(SPEC) if "\\s" in p or "\\S" in p]


def _patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return own + [p for v in node.values() for p in _patterns(v)]
    if isinstance(node, list):
        return [p for v in node for p in _patterns(v)]
    return []


def test_what_is_trimmed_is_the_space_the_patterns_spell_out():
    assert set(schemas.SPACES) == {
        c for c in map(chr, range(0x110000)) if c.isspace() or c == "\ufeff"
    } - set("\x0b\x0c\x1c\x1d\x1e\x1f\x85")


@settings(max_examples=600, deadline=None)
@given(number=TEXT, postcode=TEXT)
@example(number="0", postcode="\u00d7\U0010655c\x9b")  # CI's: a C1 control in the form
@example(number="\ufeff", postcode="\r\x85\u011b")  # a space to ECMA; one to Python
def test_a_roll_check_is_refused_where_the_spec_refuses_it(number, postcode):
    body = {"membership_number": number, "postcode": postcode}
    assert gateway_admits(schemas.RollCheckSchema(), body) == spec_admits(
        COMPONENTS["RollCheck"], body
    )
    # The form's fields, as the route hands them to the same schema.
    form = _form("/roll-check")
    assert gateway_admits(schemas.RollCheckSchema(), body) == spec_admits(
        form, {"ballot_id": 1, **body}
    )


@settings(max_examples=600, deadline=None)
@given(number=TEXT, email=st.none() | TEXT, postcode=st.none() | TEXT)
@example(number="P1", email="\x85", postcode=None)
@example(number="\x1cP1", email=None, postcode="\ufeffE8")
def test_a_replacement_request_is_refused_where_the_spec_refuses_it(number, email, postcode):
    body = {"membership_number": number}
    body |= {"email": email} if email is not None else {}
    body |= {"postcode": postcode} if postcode is not None else {}
    assert gateway_admits(schemas.ReplacementSchema(), body) == spec_admits(
        COMPONENTS["Replacement"], body
    )


@settings(max_examples=600, deadline=None)
@given(postcode=TEXT)
@example(postcode="\u00df1")  # "SS1" once upper-cased
@example(postcode="E\x851AA")
def test_a_corrected_postcode_is_refused_where_the_spec_refuses_it(postcode):
    changes = {"postcode": postcode}
    assert gateway_admits(schemas.MemberChangesSchema(), changes) == spec_admits(
        COMPONENTS["MemberChanges"], changes
    )


@pytest.mark.parametrize(
    ("sent", "written"),
    [(" e8  1aa ", "E8 1AA"), ("\u3000sw1a\u00a01aa\ufeff", "SW1A 1AA"), ("n1", "N1"), ("", "")],
)
def test_a_corrected_postcode_is_written_as_the_extract_writes_it(sent, written):
    assert schemas.MemberChangesSchema().load({"postcode": sent}) == {"postcode": written}


def test_a_value_is_not_trimmed_short_by_pythons_wider_idea_of_space():
    loaded = schemas.RollCheckSchema().load(
        {"postcode": "\n \r\u011b\u00e9 \n", "membership_number": "\r \u0085P1 "}
    )
    assert loaded == {"postcode": "\u011b\u00e9", "membership_number": "\u0085P1"}


def test_the_spaces_of_the_spec_are_still_trimmed():
    loaded = schemas.RollCheckSchema().load(
        {"postcode": "\u00a0\u2003E8 1AA\u3000\ufeff", "membership_number": "\tP1\r\n"}
    )
    assert loaded == {"postcode": "E8 1AA", "membership_number": "P1"}
