"""The results certificate: what was counted, signed with the ballot's Ed25519 key.

Each ballot gets its own key when the tally first hears of it, before any
vote; its public half and fingerprint are published at once (the board's
``key`` section, ``GET /api/ballots/{id}/key``, the tally's audit log), and
its private half is kept only encrypted under the ``signing_key_passphrase``
secret. ``sign`` and ``check`` use ``cryptography``'s Ed25519; the signed
message is the canonical JSON of the certificate without its signature.

A candidate checks a result with ``rollcall verify BOARD --key-fingerprint F``
where F is the fingerprint published before the count: a board re-signed with
any other key then fails.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.tally.bulletin import canonical

ALGORITHM = "ed25519"


def new_key(passphrase: bytes) -> tuple[str, bytes]:
    """(public key hex, private key PEM encrypted under ``passphrase``)."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    return public.hex(), pem


def fingerprint(public_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()


def key_section(public_hex: str) -> dict[str, str]:
    return {
        "algorithm": ALGORITHM,
        "public_key": public_hex,
        "fingerprint": fingerprint(public_hex),
    }


def _contest(contest: dict[str, Any], board_contest: dict[str, Any]) -> dict[str, Any]:
    counts = board_contest.get("counts") or {}
    return {
        "id": contest["id"],
        "title": contest.get("title") or contest["id"],
        "method": contest["method"],
        "seats": contest["seats"],
        "quota": counts.get("quota"),
        "stages": counts.get("rounds"),
        "winners": counts.get("winners"),
        "ties": counts.get("ties", []),
    }


def body(board: dict[str, Any]) -> dict[str, Any]:
    """What the certificate states, from a built board.

    A ballot with contests states each contest's method, seats, quota, stages,
    winners and ties under ``contests``, in the definition's order; a
    single-contest ballot states them at the top, as it always has. A ballot
    with candidates withdrawn after the papers were out states them too
    (``withdrawals``: contest, candidate, reason, when); one without does not,
    so older certificates still check.
    """
    stated = _body(board)
    if board.get("withdrawals"):
        stated["withdrawals"] = board["withdrawals"]
    return stated


def _body(board: dict[str, Any]) -> dict[str, Any]:
    if board["ballot"].get("contests"):
        published = {c.get("id"): c for c in board.get("contests") or [] if isinstance(c, dict)}
        return {
            "ballot_id": board["ballot"]["ballot_id"],
            "title": board["ballot"]["title"],
            "electorate": board["turnout"].get("electorate"),
            "turnout": {
                k: board["turnout"][k]
                for k in ("online", "postal", "cast")
                if k in board["turnout"]
            },
            "contests": [
                _contest(c, published.get(c["id"], {})) for c in board["ballot"]["contests"]
            ],
            "bulletin_sha256": board["sha256"],
            "key_fingerprint": board.get("key", {}).get("fingerprint"),
        }
    counts = board["counts"]
    return {
        "ballot_id": board["ballot"]["ballot_id"],
        "title": board["ballot"]["title"],
        "method": board["ballot"]["method"],
        "seats": board["ballot"]["seats"],
        "electorate": board["turnout"].get("electorate"),
        "turnout": {
            k: board["turnout"][k] for k in ("online", "postal", "cast") if k in board["turnout"]
        },
        "quota": counts.get("quota"),
        "stages": counts.get("rounds"),
        "winners": counts["winners"],
        "ties": counts.get("ties", []),
        "bulletin_sha256": board["sha256"],
        "key_fingerprint": board.get("key", {}).get("fingerprint"),
    }


def sign_message(message: bytes, private_pem: bytes, passphrase: bytes) -> str:
    """The Ed25519 signature (hex) of ``message`` by the ballot's key."""
    private = serialization.load_pem_private_key(private_pem, password=passphrase)
    assert isinstance(private, Ed25519PrivateKey)
    return private.sign(message).hex()


def signature_valid(public_hex: str, message: bytes, signature_hex: str) -> bool:
    """Whether ``signature_hex`` is the key's signature of ``message`` (False if malformed)."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(signature_hex), message
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def sign(board: dict[str, Any], private_pem: bytes, passphrase: bytes) -> dict[str, Any]:
    stated = body(board)
    return {**stated, "signature": sign_message(canonical(stated), private_pem, passphrase)}


def check(board: dict[str, Any], expected_fingerprint: str | None = None) -> list[str]:
    """Problems with a board's certificate; empty when it is signed, consistent and, if given, by the expected key."""
    cert = board.get("certificate")
    key = board.get("key")
    if not cert:
        return ["the board carries no certificate"]
    if not key or key.get("algorithm") != ALGORITHM:
        return ["the board carries no Ed25519 key"]
    problems = []
    if fingerprint(key["public_key"]) != key.get("fingerprint"):
        problems.append("the key's fingerprint does not match the key")
    if expected_fingerprint and key.get("fingerprint") != expected_fingerprint.lower():
        problems.append(
            f"the board is signed by key {key.get('fingerprint')}, not the published {expected_fingerprint}"
        )
    stated = {k: v for k, v in cert.items() if k != "signature"}
    if stated != body(board):
        problems.append(
            "the certificate does not state what the board holds (winners, stages, checksum or turnout differ)"
        )
    if not signature_valid(key["public_key"], canonical(stated), str(cert.get("signature", ""))):
        problems.append("the certificate's signature is not valid")
    return problems
