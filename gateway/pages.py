"""The plain HTML voting page: choose the ballot, enter the code, pick, get a receipt.

No JavaScript: every step is a form posting back to the gateway. Pages are
built from the templates in ``gateway/templates`` with ``string.Template``;
every value put into a page is HTML-escaped here first, so a candidate named
``<script>`` is shown, never run.

How a voter picks follows the counting method: preferences in order for
``irv``, ``stv`` and ``meek``; one mark (or up to ``seats``) for ``fptp``;
any number for ``approval``. A ballot that is not open shows why, and no form.

For people using a screen reader or a keyboard: an error is the first thing
on the page, announced (``role="alert"``), focused (``autofocus``, no
script), and named in the page's title; the access code field it is about is
marked ``aria-invalid`` and tied to it with ``aria-describedby``.
"""

from __future__ import annotations

import functools
import secrets
from html import escape
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from gateway import errors
from gateway.web import SECURITY_HEADERS

TEMPLATES = Path(__file__).parent / "templates"
RANKED = ("irv", "stv", "meek")
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
_SUFFIXES = {1: "st", 2: "nd", 3: "rd"}


@functools.cache
def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else _SUFFIXES.get(n % 10, "th")
    return f"{n}{suffix}"


#: The id of a page's error message, for ``aria-describedby``.
ERROR_ID = "error"
#: Error codes about the access code itself: the code field is marked invalid.
CODE_ERRORS = frozenset({"invalid_code", "malformed_code", "locked_out"})


def page(heading: str, content: str, message: str = "", *, ok: bool = False) -> str:
    """A whole page; ``heading`` and ``message`` are escaped, ``content`` is markup."""
    title = heading
    if message and ok:
        message = f'<p class="done" role="status">{escape(message)}</p>'
    elif message:
        title = f"Error: {message} - {heading}"
        message = (
            f'<p class="error" role="alert" id="{ERROR_ID}" tabindex="-1" autofocus>'
            f"{escape(message)}</p>"
        )
    return _template("page.html").substitute(
        title=escape(title), heading=escape(heading), message=message, content=content
    )


def ballot_picker(message: str = "", ballot: str = "") -> str:
    content = _template("ballot.html").substitute(ballot=escape(ballot))
    return page("Vote", content, message)


def instructions(method: str, seats: int) -> str:
    if method in RANKED:
        return (
            "Put the candidates in order of preference: your favourite first. "
            "You may stop whenever you like."
        )
    if method == "approval":
        return "Tick every candidate you approve of."
    if seats == 1:
        return "Choose one candidate."
    return f"Choose up to {seats} candidates."


def _ranked(candidates: list[str], selected: list[str]) -> str:
    rows = []
    for i in range(1, len(candidates) + 1):
        chosen = selected[i - 1] if i <= len(selected) else ""
        options = ['<option value="">(no preference)</option>'] + [
            f'<option value="{escape(c)}"{" selected" if c == chosen else ""}>{escape(c)}</option>'
            for c in candidates
        ]
        rows.append(
            f'    <label for="choice-{i}">{_ordinal(i)} preference</label>\n'
            f'    <select id="choice-{i}" name="choice">{"".join(options)}</select>'
        )
    return "\n".join(rows)


def _marks(candidates: list[str], selected: list[str], kind: str) -> str:
    rows = []
    for i, candidate in enumerate(candidates, start=1):
        checked = " checked" if candidate in selected else ""
        rows.append(
            f'    <div class="option"><input type="{kind}" id="choice-{i}" name="choice" '
            f'value="{escape(candidate)}"{checked}>'
            f'<label for="choice-{i}">{escape(candidate)}</label></div>'
        )
    return "\n".join(rows)


PHASE_WORDS = {
    "draft": "Voting in this ballot has not opened yet.",
    "paused": "Voting in this ballot is paused for now. Please come back later.",
    "closed": "Voting in this ballot has closed. The result is published once it is counted.",
    "counted": "Voting in this ballot has closed and the votes have been counted.",
}


def vote_form(
    ballot: dict[str, Any],
    message: str = "",
    selected: list[str] | None = None,
    *,
    code_invalid: bool = False,
    request_id: str = "",
) -> str:
    """The voting form for ``ballot`` (as ``registration.get_ballot`` returns it).

    A ballot that is not open gets a page saying so, and no form.
    ``code_invalid``: ``message`` is about the access code, whose field says so.
    ``request_id``: the form's id for its vote (a new one unless given), so a form
    sent twice (a double click, a resend after "not answering") is one vote.
    """
    phase = str(ballot.get("phase", "open"))
    if phase != "open":
        words = PHASE_WORDS.get(phase, "This ballot is not open for voting.")
        return page(str(ballot.get("title") or "Vote"), f"<p>{escape(words)}</p>")
    candidates = [str(c) for c in ballot.get("candidates", [])]
    method = str(ballot.get("method", ""))
    seats = int(ballot.get("seats", 1))
    chosen = selected or []
    if method in RANKED:
        choices = _ranked(candidates, chosen)
    else:
        kind = "radio" if method == "fptp" and seats == 1 else "checkbox"
        choices = _marks(candidates, chosen, kind)
    code_attrs = f' aria-invalid="true" aria-describedby="{ERROR_ID}"' if code_invalid else ""
    content = _template("vote.html").substitute(
        ballot_id=escape(str(ballot.get("ballot_id", ""))),
        instructions=escape(instructions(method, seats)),
        choices=choices,
        code_attrs=code_attrs,
        request_id=escape(request_id or secrets.token_urlsafe(18)),
    )
    return page(str(ballot.get("title") or "Vote"), content, message)


def receipt_page(ballot_id: int, receipt: str) -> str:
    content = _template("receipt.html").substitute(
        receipt=escape(receipt),
        check_url=escape(f"/api/ballots/{ballot_id}/receipts/{quote(receipt, safe='')}"),
    )
    return page("Your vote", content)


def html_response(status: int, text: str) -> Response:
    response = Response(text, status=status, mimetype="text/html")
    response.headers.update(SECURITY_HEADERS)
    response.headers["Content-Security-Policy"] = CSP
    return response


def html_error(answer: errors.Answer, request: Request | None = None) -> Response:
    """An error as the ballot-choosing page, the message in plain words."""
    return html_response(answer.status, ballot_picker(answer.body["error"]["message"]))
