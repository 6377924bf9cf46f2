"""The demo's "nothing delivered twice" check finds each kind of duplicate in a Maildir and
the postal batches (``rollcall_cli.demo.mailbox.duplicates``)."""

from __future__ import annotations

import csv
import mailbox
from email.message import EmailMessage
from pathlib import Path

from rollcall_cli.demo.mailbox import duplicates

COLUMNS = ["membership_number", "name", "address", "postcode", "ballot_id", "code"]
COLUMNS += ["vote_at", "message", "letter", "page"]


def mail(box: mailbox.Maildir, member: str, kind: str, code: str) -> None:
    msg = EmailMessage()
    msg["Message-ID"] = f"<ballot-1.{member}.{kind}@rollcall.invalid>"
    msg["Subject"] = "Your access code"
    msg.set_content(f"Your access code is: {code}\n")
    box.add(msg)


def letters(postal: Path, rows: list[tuple[str, str, str]]) -> None:
    (postal / "ballot-1").mkdir(parents=True, exist_ok=True)
    with (postal / "ballot-1" / "batch-1.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for member, letter, code in rows:
            writer.writerow({"membership_number": member, "letter": letter, "code": code})


def test_nothing_twice_is_nothing(tmp_path: Path):
    box = mailbox.Maildir(tmp_path / "mail")
    mail(box, "M1", "initial", "AAAAAA-1")
    mail(box, "M2", "initial", "BBBBBB-2")
    mail(box, "M1", "reminder-1", "")
    mail(box, "M2", "reissue-1", "EEEEEE-5")  # a replacement code: a new code, not a duplicate
    letters(tmp_path / "postal", [("M3", "code", "CCCCCC-3"), ("M3", "reminder", "")])
    assert not any(duplicates(tmp_path / "mail", tmp_path / "postal").values())


def test_each_kind_of_duplicate_is_named(tmp_path: Path):
    box = mailbox.Maildir(tmp_path / "mail")
    mail(box, "M1", "initial", "AAAAAA-1")
    mail(box, "M1", "initial", "AAAAAA-1")  # the same message stored twice
    mail(box, "M2", "initial", "BBBBBB-2")
    mail(box, "M4", "initial", "DDDDDD-4")
    letters(
        tmp_path / "postal",
        [("M3", "code", "CCCCCC-3"), ("M3", "code", "CCCCCC-3"), ("M5", "code", "DDDDDD-4")],
    )
    found = duplicates(tmp_path / "mail", tmp_path / "postal")
    assert found["message_ids_stored_twice"] == ["<ballot-1.M1.initial@rollcall.invalid>"]
    assert found["codes_held_by_two_members"] == ["DDDDDD"]
    assert found["letters_twice"] == ["M3 code"]
