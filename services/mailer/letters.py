"""What a voter receives: the email, the printed letter's words and the postal batch row. Pure.

The Message-ID is derived from (ballot, voter, kind), so if a crash makes the
mailer send the same email twice, receiving systems see one message. A
printed letter (``Letter``) says what the email of the same kind says: a code
letter carries the code, how to vote online and by post and the ballot's
dates; a notice letter carries the notice's words and never a code; a reminder
says the voter has not voted, until when they can, how, and how to get a
replacement code, and never carries a code.
A code letter also carries the candidates' statements, if the ballot has
any (``statements_of``): each contest's, in the order of its candidates, as
plain text and a link, printed on a page of their own after the letter.
``services.mailer.printing`` lays letters out on paper.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from rollcall import ordering

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
#: The kind of every reminder starts so: ``reminder-<time>`` (``reminding.reminder_kind``).
REMINDER = "reminder-"


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
    ballot: BallotFacts | None = None,
) -> EmailMessage:
    """The access code email; a reissued code (any kind but ``initial``) says it is new.
    ``ballot``: what the mailer knows of the ballot; with it, the email names each contest of
    a ballot with several, and says where the candidates' statements are (the voting page:
    the email carries none of their words)."""
    about = ""
    if ballot is not None:
        about = "".join(
            f"{words}\n\n" for words in (_contest_words(ballot), _statements_words(ballot)) if words
        )
    body = (
        f"Dear {contact['name']},\n\n"
        f"You can vote in: {title}.\n\n"
        f"{about}"
        f"Your access code is: {code}\n\n"
        f"Vote at {vote_url} (ballot {ballot_id}) and enter the code.\n"
        "Keep the receipt you are shown: with it you can check that your vote was counted.\n\n"
        "If you did not expect this email, or your contact details were changed without\n"
        "your knowledge, tell your party office at once.\n"
    )
    return _message(ballot_id, contact, kind, sender, f"{heading(kind)}: {title}", body)


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
    return _message(ballot_id, contact, kind, sender, f"{heading(kind)}: {title}", body)


def roll_answer(
    *, ballot_id: int, title: str, contact: dict[str, Any], kind: str, sender: str
) -> EmailMessage:
    """The answer to "am I on the roll?", sent only to the contact the party holds."""
    body = (
        f"Dear {contact['name']},\n\nYou asked whether you are on the roll for {title}.\n\n"
        f"{contact['answer']}\n\nIf you did not ask, you can ignore this message.\n"
    )
    return _message(ballot_id, contact, kind, sender, f"{heading(kind)} {title}", body)


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
    return _message(ballot_id, contact, kind, sender, f"{heading(kind)}: {title}", body)


def notice_text(kind: str, contact: dict[str, Any], roll_check_url: str = "") -> str:
    """The words of a notice letter on one line, for the postal batch row."""
    return " ".join(notice_paragraphs(kind, contact, roll_check_url))


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


#: The timetable entries a letter names, in the order it names them.
_DATES = (("opens_at", "Voting opens"), ("closes_at", "Voting closes"))


#: Statements by contest: (contest title, or "" on a single-contest ballot; ((candidate, text, link), ...)).
Statements = tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...]

#: What a test ballot's title starts with in every email and letter.
TEST_MARK = "TEST BALLOT - "


#: Where the mailer's read model keeps that a ballot is a test ballot: a key of the ballot's
#: timetable JSON (``deliveries.record_ballot``), which letters read only by the names of dates.
TEST_KEY = "test"
#: Where it keeps the titles of a ballot's contests, in the order of the paper (a ballot with
#: several contests: ``contests_of``), so that letters and emails name each one.
CONTESTS_KEY = "contests"


def timetable_of(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The timetable the mailer keeps of a ballot definition: a test ballot's says so
    (``TEST_KEY``), so that its work is counted apart from real ballots' (``is_test``)."""
    timetable = dict(definition.get("timetable") or {})
    if definition.get("test"):
        timetable[TEST_KEY] = True
    titles = [str(c.get("title") or c.get("id") or "") for c in definition.get("contests") or []]
    if len(titles) > 1:
        timetable[CONTESTS_KEY] = titles
    return timetable


def contests_of(timetable: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The titles of the contests of a ballot with several (``timetable_of``); none for a
    ballot with one."""
    return tuple(str(t) for t in (timetable or {}).get(CONTESTS_KEY) or ())


def _named(titles: tuple[str, ...]) -> str:
    """Contest titles as a reader takes them in one sentence: each in quotes, in order."""
    quoted = [f'"{t}"' for t in titles]
    return ", ".join(quoted[:-1]) + f" and {quoted[-1]}" if len(quoted) > 1 else "".join(quoted)


def _count(n: int) -> str:
    """A small number in words, as a letter writes it ("two"); a larger one in figures."""
    words = ("two", "three", "four", "five", "six", "seven", "eight", "nine")
    return words[n - 2] if 2 <= n <= 9 else str(n)


def _contest_words(ballot: BallotFacts) -> str:
    """What a ballot with several contests holds, in one sentence ("" with one contest)."""
    titles = contests_of(ballot.timetable)
    if not titles:
        return ""
    return (
        f"This ballot has {_count(len(titles))} contests: {_named(titles)}. One access code votes in"
        " all of them, and you may leave a contest blank."
    )


def is_test(timetable: Mapping[str, Any] | None) -> bool:
    """Whether the ballot whose kept timetable this is (``timetable_of``) is a test ballot."""
    return bool((timetable or {}).get(TEST_KEY))


def title_of(definition: Mapping[str, Any]) -> str:
    """The title every email and letter of the ballot names: a test ballot's starts TEST BALLOT."""
    title = str(definition["title"])
    return TEST_MARK + title if definition.get("test") else title


def statements_of(definition: Mapping[str, Any]) -> list[Any]:
    """The candidates' statements of a ballot definition, by contest, as JSON-ready lists
    ``[[contest title, [[candidate, text, link], ...]], ...]``; empty when there are none.
    A contest whose candidates are not in fixed order carries its ``order`` third
    (``[title, rows, order]``), for ``in_batch_order``."""
    if definition.get("contests"):
        contests = [(str(c.get("title", "")), c) for c in definition["contests"]]
    else:
        contests = [("", definition)]
    out: list[Any] = []
    for title, contest in contests:
        said = contest.get("statements") or {}
        rows = [
            [str(name), str(said[name].get("text") or ""), str(said[name].get("link") or "")]
            for name in contest.get("candidates") or []
            if isinstance(said.get(name), Mapping)
            and (said[name].get("text") or said[name].get("link"))
        ]
        if rows:
            order = contest.get("order")
            out.append([title, rows, order] if order and order != "fixed" else [title, rows])
    return out


def statements_facts(stored: Any, batch: int = 0) -> Statements:
    """What ``statements_of`` stored, as the letters' tuples, in the order of print batch
    ``batch`` (``in_batch_order``)."""
    return tuple(
        (str(item[0]), in_batch_order(item[1], item[2] if len(item) > 2 else None, batch))
        for item in stored or []
    )


def in_batch_order(rows: Any, order: str | None, batch: int) -> tuple[tuple[str, str, str], ...]:
    """A contest's statement rows in the order of print batch ``batch``
    (``rollcall.ordering.for_batch``: a random order rotates per batch, never shuffles)."""
    by_name = {str(n): (str(n), str(t), str(link)) for n, t, link in rows}
    return tuple(by_name[n] for n in ordering.for_batch(list(by_name), order, batch))


@dataclass(frozen=True)
class BallotFacts:
    """What the mailer knows of a ballot when it writes letters for it."""

    ballot_id: int
    title: str
    vote_url: str
    roll_check_url: str
    #: The ballot's timetable (ISO timestamps by key, e.g. ``closes_at``), as far as known.
    timetable: Mapping[str, Any] = field(default_factory=dict)
    #: Where a voter asks for a replacement code (named in reminders).
    replacement_url: str = ""
    #: The candidates' statements by contest, for the code letter.
    statements: Statements = ()
    #: The statements as stored (``statements_of``), to put in each print batch's order.
    stored_statements: Any = ()

    def in_batch(self, batch: int) -> Statements:
        """The statements in the order of print batch ``batch``."""
        return (
            statements_facts(self.stored_statements, batch)
            if self.stored_statements
            else self.statements
        )


@dataclass(frozen=True)
class Letter:
    """One printed letter: to whom, about which ballot, and its words in reading order.

    ``kind`` is what the print house encloses it with: ``code`` (a postal
    ballot paper goes with it), ``notice`` or ``reminder`` (nothing).
    """

    kind: str
    membership_number: str
    name: str
    address: tuple[str, ...]
    postcode: str
    ballot_id: int
    title: str
    heading: str
    paragraphs: tuple[str, ...]
    #: The access code, grouped as it is shown online; empty on a notice.
    code: str = ""
    #: (what, when) of each date of the ballot the letter names.
    dates: tuple[tuple[str, str], ...] = ()
    #: What comes after the code: how to vote online and by post.
    after_code: tuple[str, ...] = ()
    #: The candidates' statements by contest (a code letter of a ballot that has them).
    statements: Statements = ()


def _when(iso: str) -> str:
    at = datetime.fromisoformat(iso).astimezone(UTC)
    return f"{at:%A} {at.day} {at:%B %Y}, {at:%H:%M} UTC"


def ballot_dates(timetable: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """(what, when) of each date of the timetable a letter names; none when none is known."""
    return tuple((what, _when(timetable[key])) for key, what in _DATES if timetable.get(key))


def heading(kind: str) -> str:
    """What a letter of this delivery kind is about, in a few words (its email's subject too)."""
    if kind.startswith(REMINDER):
        return "Reminder: you have not voted yet"
    if kind.startswith("notice-roll"):
        return "Are you on the roll?"
    if kind.startswith(EXCLUDED):
        return "You are not on the roll yet"
    if kind.startswith("notice"):
        return "Your contact details were changed"
    return "Your access code" if kind == "initial" else "Your new access code"


def notice_paragraphs(kind: str, contact: dict[str, Any], roll_check_url: str) -> tuple[str, ...]:
    """The words of a notice letter (roll-check answer, exclusion or contact change)."""
    if kind.startswith("notice-roll"):
        return (str(contact.get("answer", "")),)
    if kind.startswith(EXCLUDED):
        words = _exclusion_words(contact, roll_check_url).split("\n\n")
        return tuple(w.strip() for w in words)
    return (
        f"The contact details the party holds for you were changed ({_changed_fields(contact)}). "
        "If you did not ask for this, tell your party office now.",
    )


def _statements_words(ballot: BallotFacts) -> str:
    """Where the candidates' statements are, online ("" when the ballot has none)."""
    if not (ballot.statements or ballot.stored_statements):
        return ""
    return (
        "The candidates' statements, in their own words, are on the voting page, with each"
        " candidate."
    )


def _postal_words(ballot: BallotFacts) -> str:
    """How to vote by post: one paper, or one paper for each contest."""
    titles = contests_of(ballot.timetable)
    if not titles:
        return (
            "To vote by post instead, mark the postal ballot paper that comes with this letter"
            " and post it back in the reply envelope, so that it arrives before voting closes."
            " Vote one way only: one vote per member is counted."
        )
    return (
        f"To vote by post instead, mark the {_count(len(titles))} postal ballot papers that come with"
        f" this letter, one for each contest ({_named(titles)}), and post them back together in"
        " the reply envelope, so that they arrive before voting closes. Vote one way only: one"
        " vote per member is counted."
    )


def _code_words(ballot: BallotFacts, code: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a code letter says before its code, and after it. A ballot with several contests
    is named contest by contest; a ballot with statements says they follow the letter."""
    before = (
        f"You can vote in {ballot.title}. This is your access code: you need it to vote online.",
        *([contests] if (contests := _contest_words(ballot)) else []),
    )
    online = "every contest is on one page" if contests_of(ballot.timetable) else ""
    after = (
        f"To vote online, go to {ballot.vote_url}, choose ballot {ballot.ballot_id} and enter"
        " the code (capitals, spaces and hyphens do not matter)"
        + (f"; {online}" if online else "")
        + ". Keep the receipt you are shown: with it you can check that your vote was counted.",
        _postal_words(ballot),
        *(
            [
                "The candidates' statements, in their own words, follow this letter on a page of"
                " their own; the voting page shows them too."
            ]
            if ballot.statements
            else []
        ),
        "If you did not expect this letter, or your contact details were changed without your"
        " knowledge, tell your party office at once.",
    )
    return before, after


def reminder_paragraphs(contact: Mapping[str, Any], ballot: BallotFacts) -> tuple[str, ...]:
    """The words of a reminder, email or letter: the voter has not voted, until when they can,
    how (by the channel their code came by), and how to get a replacement code. Never a code."""
    closes = ballot.timetable.get("closes_at")
    until = f" Voting closes on {_when(closes)}." if closes else ""
    by = "by post" if contact.get("code_channel") == "post" else "by email"
    words = [
        f"You can vote in {ballot.title}, and the marked register shows that you have not"
        f" voted yet.{until}",
        f"To vote online, go to {ballot.vote_url}, choose ballot {ballot.ballot_id} and enter"
        f" the access code we sent you {by}.",
    ]
    if contact.get("code_channel") == "post":
        words.append(
            "Or mark the postal ballot papers that came with your code letter, one for each"
            f" contest ({_named(contests_of(ballot.timetable))}), and post them back together"
            " in the reply envelope, so that they arrive before voting closes."
            if contests_of(ballot.timetable)
            else "Or mark the postal ballot paper that came with your code letter and post it"
            " back in the reply envelope, so that it arrives before voting closes."
        )
    cutoff = ballot.timetable.get("replacement_cutoff")
    by_when = f" (until {_when(cutoff)})" if cutoff else ""
    words += [
        "Lost your code, or it never arrived? Ask for a new one"
        f"{by_when} at {ballot.replacement_url or ballot.vote_url}: give your membership number"
        " and the email address or postcode the party holds for you. The new code goes only to"
        " the contact the party holds, and the old one stops working.",
        "If you have voted since this was sent, thank you: you need do nothing.",
    ]
    return tuple(words)


def reminder(
    *, contact: dict[str, Any], kind: str, sender: str, ballot: BallotFacts
) -> EmailMessage:
    """The reminder email to a voter who has not voted; it carries no code."""
    body = f"Dear {contact['name']},\n\n" + "\n\n".join(reminder_paragraphs(contact, ballot))
    return _message(
        ballot.ballot_id, contact, kind, sender, f"{heading(kind)}: {ballot.title}", body + "\n"
    )


def letter(kind: str, contact: dict[str, Any], code: str, ballot: BallotFacts) -> Letter:
    """The printed letter of a delivery: a notice's or a reminder's words, or the code and how
    to vote."""
    if kind.startswith(REMINDER):
        return Letter(
            kind="reminder",
            membership_number=contact["membership_number"],
            name=contact["name"],
            address=tuple(line for line in contact.get("address") or [] if line),
            postcode=contact.get("postcode") or "",
            ballot_id=ballot.ballot_id,
            title=ballot.title,
            heading=heading(kind),
            paragraphs=reminder_paragraphs(contact, ballot),
        )
    is_notice = kind.startswith("notice")
    after: tuple[str, ...]
    if is_notice:
        before, after = notice_paragraphs(kind, contact, ballot.roll_check_url), ()
    else:
        before, after = _code_words(ballot, code)
    return Letter(
        kind="notice" if is_notice else "code",
        membership_number=contact["membership_number"],
        name=contact["name"],
        address=tuple(line for line in contact.get("address") or [] if line),
        postcode=contact.get("postcode") or "",
        ballot_id=ballot.ballot_id,
        title=ballot.title,
        heading=heading(kind),
        paragraphs=before,
        code="" if is_notice else code,
        dates=ballot_dates(ballot.timetable),
        after_code=after,
        statements=() if is_notice else ballot.statements,
    )


#: The member a preview's sample letter is addressed to: nobody real.
SAMPLE_CONTACT: Mapping[str, Any] = {
    "membership_number": "SAMPLE",
    "name": "A. Member (sample)",
    "address": ["1 Sample Street", "Sampletown"],
    "postcode": "AB1 2CD",
}
#: The code a preview's sample letter shows: never a real code (0, O and L are not in the codes' alphabet).
SAMPLE_CODE = "SAMPLE-CODE-0000"


def sample_letter(ballot: BallotFacts) -> Letter:
    """The code letter of the ballot as a voter will get it, to a placeholder member with a
    placeholder code, headed PREVIEW so it can never pass for a real one."""
    real = letter("initial", dict(SAMPLE_CONTACT), SAMPLE_CODE, ballot)
    return dataclasses.replace(real, heading=f"PREVIEW (sample letter): {real.heading}")
