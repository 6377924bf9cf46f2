"""The plain HTML voting page: choose the ballot, enter the code, pick, get a receipt.

No JavaScript: every step is a form posting back to the gateway. Pages are
built from the templates in ``gateway/templates`` with ``string.Template``;
every value put into a page is HTML-escaped here first, so a candidate named
``<script>`` is shown, never run.

How a voter picks follows the counting method: preferences in order for
``irv``, ``stv`` and ``meek``; one mark (or up to ``seats``) for ``fptp``;
any number for ``approval``. A ballot that is not open shows why, and no form.

A ballot with several contests shows each as its own fieldset, titled, with
its instructions, its candidates and their statements; its fields are named
``choice-<contest id>`` (``voting`` reads them back by that name). A candidate's
statement is shown as escaped plain text (line breaks kept) and its link
only if it is an http(s) address, opened as an ordinary link without the
page's referrer.

For people using a screen reader or a keyboard: an error is the first thing
on the page, announced (``role="alert"``), focused (``autofocus``, no
script), and named in the page's title; the access code field it is about is
marked ``aria-invalid`` and tied to it with ``aria-describedby``.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Collection
from html import escape
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from gateway import errors
from gateway.web import SECURITY_HEADERS
from rollcall import ordering

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


def _option(candidate: str, chosen: str, withdrawn: Collection[str]) -> str:
    if candidate in withdrawn:
        return f'<option value="" disabled>{escape(candidate)} (withdrawn)</option>'
    selected = " selected" if candidate == chosen else ""
    return f'<option value="{escape(candidate)}"{selected}>{escape(candidate)}</option>'


def _ranked(
    candidates: list[str],
    selected: list[str],
    prefix: str = "choice",
    withdrawn: Collection[str] = (),
) -> str:
    rows = []
    for i in range(1, len(candidates) - len(withdrawn) + 1):
        chosen = selected[i - 1] if i <= len(selected) else ""
        options = ['<option value="">(no preference)</option>'] + [
            _option(c, chosen, withdrawn) for c in candidates
        ]
        rows.append(
            f'    <label for="{prefix}-{i}">{_ordinal(i)} preference</label>\n'
            f'    <select id="{prefix}-{i}" name="{prefix}">{"".join(options)}</select>'
        )
    return "\n".join(rows)


def _marks(
    candidates: list[str],
    selected: list[str],
    kind: str,
    prefix: str = "choice",
    withdrawn: Collection[str] = (),
) -> str:
    rows = []
    for i, candidate in enumerate(candidates, start=1):
        if candidate in withdrawn:
            rows.append(
                f'    <div class="option withdrawn"><input type="{kind}" id="{prefix}-{i}" '
                f'disabled><label for="{prefix}-{i}">{escape(candidate)} (withdrawn)</label></div>'
            )
            continue
        checked = " checked" if candidate in selected else ""
        rows.append(
            f'    <div class="option"><input type="{kind}" id="{prefix}-{i}" name="{prefix}" '
            f'value="{escape(candidate)}"{checked}>'
            f'<label for="{prefix}-{i}">{escape(candidate)}</label></div>'
        )
    return "\n".join(rows)


def _statements(candidates: list[str], statements: Any) -> str:
    """Each candidate's statement and link, escaped; nothing if none has one."""
    if not isinstance(statements, dict):
        return ""
    items = []
    for name in candidates:
        said = statements.get(name)
        if not isinstance(said, dict):
            continue
        text = str(said.get("text") or "")
        link = str(said.get("link") or "")
        parts = [escape(text)] if text else []
        if link.startswith(("http://", "https://")):
            parts.append(
                f'<a href="{escape(link)}" rel="noopener noreferrer nofollow">{escape(link)}</a>'
            )
        if parts:
            items.append(f"      <dt>{escape(name)}</dt><dd>{'<br>'.join(parts)}</dd>")
    if not items:
        return ""
    return (
        '    <details class="statements" open><summary>What the candidates say</summary><dl>\n'
        + "\n".join(items)
        + "\n    </dl></details>"
    )


def _fieldset(
    contest: dict[str, Any],
    selected: list[str],
    prefix: str,
    legend: str,
    withdrawn: Collection[str] = (),
) -> str:
    """One contest's fieldset: its legend, instructions, choices and statements; a candidate
    who has withdrawn is shown as such and cannot be chosen."""
    # A random order is a fresh shuffle for this view only, never stored, never logged.
    candidates = ordering.for_page(
        [str(c) for c in contest.get("candidates", [])], contest.get("order")
    )
    withdrawn = [c for c in candidates if c in withdrawn]
    method = str(contest.get("method", ""))
    seats = int(contest.get("seats", 1))
    if method in RANKED:
        choices = _ranked(candidates, selected, prefix, withdrawn)
    else:
        kind = "radio" if method == "fptp" and seats == 1 else "checkbox"
        choices = _marks(candidates, selected, kind, prefix, withdrawn)
    how = escape(instructions(method, seats))
    own = escape(str(contest.get("instructions") or ""))
    lines = ["  <fieldset>", f"    <legend>{escape(legend) if legend else how}</legend>"]
    if legend or own:
        # A contest's own instructions replace the method's; a single contest keeps its
        # legend as it always was and adds them below.
        lines.append(f'    <p class="instructions">{own or how}</p>')
    if withdrawn:
        lines.append(
            f'    <p class="withdrawn">Withdrawn after the papers went out, so they cannot be '
            f"chosen: {escape(', '.join(withdrawn))}.</p>"
        )
    lines.append(choices)
    statements = _statements(candidates, contest.get("statements"))
    if statements:
        lines.append(statements)
    lines.append("  </fieldset>\n")
    return "\n".join(lines)


PHASE_WORDS = {
    "draft": "Voting in this ballot has not opened yet.",
    "paused": "Voting in this ballot is paused for now. Please come back later.",
    "closed": "Voting in this ballot has closed. The result is published once it is counted.",
    "counted": "Voting in this ballot has closed and the votes have been counted.",
}


#: The banner of a test ballot's page: first on the page, before anything else.
TEST_BANNER = (
    '<p class="test-ballot" role="note"><strong>TEST BALLOT</strong>: this ballot is a test. '
    "A vote cast in it is not a real vote and is never counted with real ballots.</p>\n"
)
#: The banner of a preview: what the page will look like, with the form switched off.
PREVIEW_BANNER = (
    '<p class="preview" role="note"><strong>PREVIEW</strong>: this is how the voting page will '
    "look once the ballot opens. The form is switched off: nothing can be sent from it.</p>\n"
)
_FORM_OPEN = '<form method="post" action="/vote" autocomplete="off">'


def _marked(ballot: dict[str, Any], content: str) -> str:
    """``content`` with the TEST BALLOT banner first if the ballot is a test."""
    return marked(bool(ballot.get("test")), content)


def marked(test: bool, content: str) -> str:
    """``content`` with the TEST BALLOT banner first if ``test`` (any page of a test ballot)."""
    return (TEST_BANNER if test else "") + content


def vote_form(
    ballot: dict[str, Any],
    message: str = "",
    selected: list[str] | dict[str, list[str]] | None = None,
    *,
    code_invalid: bool = False,
    request_id: str = "",
    withdrawn: dict[str, list[str]] | None = None,
) -> str:
    """The voting form for ``ballot`` (as ``registration.get_ballot`` returns it).

    A ballot that is not open gets a page saying so, and no form.
    ``code_invalid``: ``message`` is about the access code, whose field says so.
    ``request_id``: the form's id for its vote (a new one unless given), so a form
    sent twice (a double click, a resend after "not answering") is one vote.
    ``withdrawn``: the candidates withdrawn from each contest (``main`` on a ballot of one),
    shown as withdrawn and not selectable.
    A test ballot's page says TEST BALLOT first.
    """
    phase = str(ballot.get("phase", "open"))
    if phase != "open":
        words = PHASE_WORDS.get(phase, "This ballot is not open for voting.")
        return page(str(ballot.get("title") or "Vote"), _marked(ballot, f"<p>{escape(words)}</p>"))
    return page(
        str(ballot.get("title") or "Vote"),
        _marked(ballot, _form(ballot, selected, code_invalid, request_id, withdrawn or {})),
        message,
    )


def preview(ballot: dict[str, Any]) -> str:
    """The voting page of a ballot as it will look once open, under a PREVIEW banner, with every
    field and the button disabled (one ``<fieldset disabled>`` around the form's contents)."""
    form = _form(ballot, None, False, "", {})
    form = form.replace(_FORM_OPEN, _FORM_OPEN + "<fieldset disabled>", 1).replace(
        "</form>", "</fieldset></form>", 1
    )
    return page(str(ballot.get("title") or "Vote"), PREVIEW_BANNER + _marked(ballot, form))


def _form(
    ballot: dict[str, Any],
    selected: list[str] | dict[str, list[str]] | None,
    code_invalid: bool,
    request_id: str,
    gone: dict[str, list[str]],
) -> str:
    """The form of an open ballot: the code field and each contest's fieldset (``gone``: the
    candidates withdrawn from each contest)."""
    if ballot.get("contests"):
        picked = selected if isinstance(selected, dict) else {}
        fieldsets = (
            f"  <p>This ballot has {len(ballot['contests'])} contests. You may leave a contest "
            "blank: your vote still counts in the others.</p>\n"
        ) + "".join(
            _fieldset(
                c,
                picked.get(str(c["id"]), []),
                f"choice-{c['id']}",
                str(c["title"]),
                gone.get(str(c["id"]), []),
            )
            for c in ballot["contests"]
        )
    else:
        fieldsets = _fieldset(
            ballot,
            selected if isinstance(selected, list) else [],
            "choice",
            "",
            gone.get("main", []),
        )
    code_attrs = f' aria-invalid="true" aria-describedby="{ERROR_ID}"' if code_invalid else ""
    return _template("vote.html").substitute(
        ballot_id=escape(str(ballot.get("ballot_id", ""))),
        fieldsets=fieldsets,
        code_attrs=code_attrs,
        request_id=escape(request_id or secrets.token_urlsafe(18)),
    )


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


def refused_form(failed: errors.Answer, form: Callable[[str], str]) -> Response:
    """A form sent back refused: ``form(words)`` again with what was wrong in plain words
    (each field's message when the schema refused fields), the answer's status and headers."""
    words = failed.body["error"]["message"]
    fields = failed.body["error"].get("fields")
    if fields:
        words = " ".join(str(m) for ms in fields.values() for m in ms)
    response = html_response(failed.status, form(words))
    response.headers.update(failed.headers)
    return response


def html_error(answer: errors.Answer, request: Request | None = None) -> Response:
    """An error as the ballot-choosing page, the message in plain words."""
    return html_response(answer.status, ballot_picker(answer.body["error"]["message"]))
