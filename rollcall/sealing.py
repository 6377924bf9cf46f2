"""Sealing access codes between the codes service and the mailer.

The codes service never stores a code, but the mailer must print it. The code
travels sealed (Fernet: AES-128-CBC with an HMAC, from ``cryptography``) under
a key only those two services hold (secret ``mail_seal_key``), so the outbox
row, the broker and the mailer's pending deliveries hold ciphertext only.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

__all__ = ["InvalidToken", "new_key", "seal", "unseal"]


def new_key() -> bytes:
    return Fernet.generate_key()


def seal(key: bytes, text: str) -> str:
    return Fernet(key).encrypt(text.encode()).decode()


def unseal(key: bytes, token: str) -> str:
    """The sealed text; ``InvalidToken`` if the key is wrong or the token was altered."""
    return Fernet(key).decrypt(token.encode()).decode()
