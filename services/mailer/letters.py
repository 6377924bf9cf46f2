"""What a voter receives: the email and the postal letter row. Pure.

The Message-ID is derived from (ballot, voter, kind), so if a crash makes the
mailer send the same email twice, receiving systems see one message.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

POSTAL_COLUMNS = (
    "membership_number",
    "name",
    "address",
    "postcode",
    "ballot_id",
    "code",
    "vote_at",
    "message",
)


#: The kind of every exclusion notice starts so: ``notice-excluded-<reason>``.
EXCLUDED = "notice-excluded-"


def message_id(ballot_id: int, membership_number: str, kind: str, domain: str) -> str:
    """The same for the same (ballot, voter, kind, domain), and different otherwise."""
    return f"<ballot-{ballot_id}.{membership_number}.{kind}@{domain}>"


def _message(
    ballot_id: int, contact: dict[str, Any], kind: str, sender: str, subject: str, body: str
) -> EmailMessage:
    """An email to the contact, with the Message-ID of (ballot, voter, kind)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = contact["email"]
    msg["Subject"] = subject
    msg["Message-ID"] = message_id(
        ballot_id, contact["membership_number"], kind, sender.split("@")[-1]
    )
    msg.set_content(body)
    return msg


def _changed_fields(contact: dict[str, Any]) -> str:
    return ", ".join(f.replace("_", " ") for f in contact.get("fields_changed", []))


def email(
    *,
    ballot_id: int,
    title: str,
    contact: dict[str, Any],
    code: str,
    kind: str,
    sender: str,
    vote_url: str,
) -> EmailMessage:
    """The access code email; a reissued code (any kind but ``initial``) says it is new."""
    subject = "Your access code" if kind == "initial" else "Your new access code"
    body = (
        f"Dear {contact['name']},\n\n"
        f"You can vote in: {title}.\n\n"
        f"Your access code is: {code}\n\n"
        f"Vote at {vote_url} (ballot {ballot_id}) and enter the code.\n"
        "Keep the receipt you are shown: with it you can check that your vote was counted.\n\n"
        "If you did not expect this email, or your contact details were changed without\n"
        "your knowledge, tell your party office at once.\n"
    )
    return _message(ballot_id, contact, kind, sender, f"{subject}: {title}", body)


def notice(
    *, ballot_id: int, title: str, contact: dict[str, Any], kind: str, sender: str
) -> EmailMessage:
    """The message that a member's contact details changed, to the old and the new contact."""
    body = (
        f"Dear {contact['name']},\n\n"
        f"The contact details the party holds for you for {title} were changed"
        f" ({_changed_fields(contact)}).\n"
        "If you asked for this, you need do nothing: any new access code will reach you at the\n"
        "new details after a short waiting period.\n\n"
        "If you did NOT ask for this, tell your party office now: the change can be reversed\n"
        "before a new code is usable.\n"
    )
    return _message(
        ballot_id, contact, kind, sender, f"Your contact details were changed: {title}", body
    )


def roll_answer(
    *, ballot_id: int, title: str, contact: dict[str, Any], kind: str, sender: str
) -> EmailMessage:
    """The answer to "am I on the roll?", sent only to the contact the party holds."""
    body = (
        f"Dear {contact['name']},\n\nYou asked whether you are on the roll for {title}.\n\n"
        f"{contact['answer']}\n\nIf you did not ask, you can ignore this message.\n"
    )
    return _message(ballot_id, contact, kind, sender, f"Are you on the roll? {title}", body)


def exclusion_kind(reason: str) -> str:
    """The delivery kind of an exclusion notice: one per member, ballot and reason."""
    return f"{EXCLUDED}{reason}"


def _exclusion_words(contact: dict[str, Any], roll_check_url: str) -> str:
    """Why the member is not on the roll, how to fix it, by when, and how to check again."""
    by = ""
    if contact.get("fix_by"):
        by = f" Please do this before {contact['fix_by'][:10]}, when the roll is frozen."
    return (
        f"You are not on the roll for this ballot: {contact['why']}.\n\n"
        f"How to fix it: {contact['fix']}{by}\n\n"
        "Once it is fixed, you can check whether you are on the roll with the roll check "
        f"(your membership number and postcode): {roll_check_url}\n"
    )


def exclusion(
    *,
    ballot_id: int,
    title: str,
    contact: dict[str, Any],
    kind: str,
    sender: str,
    roll_check_url: str,
) -> EmailMessage:
    """Why a member is excluded and how they can fix it, to the contact the party holds."""
    body = (
        f"Dear {contact['name']},\n\nYou are a member who could vote in {title}, but:\n\n"
        f"{_exclusion_words(contact, roll_check_url)}"
    )
    return _message(ballot_id, contact, kind, sender, f"You are not on the roll yet: {title}", body)


def notice_text(kind: str, contact: dict[str, Any], roll_check_url: str = "") -> str:
    """The words of a notice letter (roll-check answer, exclusion or contact change)."""
    if kind.startswith("notice-roll"):
        return str(contact.get("answer", ""))
    if kind.startswith(EXCLUDED):
        return _exclusion_words(contact, roll_check_url).replace("\n\n", " ").strip()
    return (
        f"The contact details the party holds for you were changed ({_changed_fields(contact)}). "
        "If you did not ask for this, tell your party office now."
    )


def postal_row(
    *, ballot_id: int, contact: dict[str, Any], code: str, vote_url: str, message: str = ""
) -> dict[str, str]:
    """One row of a postal print batch, keyed by ``POSTAL_COLUMNS``; ``vote_at`` only with a code."""
    return {
        "membership_number": contact["membership_number"],
        "name": contact["name"],
        "address": " / ".join(contact.get("address") or []),
        "postcode": contact.get("postcode", ""),
        "ballot_id": str(ballot_id),
        "code": code,
        "vote_at": vote_url if code else "",
        "message": message,
    }
