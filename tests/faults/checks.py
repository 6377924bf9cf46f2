"""What every fault test checks after its ballot: nothing lost, nothing applied or sent twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from rollcall_cli.demo.output import CODE_RE, MSGID_RE
from tests import support


def scalar(url: str, sql: str) -> Any:
    """One value from a service's database, on a connection of its own."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as c:
            return c.execute(sa.text(sql)).scalar_one()
    finally:
        engine.dispose()


def assert_members_and_codes_intact(
    urls: dict[str, str], report: dict[str, Any], ledger: dict[str, int], mail_dir: Path
) -> None:
    """The import balances with every member in one state, no fact was applied twice, and
    there is one code per voter and one code email per emailed voter."""
    assert report["balanced"] and report["unaccounted"] == 0
    refused = scalar(
        urls["registration"], "select count(*) from audit_log where action = 'ledger.move_refused'"
    )
    assert refused == 0, "no fact may be applied twice or out of turn"
    codes = scalar(urls["codes"], "select count(*) from codes")
    holders = scalar(urls["codes"], "select count(distinct membership_number) from codes")
    assert codes == holders == ledger["code_emailed"] + ledger["letter_queued"]
    code_mails = Counter(
        found.group(2)
        for m in support.mails(mail_dir)
        if (found := MSGID_RE.search(str(m["Message-ID"])))
        and CODE_RE.search(m.get_body(preferencelist=("plain",)).get_content())
    )
    assert len(code_mails) == ledger["code_emailed"], "an email for every emailed voter"
    assert set(code_mails.values()) == {1}, "no voter emailed twice"
