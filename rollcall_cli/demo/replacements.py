"""The demo's short timetable, its reminders, and voters who ask for a replacement code.

``timetable`` makes the ballot's times from the moment it is created: open at
once, one reminder a few seconds later (served when the ballot opens),
replacement and postal cut-offs and a close hours away (the demo closes early,
with a reason). ``replace_codes`` has a few voters who hold an emailed code ask
for a new one through the gateway, as a member would (membership number and
the email the party holds), waits for the new code's email, then checks that
the old code is refused and the new one votes. ``reminders_emailed`` reads the
mailbox: how many reminders were emailed, and whether any voter got two for
one reminder time.
"""

from __future__ import annotations

import email
import email.policy
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from rollcall_cli.demo import http
from rollcall_cli.demo.output import CODE_RE, say

#: A delivery's Message-ID with any kind: ballot, membership number, kind.
ANY_KIND = re.compile(r"<ballot-(\d+)\.([^.]+)\.([\w-]+)@")
#: How many voters ask for a replacement (the gateway allows 10 an hour from one address).
ASKING = 5


def _client(i: int) -> requests.Session:
    """Each member a client of their own, from a loopback address of its own (127.0.1.x): the
    codes service's lockout of an address that tries wrong codes (here, the old codes, on
    purpose) does not lock out the next member."""
    return http.session(f"127.0.1.{i + 1}")


def timetable(now: datetime) -> dict[str, str]:
    """The demo ballot's times: a reminder soon after it opens; cut-offs and close far off."""
    at = {
        "opens_at": now,
        "reminders": [now + timedelta(seconds=5)],
        "postal_cutoff": now + timedelta(hours=2),
        "replacement_cutoff": now + timedelta(hours=2),
        "closes_at": now + timedelta(hours=3),
    }
    return {
        k: [t.astimezone(UTC).isoformat() for t in v] if isinstance(v, list) else v.isoformat()
        for k, v in at.items()
    }  # type: ignore[misc]


def _mails(mail_dir: Path, once: bool = True) -> list[tuple[str, str, str, Any]]:
    """(ballot, membership number, kind, message) of every mail in the mailbox (``once``: one
    per Message-ID, as a receiving system would show them)."""
    found, seen = [], set()
    for folder in ("new", "cur"):
        for path in sorted((mail_dir / folder).glob("*")) if (mail_dir / folder).exists() else []:
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            ident = ANY_KIND.search(str(msg["Message-ID"]))
            if ident and not (once and str(msg["Message-ID"]) in seen):
                seen.add(str(msg["Message-ID"]))
                found.append((ident.group(1), ident.group(2), ident.group(3), msg))
    return found


def _new_codes(mail_dir: Path, ballot_id: int, numbers: set[str]) -> dict[str, str]:
    """The newest code each of ``numbers`` was sent (a request that came twice sends two)."""
    codes: dict[str, tuple[int, str]] = {}
    for ballot, number, kind, msg in _mails(mail_dir):
        if int(ballot) == ballot_id and number in numbers and kind.startswith("reissue-"):
            body = msg.get_body(preferencelist=("plain",))
            found = CODE_RE.search(body.get_content() if body else "")
            generation = int(kind.rsplit("-", 1)[1]) if kind.rsplit("-", 1)[1].isdigit() else 0
            if found and generation >= codes.get(number, (-1, ""))[0]:
                codes[number] = (generation, found.group(1))
    return {number: code for number, (_, code) in codes.items()}


def choose(run: Any, emailed: dict[str, str], must: set[str]) -> list[str]:
    """The voters who lose their emailed code (none of those who must vote anyway)."""
    pool = sorted(n for n in emailed if n not in must)
    return sorted(run.rng.sample(pool, min(ASKING, len(pool))))


def ask(base: str, ballot_id: int, asking: list[str], mail_dir: Path) -> dict[str, int]:
    """``asking`` ask for a new code through the gateway; the HTTP statuses answered."""
    addresses = {
        number: str(msg["To"])
        for ballot, number, kind, msg in _mails(mail_dir)
        if int(ballot) == ballot_id and kind == "initial" and number in asking
    }
    answers: Counter[int] = Counter()
    for i, number in enumerate(asking):
        r = _client(i).post(
            f"{base}/api/ballots/{ballot_id}/replacement",
            # The email as the member types it: any case will do.
            json={"membership_number": number, "email": addresses[number].upper()},
            timeout=30,
        )
        answers[r.status_code] += 1
    return {str(k): v for k, v in sorted(answers.items())}


def replace_codes(
    base: str,
    ballot_id: int,
    emailed: dict[str, str],
    asking: list[str],
    answers: dict[str, int],
    mail_dir: Path,
    marks: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Once their new codes arrive, ``asking`` vote with them (``marks``, as the API takes
    them: Ada Lovelace unless given); their old codes are refused."""
    vote = marks or {"choices": ["Ada Lovelace"]}
    # The new codes queue behind the reminders the opening sent to every voter.
    deadline = time.monotonic() + 600
    new: dict[str, str] = {}
    while time.monotonic() < deadline:
        new = _new_codes(mail_dir, ballot_id, set(asking))
        if len(new) == len(asking):
            break
        time.sleep(0.5)
    url = f"{base}/api/ballots/{ballot_id}/votes"
    old_refused = new_accepted = 0
    answered: Counter[str] = Counter()
    for i, number in enumerate(asking):
        if number not in new:
            continue
        client = _client(i)
        old = client.post(url, json=http.vote_body(emailed[number], vote), timeout=30)
        old_refused += old.status_code == 403
        fresh = client.post(url, json=http.vote_body(new[number], vote), timeout=30)
        new_accepted += fresh.status_code == 201
        answered[f"old {old.status_code}, new {fresh.status_code}"] += 1
    say(
        f"replacements: {len(asking)} asked, {len(new)} new codes emailed, "
        f"{old_refused} old codes refused, {new_accepted} votes with the new ones"
    )
    return {
        "asked": len(asking),
        "answers": answers,
        "new_codes": len(new),
        "old_codes_refused": old_refused,
        "voted_with_new_code": new_accepted,
        "votes_answered": dict(answered),
        "members": asking,
    }


def reminders_emailed(mail_dir: Path, ballot_id: int) -> dict[str, Any]:
    """Reminder emails the sink received, and voters emailed twice for one reminder time."""
    emailed: Counter[tuple[str, str]] = Counter()
    for ballot, number, kind, _ in _mails(mail_dir, once=False):
        if int(ballot) == ballot_id and kind.startswith("reminder-"):
            emailed[(number, kind)] += 1
    twice = sorted(n for (n, _), k in emailed.items() if k > 1)
    return {
        "by_email": sum(emailed.values()),
        "voters_and_times": len(emailed),
        "reminded_twice": twice[:20],
        "reminded_twice_count": len(twice),
    }
