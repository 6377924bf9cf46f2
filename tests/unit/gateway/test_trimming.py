"""The API trims what its spec calls spaces (JSON Schema's ``\\s``), not all Python treats as
space: Schemathesis (CI seed) sent a postcode the spec admits, ``"\\r\\u0085\\u011b \\n"``, which
``str.strip()`` cut to one character and the gateway refused (400)."""

from __future__ import annotations

from gateway.schemas import RollCheckSchema


def test_a_value_the_spec_admits_is_not_trimmed_short_by_pythons_wider_idea_of_space():
    loaded = RollCheckSchema().load(
        {"postcode": "\n \r\u0085\u011b \n", "membership_number": " P1 "}
    )
    assert loaded == {"postcode": "\u0085\u011b", "membership_number": "P1"}


def test_the_spaces_of_the_spec_are_still_trimmed():
    loaded = RollCheckSchema().load(
        {"postcode": "\u00a0\u2003E8 1AA\u3000\ufeff", "membership_number": "\tP1\r\n"}
    )
    assert loaded == {"postcode": "E8 1AA", "membership_number": "P1"}
