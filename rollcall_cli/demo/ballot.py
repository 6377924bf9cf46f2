"""The demo ballot itself, once the services run (see ``rollcall_cli.demo``)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import eventlet
import requests

from rollcall_cli.ballots import import_extract
from rollcall_cli.demo import delivery, http, paper, replacements
from rollcall_cli.demo.mailbox import (
    code_letters_with_statements,
    notices_reached,
    notices_sent,
    read_mailbox,
    read_postal,
)
from rollcall_cli.demo.output import say
from rollcall_cli.demo.reach import Officers, correct_rows, fixable_exclusions
from services.tally import bulletin, certificate


def _proxy(run):  # type: ignore[no-untyped-def]
    from nameko.standalone.rpc import ClusterRpcProxy

    from rollcall.runtime import nameko_config

    return ClusterRpcProxy(nameko_config(run.settings), timeout=120)


def _wait(what: str, probe, timeout: float = 300.0, every: float = 0.5):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(every)


def _settled(rpc, ballot_id: int) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    report = rpc.registration.reconcile(ballot_id)
    return report if report["in_flight"] == 0 else None


def run_ballot(
    run, report: dict[str, Any], extract: Path, area: list[str], extra: dict[str, Any]
) -> bool:  # type: ignore[no-untyped-def]
    checks = run.checks
    # Officers, voters and tellers go round the gateway replicas (``run.gateway()``).
    with _proxy(run) as rpc:
        ballot = rpc.registration.create_ballot(
            paper.definition(run, area, replacements.timetable(datetime.now(UTC))),
            actor="demo",
        )
        ballot_id = ballot["ballot_id"]
        say(f"ballot {ballot_id} created ({paper.describe(ballot)})")
        import_started = time.monotonic()
        summary = import_extract(
            rpc, extract, ballot_id, source="demo", chunk_size=run.settings.chunk_size
        )
        report["extract"] = {
            k: summary[k] for k in ("declared", "accepted", "rejected", "duplicates")
        }
        checks["extract balances (declared = accepted + rejected + duplicates)"] = bool(
            summary["balanced"]
        )
        say(f"extract: {report['extract']}")

        say("waiting for matching, codes and mail to settle")
        settled = _wait("the ledger to settle", lambda: _settled(rpc, ballot_id), timeout=1800)
        elapsed = time.monotonic() - import_started
        report["pipeline"] = {
            "seconds_import_to_settled": round(elapsed, 2),
            "accepted_members": summary["accepted"],
            "members_per_second": round(summary["accepted"] / elapsed, 1),
        }
        say(f"ledger settled: { {k: v for k, v in settled['ledger'].items() if v} }")

        operator = rpc.gateway.add_user("demo operator", "operator", None, actor="demo")["token"]
        teller = rpc.gateway.add_user(
            "demo teller", "teller", None, actor="demo", ballot_id=ballot_id
        )["token"]
        officers = Officers(rpc)
        corrections = extra["corrections"]
        associations = {m["association"] for m in rpc.registration.list_members(ballot_id)}
        fixed = correct_rows(rpc, officers, run.gateway(), ballot_id, corrections, associations)
        report["corrections"] = fixed
        checks["officers corrected every rejected row the demo damaged, over HTTP"] = (
            fixed["corrected"] == sorted(corrections) and not fixed["refused"]
        )
        settled = _wait("corrected members to settle", lambda: _settled(rpc, ballot_id), 300)
        reviewed = resolve_reviews(rpc, officers, run.gateway(), ballot_id, extra["truth"])
        report["reviews_resolved"] = reviewed
        if reviewed:
            settled = _wait(
                "reviewed members to settle", lambda: _settled(rpc, ballot_id), timeout=300
            )
        told = fixable_exclusions(rpc.registration.list_members(ballot_id))
        mail_dir, postal_dir = run.dir / "mailbox", run.settings.postal_path()
        try:
            (sent,) = _wait(
                "every exclusion notice",
                lambda: notices_reached(mail_dir, postal_dir, ballot_id, told),
                timeout=120,
            )
        except TimeoutError:  # the check below fails and names what is missing
            sent = notices_sent(mail_dir, postal_dir, ballot_id)
        report["exclusion_notices"] = {
            "excluded_fixable": len(told),
            "sent": sum(sent.values()),
            "not_told": sorted(told - {n for n, _ in sent})[:20],
        }
        checks["every member excluded for a fixable reason was told, once"] = (
            {n for n, _ in sent} == told
            and all(v == 1 for v in sent.values())
            and len({n for n, _ in sent}) == len(sent)
        )

        mailed = _wait(
            "the mail to settle (retries, bounces, letters)",
            lambda: delivery.mail_settled(rpc, ballot_id, run.journal),
            timeout=600,
        )
        settled = rpc.registration.reconcile(ballot_id)
        say(
            f"mail settled: {mailed['emails_accepted']} emails taken, "
            f"{mailed['transient_retries']} retries, {mailed['hard_bounces']} hard bounces, "
            f"{mailed['fallbacks_to_post']} letters instead"
        )
        doors = delivery.probe_bounce_doors(run, rpc, ballot_id)
        report["bounce_doors"] = doors
        checks[
            "garbage, forged and unknown bounce reports are kept for review; unsigned refused"
        ] = doors == {
            "unsigned_webhook_status": 401,
            "signed_webhook_status": 200,
            "kept_for_review": 3,
        }
        rpc.registration.change_phase(
            ballot_id, "open", actor="demo", reason="demo opens the ballot"
        )
        say("ballot open")
        emailed = read_mailbox(run.dir / "mailbox")
        posted = read_postal(run.settings.postal_path())
        say(f"{len(emailed)} codes found in the mailbox, {len(posted)} in postal batches")
        # The reminder time has come by now; the mailer serves it on its next run after the
        # open. A small demo votes in seconds: let the run decide for every voter first, or
        # it finds everyone voted (or the ballot closed) and no reminder ever goes.
        _wait(
            "the reminder run to decide for every voter",
            lambda: (
                sum(rpc.mailer.get_reminders(ballot_id)["total"].values())
                >= len(emailed) + len(posted)
                or None
            ),
            timeout=300,
        )
        checks["one email per emailed voter and one letter per posted voter"] = (
            len(emailed) == settled["ledger"]["code_emailed"]
            and len(posted) == settled["ledger"]["letter_queued"]
        )

        must = set(fixed["corrected"])
        # A few voters lose their code and ask for another: they vote with the new one.
        askers = replacements.choose(run, emailed, must)
        answers = replacements.ask(run.gateway(), ballot_id, askers, run.dir / "mailbox")
        voting = vote_online(
            run,
            run.gateway(),
            ballot_id,
            {n: c for n, c in emailed.items() if n not in askers},
            ballot,
            must,
        )
        replaced = replacements.replace_codes(
            run.gateway(),
            ballot_id,
            emailed,
            askers,
            answers,
            run.dir / "mailbox",
            paper.first_choice(ballot),
        )
        report["replacements"] = replaced
        checks[
            "voters who asked for a replacement got one and voted with it; old codes refused"
        ] = (
            replaced["asked"]
            == replaced["new_codes"]
            == replaced["old_codes_refused"]
            == replaced["voted_with_new_code"]
            > 0
        )
        voting["voted"] |= set(askers)
        postal = vote_by_post(
            run, run.gateway(), teller, ballot_id, posted, voting["voted"], ballot, must
        )
        voting.update(postal)
        voting.pop("voted")
        voting["accepted_online"] += replaced["voted_with_new_code"]
        voting["votes_submitted"] = voting["accepted_online"] + voting["accepted_postal"]
        checks["every genuine first vote was accepted"] = voting["refused_first_votes"] == 0
        checks["a second vote was always refused"] = voting["second_votes_accepted"] == 0
        checks["a wrong code was always refused"] = voting["bad_codes_accepted"] == 0

        _wait(
            "every mark to reach the ledger",
            lambda: (
                rpc.registration.reconcile(ballot_id)["ledger"]["voted"]
                >= voting["votes_submitted"]
            ),
            timeout=300,
        )
        _wait(
            "the mail to settle again (reminders, replacement codes)",
            lambda: delivery.mail_settled(rpc, ballot_id, run.journal),
            timeout=600,
        )
        reminded = replacements.reminders_emailed(run.dir / "mailbox", ballot_id)
        reminded["mailer"] = rpc.mailer.get_reminders(ballot_id)["total"]
        report["reminders"] = reminded
        recorded = reminded["mailer"].get("sent", 0)
        mailer_kills = sum(1 for k in getattr(run, "kills", []) if k["service"] == "mailer")
        if mailer_kills:
            # A mailer killed while the mail server had a reminder, before it answered, sends it
            # again on restart (the same Message-ID) or, if the voter has voted since, records
            # that it may have gone: at most one email in doubt per kill (docs/operations.md).
            reminded["emailed_not_recorded"] = reminded["voters_and_times"] - recorded
            reminded["mailer_kills"] = mailer_kills
            checks[
                "a reminder went to voters who had not voted; after a mailer was killed, none "
                "recorded that was not emailed, and at most one in doubt per kill"
            ] = (
                0 < recorded <= reminded["voters_and_times"]
                and reminded["emailed_not_recorded"] <= mailer_kills
                and reminded["reminded_twice_count"] <= mailer_kills
            )
        else:
            checks["a reminder went to voters who had not voted, one per voter and time"] = (
                reminded["voters_and_times"] > 0
                and not reminded["reminded_twice"]
                and reminded["voters_and_times"] == recorded
            )
        # The timetable closes hours from now: the demo closes early, and says why.
        run.calm()  # --chaos stops here: the count and the checks run undisturbed
        rpc.registration.change_phase(
            ballot_id,
            "closed",
            actor="demo",
            reason="demo closes the ballot early: every voter who will vote has",
            force=True,
        )
        say("ballot closed; counting")
        result = _wait("the result", lambda: _result(rpc, ballot_id), timeout=300)
        marked = (
            http.session()
            .get(
                f"{run.gateway()}/api/ballots/{ballot_id}/marked-register",
                headers={"Authorization": f"Bearer {operator}"},
                timeout=30,
            )
            .json()
        )
        started = time.monotonic()
        final = rpc.registration.reconcile(ballot_id)
        report["reconcile_seconds"] = round(time.monotonic() - started, 3)
        members = rpc.registration.list_members(ballot_id)
        states = {m["membership_number"]: m["state"] for m in members}
        summary = rpc.mailer.get_delivery_summary(ballot_id)
        bounced = set(rpc.mailer.list_bounced_members(ballot_id))
    reached = delivery.reach(members, bounced)
    report["reach"] = {k: len(v) for k, v in reached.items()}
    report["reach"]["unexplained_members"] = reached["unexplained"][:20]
    checks[
        "every eligible member voted, holds a delivered code, or is shown not reached with a reason"
    ] = not reached["unexplained"]
    report["delivery"] = delivery.section(summary, members, run.journal, run.fault_rate)
    sink = report["delivery"]["sink"]
    checks["every bounce the sink sent was received and applied"] = summary["bounce_reports"].get(
        "applied", 0
    ) + summary["bounce_reports"].get("no_effect", 0) == sink.get("dsn_sent", 0) and not sink.get(
        "dsn_failed"
    )
    if run.fault_rate:
        checks["the sink's outage, deferrals, refusals and bounces were all met"] = bool(
            sink.get("outage")
            and summary["transient_retries"]
            and summary["hard_bounces"]["at_sending"]
            and summary["hard_bounces"]["after_sending"]
            and summary["fallbacks_to_post"]
        )
    checks["every corrected member went on to match, get a code and vote"] = bool(must) and all(
        states.get(n) == "voted" for n in must
    )
    voting["ballots_cast"] = result["turnout"]["cast"]
    voting["marked_register"] = len(
        marked["marked_register"] if isinstance(marked, dict) else marked
    )
    report["voting"] = voting
    report["ledger"] = final["ledger"]
    report["members_admitted"] = final["accepted"]
    report["extract"]["corrected"] = sum(e.get("corrected", 0) for e in final["extracts"])
    report["unaccounted"] = final["unaccounted"]
    report["result"] = {
        "winners": paper.winners(result),
        **({"contests": result["contests"]} if "contests" in result else {}),
        **({"counts": result["counts"]} if "counts" in result else {}),
        "turnout": result["turnout"],
    }
    report["bulletin"] = result["bulletin_path"]
    board = (
        http.session().get(f"{run.gateway()}/api/ballots/{ballot_id}/bulletin", timeout=30).json()
    )
    problems = bulletin.check(board)
    report["verify"] = {"ok": not problems, "problems": problems}
    checks["nobody is unaccounted for"] = final["unaccounted"] == 0 and final["balanced"]
    checks["every submitted vote is cast and marked"] = (
        voting["votes_submitted"] == voting["ballots_cast"] == voting["marked_register"]
    )
    checks["the marked register and the ledger agree on who voted"] = (
        final["ledger"]["voted"] == voting["marked_register"]
    )
    checks["the bulletin board verifies"] = not problems
    if "contests" in board:
        key = http.session().get(f"{run.gateway()}/api/ballots/{ballot_id}/key", timeout=30).json()
        signed = certificate.check(board, key["fingerprint"])
        report["verify"]["certificate_problems"] = signed
        checks["every contest is recounted and certified under the published key"] = (
            not signed
            and [c["id"] for c in board["contests"]]
            == [c["id"] for c in board["certificate"]["contests"]]
            == [c["id"] for c in ballot["contests"]]
        )
        checks["the voting page showed each contest with its instructions and statements"] = (
            run.page_ok
        )
        printed, with_statements = code_letters_with_statements(run.settings.postal_path())
        report["code_letters_with_statements"] = [printed, with_statements]
        checks["every code letter posted was followed by the candidates' statements"] = (
            printed == with_statements > 0
        )
    heads = board.get("audit_heads", {})
    command = [sys.executable, "-m", "rollcall_cli.main", "audit", "verify"]
    for service, head in heads.items():
        command += ["--expect-head", f"{service}={head['hash']}"]
    started = time.monotonic()
    audited = subprocess.run(command, env=run.env, capture_output=True, text=True)
    report["audit_verify"] = {
        "seconds": round(time.monotonic() - started, 2),
        "exit": audited.returncode,
        "output": audited.stdout.strip().splitlines()[-8:],
    }
    checks["every audit chain verifies and holds the heads on the board"] = (
        audited.returncode == 0 and bool(heads)
    )
    report["http_retries"] = dict(http.RETRIED)
    if http.RETRIED:
        say(f"HTTP requests tried again after: {dict(http.RETRIED)}")
    report["scrutineers_report"] = scrutineers_report(run, ballot_id, board["key"]["fingerprint"])
    checks["the scrutineer's report is written and verifies under the ballot's key"] = (
        report["scrutineers_report"]["exit"] == report["scrutineers_report"]["verify_exit"] == 0
    )
    say(f"result: {', '.join(report['result']['winners'])}; turnout {result['turnout']}")
    return True


def scrutineers_report(run, ballot_id: int, fingerprint: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """``rollcall report`` for the demo ballot, then ``rollcall verify --report`` on it."""
    cli = [sys.executable, "-m", "rollcall_cli.main"]
    started = time.monotonic()
    made = subprocess.run(
        [*cli, "report", "--ballot", str(ballot_id), "--out", str(run.dir)],
        env=run.env,
        capture_output=True,
        text=True,
    )
    seconds = round(time.monotonic() - started, 2)
    path = run.dir / f"report-{ballot_id}.json"
    checked = subprocess.run(
        [*cli, "verify", "--report", str(path), "--key-fingerprint", fingerprint],
        env=run.env,
        capture_output=True,
        text=True,
    )
    say(f"scrutineer's report: {path} ({seconds}s); verify: {checked.stdout.strip()}")
    return {
        "json": str(path),
        "pdf": str(path.with_suffix(".pdf")),
        "seconds": seconds,
        "exit": made.returncode,
        "errors": made.stderr.strip().splitlines()[-3:],
        "verify_exit": checked.returncode,
        "verify": (checked.stdout + checked.stderr).strip().splitlines()[-3:],
    }


def _result(rpc, ballot_id: int):  # type: ignore[no-untyped-def]
    from nameko.exceptions import RemoteError

    try:
        return rpc.tally.get_result(ballot_id)
    except RemoteError as exc:
        if exc.exc_type == "ResultNotReady":
            return None
        raise


def resolve_reviews(
    rpc, officers: Officers, base: str, ballot_id: int, truth: dict[str, Any]
) -> int:  # type: ignore[no-untyped-def]
    """An officer per association works through its review queue over HTTP."""
    reviews = rpc.matching.list_reviews(ballot_id, None)
    client = http.session()
    done = 0
    for review in reviews:
        assoc = review["association"]
        expected = truth.get(review["membership_number"])
        elector = expected[0] if isinstance(expected, (list, tuple)) else None
        ids = {c.get("elector_id") for c in review["candidates"]}
        choice = elector if elector in ids else None
        response = client.post(
            f"{base}/api/reviews/{review['review_id']}/decision",
            json={
                "elector_id": choice,
                "reason": "checked against the register by the demo officer",
            },
            headers={"Authorization": f"Bearer {officers.token(assoc)}"},
            timeout=30,
        )
        if response.status_code < 300 or _decided_before(rpc, ballot_id, review, response):
            done += 1
        else:
            say(
                f"review {review['review_id']} refused: {response.status_code} {response.text[:200]}"
            )
    say(f"{done} of {len(reviews)} reviews decided by officers")
    return done


def _decided_before(
    rpc, ballot_id: int, review: dict[str, Any], response: requests.Response
) -> bool:  # type: ignore[no-untyped-def]
    """Whether a decision refused as "already decided" is the demo's own, sent once before
    (the matching service died after deciding and before answering, and the call came
    again): only the demo's officers decide, so a review that is no longer open is."""
    if response.status_code != 409 or "review_closed" not in response.text:
        return False
    still_open = rpc.matching.list_reviews(ballot_id, None)
    return review["review_id"] not in {r["review_id"] for r in still_open}


def _page_shows_the_paper(session: requests.Session, base: str, ballot: dict[str, Any]) -> bool:
    """The voting page shows each contest as its fieldset, with instructions and statements."""
    page = session.get(f"{base}/vote", params={"ballot": ballot["ballot_id"]}, timeout=30).text
    from html import escape

    return page.count("<fieldset>") == len(ballot["contests"]) and all(
        escape(c["title"]) in page
        and escape(c.get("instructions", "")) in page
        and all(escape(s["text"]) in page for s in (c.get("statements") or {}).values())
        for c in ballot["contests"]
    )


def vote_online(
    run, base: str, ballot_id: int, codes: dict[str, str], ballot: dict[str, Any], must: set[str]
) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Voters with emailed codes vote over HTTP (``must``: these always do)."""
    rng = run.rng
    voters = [n for n in sorted(codes) if rng.random() < run.turnout or n in must]
    plan = [(n, codes[n], paper.choose(rng, run, ballot)) for n in voters]
    url = f"{base}/api/ballots/{ballot_id}/votes"
    session = http.session()
    if "contests" in ballot:
        run.page_ok = _page_shows_the_paper(session, base, ballot)
    # The first vote can race the ballot.phase_changed event reaching codes and tally.
    if plan:
        n, code, choices = plan[0]
        first = http.vote_body(code, choices)
        _wait(
            "the ballot to open everywhere",
            lambda: session.post(url, json=first, timeout=30).status_code != 409 or None,
            timeout=60,
        )
    results: dict[str, int] = {}

    def cast(item):  # type: ignore[no-untyped-def]
        n, code, choices = item
        at = f"{run.gateway()}/api/ballots/{ballot_id}/votes"  # each vote to the next gateway
        r = session.post(at, json=http.vote_body(code, choices), timeout=60)
        return n, r.status_code

    pool = eventlet.GreenPool(16)
    for n, status in pool.imap(cast, plan[1:]):
        results[n] = status
    accepted = sum(1 for s in results.values() if s == 201) + (1 if plan else 0)
    refused_first = [n for n, s in results.items() if s != 201]
    for n in refused_first[:20]:
        say(f"first vote of {n} answered {results[n]}")
    again = plan[: min(10, len(plan))]
    second_ok = sum(1 for _, s in pool.imap(cast, again) if s == 201)
    bad_ok = 0
    for i in range(5):
        r = session.post(
            url,
            json=http.vote_body(f"ABCDEF-GHJKMN-PQRS{i}", paper.first_choice(ballot)),
            timeout=30,
        )
        bad_ok += r.status_code == 201
    say(
        f"online: {accepted} votes accepted; {len(refused_first)} first votes refused; second votes accepted: {second_ok}"
    )
    return {
        "accepted_online": accepted,
        "refused_first_votes": len(refused_first),
        "second_votes_accepted": second_ok,
        "bad_codes_accepted": bad_ok,
        "voted": set(voters),
    }


def vote_by_post(
    run,
    base: str,
    teller: str,
    ballot_id: int,
    codes: dict[str, str],
    voted_online: set[str],
    ballot: dict[str, Any],
    must: set[str],
) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A teller enters the postal papers that came back (``must``: these always do)."""
    rng = run.rng
    returned = [n for n in sorted(codes) if rng.random() < run.turnout or n in must]
    # On a ballot with contests a voter's papers, one per contest, are entered together.
    papers = [{"membership_number": n, **paper.choose(rng, run, ballot)} for n in returned]
    # Two papers that must be refused: an online voter's, and a non-member's.
    marks = paper.first_choice(ballot)
    sneaky = [{"membership_number": n, **marks} for n in sorted(voted_online)[:1]]
    sneaky.append({"membership_number": "NOT-A-MEMBER", **marks})
    batches = [papers[i : i + 50] for i in range(0, len(papers), 50)] or [[]]
    batches[-1] = batches[-1] + sneaky
    headers = {"Authorization": f"Bearer {teller}"}
    client = http.session()
    entered = refused = 0
    for i, batch in enumerate(batches):
        body = {"batch_id": f"demo-{run.seed}-{i}", "papers": batch}
        r = client.post(
            f"{base}/api/ballots/{ballot_id}/postal-batches", json=body, headers=headers, timeout=60
        )
        r.raise_for_status()
        data = r.json()
        entered += data["entered"]
        refused += len(data["refused"])
    again = client.post(
        f"{base}/api/ballots/{ballot_id}/postal-batches",
        json={"batch_id": f"demo-{run.seed}-0", "papers": batches[0]},
        headers=headers,
        timeout=60,
    ).json()
    run.checks["a postal batch entered twice counts once"] = bool(again.get("duplicate_batch"))
    run.checks["papers from online voters and non-members are refused"] = refused == len(sneaky)
    say(f"postal: {entered} papers entered, {refused} refused")
    return {"accepted_postal": entered, "refused_postal": refused}
