"""The scrutineer's report as a PDF, rendered from the signed JSON alone (fpdf2).

Guarantees:

- Every figure printed comes from the report given; nothing is recounted or
  fetched, so the PDF says what the signed JSON says.
- Every page's footer carries the report's SHA-256 and the signing key's
  fingerprint; the last section prints the whole signature and how to check
  it (``rollcall verify --report``).
- Text is set in DejaVu (the copy matplotlib ships, a dependency of the
  tally), so candidates' and associations' names print as written.
- A count with many stages is printed in slices of ``STAGES_PER_TABLE``
  stage columns, so a table never runs off the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

STAGES_PER_TABLE = 6
_HEADINGS = FontFace(emphasis="BOLD", fill_color=(225, 230, 238))
_GREY = (90, 90, 90)


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


class _Report(FPDF):
    def __init__(self, report: dict[str, Any]) -> None:
        super().__init__(format="A4")
        self.report = report
        fonts = _font_dir()
        self.add_font("sans", fname=str(fonts / "DejaVuSans.ttf"))
        self.add_font("sans", style="B", fname=str(fonts / "DejaVuSans-Bold.ttf"))
        self.add_font("mono", fname=str(fonts / "DejaVuSansMono.ttf"))
        self.add_font("mono", style="B", fname=str(fonts / "DejaVuSansMono-Bold.ttf"))
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=22)
        self.set_title(f"Scrutineer's report: {report['ballot']['title']}")
        self.set_creator("Rollcall")

    def footer(self) -> None:
        self.set_y(-17)
        self.set_font("mono", size=6.5)
        self.set_text_color(*_GREY)
        self.cell(0, 3.5, f"report SHA-256 {self.report['sha256']}", new_x="LMARGIN", new_y="NEXT")
        self.cell(
            0,
            3.5,
            f"signed by ballot key {self.report['key']['fingerprint']}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.set_font("sans", size=7)
        self.cell(0, 3.5, f"page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    # -- building blocks -------------------------------------------------------------
    def heading(self, text: str, need: float = 45) -> None:
        """A section's heading, on a new page when less than ``need`` mm are left below it."""
        if self.get_y() > self.h - self.b_margin - need:
            self.add_page()
        self.ln(3)
        self.set_font("sans", "B", 12)
        self.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("sans", size=9)

    def line(self, text: str, *, size: float = 9, mono: bool = False) -> None:  # type: ignore[override]
        self.set_font("mono" if mono else "sans", size=size)
        self.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_font("sans", size=9)

    def grid(
        self,
        rows: Sequence[Sequence[Any]],
        widths: Sequence[float],
        align: Sequence[str] | None = None,
        size: float = 8.5,
    ) -> None:
        """A table: the first row is the headings; numbers right-aligned unless told."""
        self.set_font("sans", size=size)
        aligns = align or ["LEFT"] + ["RIGHT"] * (len(widths) - 1)
        with self.table(
            col_widths=tuple(widths),
            width=min(sum(widths), self.epw),
            align="LEFT",
            text_align=tuple(aligns),
            headings_style=_HEADINGS,
            line_height=size * 0.55,
            padding=(0.8, 1.5),
        ) as table:
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(_shown(value))
        self.ln(2)


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _when(iso: Any) -> str:
    """An ISO time as people read it: ``2026-11-10 10:00`` (its offset kept if not UTC);
    a list of times (a timetable's reminders) one after another."""
    if isinstance(iso, list):
        return " and ".join(map(_when, iso)) or "-"
    if not isinstance(iso, str) or not iso:
        return _shown(iso)
    shown = iso.replace("T", " ")[:16]
    offset = iso[19:].lstrip("0123456789.")
    return shown + ("" if offset in ("", "+00:00", "Z") else f" {offset}")


def _members(pdf: _Report, members: dict[str, Any]) -> None:
    pdf.heading("1. Members in the extracts")
    pdf.line(
        "Each extract's conservation equation: rows declared = accepted + rejected + duplicates."
    )
    rows: list[list[Any]] = [
        ["extract", "declared", "accepted", "rejected", "duplicates", "balances"]
    ]
    for e in members["extracts"]:
        rejected = e["rejected"]
        if e.get("corrected"):
            rejected = f"{rejected} ({e['corrected']} corrected)"
        rows.append(
            [
                e["extract_id"],
                e["declared"],
                e["accepted"],
                rejected,
                e["duplicates"],
                e["balanced"],
            ]
        )
    pdf.grid(rows, (62, 20, 20, 34, 22, 20))
    pdf.line("Every accepted member is in exactly one state of the ledger:")
    pdf.ln(1)
    states = [["state", "meaning", "members"]]
    for entry in members["states"]:
        states.append([entry["state"], entry["meaning"], entry["members"]])
    states.append(["in the ledger", "", members["in_ledger"]])
    pdf.grid(states, (32, 122, 24), ("LEFT", "LEFT", "RIGHT"))
    pdf.line(
        f"Accepted {members['accepted']} = in the ledger {members['in_ledger']}; "
        f"in flight {members['in_flight']}; unaccounted for {members['unaccounted']}; "
        f"not reached {members['not_reached']}. "
        f"The ballot {'balances' if members['balanced'] else 'DOES NOT BALANCE'}."
    )


def _associations(pdf: _Report, by_association: dict[str, dict[str, int]]) -> None:
    pdf.heading("2. Voters on the roll by association")
    rows: list[list[Any]] = [
        ["association", "members", "on the roll", "voted", "excluded", "not reached"]
    ]
    for association, n in by_association.items():
        rows.append(
            [
                association,
                n["members"],
                n["on_roll"],
                n["voted"],
                n["excluded"],
                n["not_reached"],
            ]
        )
    if len(rows) == 1:
        pdf.line("No member is in the ledger.")
        return
    totals = ["all"] + [sum(r[i] for r in rows[1:]) for i in range(1, 6)]
    rows.append(totals)
    pdf.grid(rows, (50, 24, 26, 22, 22, 26))


def _codes(pdf: _Report, codes: dict[str, Any], replacements: dict[str, Any]) -> None:
    pdf.heading("3. Access codes")
    rows: list[list[Any]] = [["channel", "codes"]]
    for channel, n in sorted(codes["by_channel"].items()):
        rows.append([{"email": "email", "post": "letter"}.get(channel, channel), n])
    rows.append(["all channels", codes["total"]])
    pdf.grid(rows, (50, 24))
    bounces = codes["hard_bounces"]
    pdf.line(
        f"Emails accepted {codes['emails_accepted']}; letters queued {codes['letters_queued']}; "
        f"sent by post after an email failed {codes['fallbacks_to_post']}; "
        f"hard bounces {bounces.get('at_sending', 0)} at sending and "
        f"{bounces.get('after_sending', 0)} after; failed {codes['failed']}; "
        f"still pending {codes['pending']}."
    )
    pdf.ln(1)
    asked = ", ".join(
        f"{source}: " + ", ".join(f"{outcome} {n}" for outcome, n in sorted(outcomes.items()))
        for source, outcomes in sorted(replacements["by_source"].items())
    )
    pdf.line(
        f"Replacement codes: {replacements['reissued']} reissued"
        + (f" (asked by {asked})" if asked else "")
        + f"; codes sent as replacements {codes['replacements_sent']}."
    )


def _reasons(pdf: _Report, title: str, part: dict[str, Any]) -> None:
    rows: list[list[Any]] = [[title, "papers"]]
    for reason, n in sorted(part["reasons"].items()):
        rows.append([reason, n])
    rows.append(["total", part["total"]])
    pdf.grid(rows, (150, 28))


def _per_contest(figure: int | dict[str, int]) -> int | str:
    """A figure, or on a ballot of several contests each contest's (``id: n``)."""
    if isinstance(figure, dict):
        return ", ".join(f"{k}: {v}" for k, v in figure.items())
    return figure


def _papers(pdf: _Report, papers: dict[str, Any], reminders: dict[str, Any]) -> None:
    pdf.heading("4. Papers and votes", need=70)
    postal = papers["postal"]
    rows = [
        ["papers", "number"],
        ["online votes", papers["online"]["votes"]],
        ["postal papers issued (letters with a code)", postal["issued"]],
        ["postal papers returned", postal["returned"]],
        ["postal papers entered", postal["entered"]],
        ["papers refused (who sent them)", papers["refused"]["total"]],
        ["papers spoilt (their marks)", papers["spoilt"]["total"]],
        ["papers in the ballot box", papers["cast"]],
        ["valid papers counted", _per_contest(papers["valid"])],
    ]
    pdf.grid(rows, (120, 28))
    if papers["refused"]["reasons"]:
        _reasons(pdf, "refused because", papers["refused"])
    if papers["spoilt"]["reasons"]:
        _reasons(pdf, "spoilt because", papers["spoilt"])
    pdf.heading("5. Reminders")
    total = ", ".join(f"{what} {n}" for what, n in sorted(reminders["total"].items()))
    pdf.line(f"Reminders sent: {reminders['sent']}" + (f" ({total})" if total else "") + ".")
    for when, outcomes in reminders["by_time"].items():
        shown = ", ".join(f"{what} {n}" for what, n in sorted(outcomes.items()))
        pdf.line(f"  {_when(when)}: {shown}")


def _cases(pdf: _Report, complaints: list[dict[str, Any]], pauses: list[dict[str, Any]]) -> None:
    pdf.heading("6. Complaints and pauses")
    if complaints:
        rows: list[list[Any]] = [["no.", "subject", "status", "outcome"]]
        for c in complaints:
            rows.append([c["complaint_id"], c["subject"], c["status"], c["outcome"] or ""])
        pdf.grid(rows, (12, 86, 26, 56), ("RIGHT", "LEFT", "LEFT", "LEFT"))
    else:
        pdf.line("No complaint was made.")
    if pauses:
        rows = [["paused at", "by", "why", "outcome"]]
        for p in pauses:
            outcome = p["outcome"]
            if p.get("approved_by"):
                outcome += f" {_when(p['ended_at'])}, approved by {p['approved_by']}"
            elif p.get("ended_at"):
                outcome += f" {_when(p['ended_at'])}"
            if p.get("refused_approvals"):
                outcome += f"; {p['refused_approvals']} approval(s) refused"
            rows.append([_when(p["paused_at"]), p["paused_by"], p["reason"], outcome])
        pdf.grid(rows, (32, 40, 46, 62), ("LEFT",) * 4)
    else:
        pdf.line("The ballot was never paused.")


def _heads(pdf: _Report, heads: dict[str, Any]) -> None:
    pdf.heading("7. Audit log heads", need=100)
    pdf.line(
        "Each service's hash-chained audit log, by its last entry. A later rewrite of a log "
        "shows as a head missing from it (rollcall audit verify --expect-head SERVICE=HASH)."
    )
    for title, part in (
        ("at the count", heads["at_count"]),
        ("at this report", heads["at_report"]),
    ):
        pdf.ln(1)
        if pdf.get_y() > pdf.h - pdf.b_margin - 6 * (len(part) + 2):
            pdf.add_page()
        pdf.set_font("sans", "B", 9)
        pdf.cell(0, 5, title, new_x="LMARGIN", new_y="NEXT")
        rows: list[list[Any]] = [["service", "entry", "hash"]]
        for service, head in sorted(part.items()):
            rows.append([service, head.get("seq", "-"), head.get("hash") or head.get("error", "-")])
        pdf.set_font("mono", size=7)
        with pdf.table(
            col_widths=(26, 14, 140),
            width=180,
            align="LEFT",
            text_align=("LEFT", "RIGHT", "LEFT"),
            headings_style=_HEADINGS,
            line_height=4,
            padding=(0.8, 1.5),
        ) as table:
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(_shown(value))
        pdf.set_font("sans", size=9)


def _stage_rows(contest: dict[str, Any], stages: Sequence[dict[str, Any]]) -> list[list[Any]]:
    rows: list[list[Any]] = [["candidate"] + [f"stage {s['stage']}" for s in stages]]
    gone = {w["candidate"] for w in contest.get("withdrawn", [])}
    for name in contest["candidates"]:
        if name in gone:
            rows.append([name] + ["withdrawn"] * len(stages))
            continue
        rows.append([name] + [s["totals"].get(name, "") for s in stages])
    rows.append(["non-transferable"] + [s.get("exhausted", 0) for s in stages])
    rows.append(["what happened"] + [_action(s) for s in stages])
    return rows


def _action(stage: dict[str, Any]) -> str:
    done = []
    if stage.get("elected"):
        done.append("elected " + ", ".join(stage["elected"]))
    if stage.get("excluded"):
        done.append("excluded " + ", ".join(stage["excluded"]))
    return "; ".join(done) or str(stage.get("action") or "")


def _contests(pdf: _Report, contests: list[dict[str, Any]], bulletin: dict[str, Any]) -> None:
    for contest in contests:
        pdf.heading(f"8. The count, contest {contest['contest']}: {contest['title']}", need=70)
        quota = f"; quota {_shown(contest['quota'])}" if contest.get("quota") is not None else ""
        pdf.line(
            f"Method {contest['method']}, {contest['seats']} seat(s); "
            f"{contest['valid']} valid and {contest['invalid']} invalid papers{quota}; "
            f"seed for lots {contest['seed']!r}."
        )
        for w in contest.get("withdrawn", []):
            pdf.line(
                f"{w['candidate']} withdrew after the papers went out ({_when(w['withdrawn_at'])}: "
                f"{w['reason']}) and was excluded before the first stage."
            )
        pdf.ln(1)
        stages = contest["stages"]
        for start in range(0, len(stages), STAGES_PER_TABLE):
            part = stages[start : start + STAGES_PER_TABLE]
            name_width = 180 - 24 * len(part)
            pdf.grid(
                _stage_rows(contest, part),
                (max(name_width, 36), *([24] * len(part))),
                size=7.5,
            )
        for tie in contest.get("ties", []):
            pdf.line(
                f"Tie at stage {tie['stage']} among {', '.join(tie['tied'])}: "
                f"{tie['chosen']} chosen by {tie['method']}."
            )
        pdf.heading(f"9. The result, contest {contest['contest']}: {contest['title']}")
        pdf.set_font("sans", "B", 11)
        winners = ", ".join(contest["winners"]) or "nobody"
        pdf.multi_cell(0, 6, f"Elected: {winners}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("sans", size=9)
        if contest.get("ron_elected"):
            pdf.line(contest.get("note", ""))
    pdf.ln(2)
    pdf.line(
        f"The bulletin board holds {bulletin['papers']} papers for an electorate of "
        f"{_shown(bulletin['electorate'])}; its SHA-256:"
    )
    pdf.line(bulletin["sha256"], size=7.5, mono=True)


def _signature(pdf: _Report, report: dict[str, Any]) -> None:
    pdf.heading("Signature")
    key = report["key"]
    pdf.line("This report is the JSON document of SHA-256")
    pdf.line(report["sha256"], size=7.5, mono=True)
    pdf.line(
        f"signed with the ballot's {key['algorithm']} key, published before the count, "
        "of fingerprint:"
    )
    pdf.line(key["fingerprint"], size=7.5, mono=True)
    pdf.line("Signature:")
    pdf.line(report["signature"], size=7.5, mono=True)
    pdf.ln(1)
    pdf.line(
        "Check it with: rollcall verify --report report-"
        f"{report['ballot']['ballot_id']}.json --key-fingerprint {key['fingerprint'][:12]}..."
    )


def render(report: dict[str, Any]) -> bytes:
    """The signed ``report`` (``services.tally.report``) as a PDF document."""
    pdf = _Report(report)
    pdf.add_page()
    ballot = report["ballot"]
    pdf.set_font("sans", "B", 16)
    pdf.multi_cell(0, 8, "Scrutineer's report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("sans", "B", 12)
    pdf.multi_cell(0, 6, ballot["title"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("sans", size=9)
    timetable = ballot.get("timetable") or {}
    times = ", ".join(
        f"{k.replace('_at', '').replace('_', ' ')} {_when(v)}" for k, v in sorted(timetable.items())
    )
    pdf.line(
        f"Ballot {ballot['ballot_id']}, {ballot['phase']}; report made "
        f"{_when(report['generated_at'])}" + (f"; timetable: {times}" if times else "")
    )
    _members(pdf, report["members"])
    _associations(pdf, report["roll_by_association"])
    _codes(pdf, report["codes"], report["replacements"])
    _papers(pdf, report["papers"], report["reminders"])
    _cases(pdf, report["complaints"], report["pauses"])
    _heads(pdf, report["audit_heads"])
    _contests(pdf, report["contests"], report["bulletin"])
    _signature(pdf, report)
    return bytes(pdf.output())
