"""The bounce webhook's signature check: the body, the secret and the time all have to hold."""

from __future__ import annotations

import pytest

from gateway.bounces import SignatureExpired, SignatureInvalid, SignatureMissing, check, sign

SECRET = b"shared"
BODY = b'{"events": []}'
NOW = 1_800_000_000


def test_a_signature_over_the_body_within_the_tolerance_holds():
    check(sign(SECRET, BODY, NOW - 299), BODY, SECRET, NOW, 300)
    check(sign(SECRET, BODY, NOW + 299), BODY, SECRET, NOW, 300)


def test_while_a_secret_is_rotated_either_signature_holds():
    old = sign(b"old", BODY, NOW).split(",")[1]
    check(f"{sign(SECRET, BODY, NOW)},{old}", BODY, b"old", NOW, 300)


@pytest.mark.parametrize(
    ("header", "body", "refusal"),
    [
        (None, BODY, SignatureMissing),
        ("  ", BODY, SignatureMissing),
        (sign(b"other", BODY, NOW), BODY, SignatureInvalid),
        (sign(SECRET, BODY, NOW), BODY + b" ", SignatureInvalid),
        (sign(SECRET, BODY, NOW).replace(f"t={NOW}", f"t={NOW + 1}"), BODY, SignatureInvalid),
        (f"t={NOW}", BODY, SignatureInvalid),
        ("v1=00", BODY, SignatureInvalid),
        ("t=soon,v1=00", BODY, SignatureInvalid),
        (sign(SECRET, BODY, NOW - 301), BODY, SignatureExpired),
        (sign(SECRET, BODY, NOW + 301), BODY, SignatureExpired),
    ],
)
def test_a_missing_wrong_or_stale_signature_is_refused(header, body, refusal):
    with pytest.raises(refusal):
        check(header, body, SECRET, NOW, 300)
