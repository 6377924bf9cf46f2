"""What the demo's voters received: the SMTP sink's mailbox and the postal print batches.

``read_mailbox`` and ``read_postal`` find each voter's access code (by email or
letter); ``notices_sent`` finds every exclusion notice, by email or letter.
"""

from __future__ import annotations

import csv
import email
import email.policy
import re
from collections import Counter
from pathlib import Path

from rollcall_cli.demo.output import CODE_RE, MSGID_RE

#: An exclusion notice's Message-ID: ballot, membership number, reason.
NOTICE_RE = re.compile(r"<ballot-(\d+)\.([^.]+)\.notice-excluded-(\w+)@")


def _messages(mail_dir: Path) -> list[email.message.EmailMessage]:
    found = []
    for folder in ("new", "cur"):
        for path in sorted((mail_dir / folder).glob("*")) if (mail_dir / folder).exists() else []:
            found.append(email.message_from_bytes(path.read_bytes(), policy=email.policy.default))
    return found  # type: ignore[return-value]


def _postal_rows(postal_dir: Path, pattern: str = "ballot-*") -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted(postal_dir.glob(f"{pattern}/batch-*.csv")):
        with path.open(newline="") as f:
            rows.extend(csv.DictReader(f))
    return rows


def code_letters_with_statements(postal_dir: Path) -> tuple[int, int]:
    """(code letters printed, of them followed by a page of their own before the next letter:
    the candidates' statements), from every postal batch's manifest."""
    letters = followed = 0
    for path in sorted(postal_dir.glob("ballot-*/batch-*.csv")):
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f))
        with path.with_suffix(".pdf").open("rb") as f:
            # The page count, without a PDF library: the page tree's /Count.
            total = max(int(n) for n in re.findall(rb"/Count (\d+)", f.read()))
        starts = [int(r["page"]) for r in rows] + [total + 1]
        for row, start, after in zip(rows, starts, starts[1:], strict=False):
            if row["letter"] == "code":
                letters += 1
                followed += after - start >= 2
    return letters, followed


def read_mailbox(mail_dir: Path) -> dict[str, str]:
    """membership number -> access code, from every email the sink received."""
    codes: dict[str, str] = {}
    for msg in _messages(mail_dir):
        ident = MSGID_RE.search(str(msg["Message-ID"]))
        body = msg.get_body(preferencelist=("plain",))
        found = CODE_RE.search(body.get_content() if body else "")
        if ident and found:
            codes[ident.group(2)] = found.group(1)
    return codes


def read_postal(postal_dir: Path) -> dict[str, str]:
    """membership number -> access code, from every postal batch (a row without a code
    is a notice, not a code letter)."""
    return {
        row["membership_number"]: row["code"] for row in _postal_rows(postal_dir) if row["code"]
    }


def notices_sent(mail_dir: Path, postal_dir: Path, ballot_id: int) -> Counter[tuple[str, str]]:
    """(membership number, how) of every exclusion notice sent, by email or in a postal batch."""
    sent: Counter[tuple[str, str]] = Counter()
    # One Message-ID is one message: a copy the sink stored twice (the connection dropped
    # before the mailer heard it was taken, so it sent it again) is not a second notice.
    seen: set[str] = set()
    for msg in _messages(mail_dir):
        if str(msg["Message-ID"]) in seen:
            continue
        seen.add(str(msg["Message-ID"]))
        found = NOTICE_RE.search(str(msg["Message-ID"]))
        if found and int(found.group(1)) == ballot_id:
            sent[(found.group(2), f"email:{found.group(3)}")] += 1
    for row in _postal_rows(postal_dir, f"ballot-{ballot_id}"):
        if not row["code"] and row["message"].startswith("You are not on the roll"):
            sent[(row["membership_number"], "letter")] += 1
    return sent


def notices_reached(
    mail_dir: Path, postal_dir: Path, ballot_id: int, expected: set[str]
) -> tuple[Counter[tuple[str, str]]] | None:
    """The notices sent, once every ``expected`` member has one; None until then."""
    sent = notices_sent(mail_dir, postal_dir, ballot_id)
    return (sent,) if {number for number, _ in sent} >= expected else None
