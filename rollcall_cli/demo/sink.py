"""The demo's SMTP sink: a Maildir mailbox that can misbehave like a real mail system.

Run as ``python -m rollcall_cli.demo.sink --listen HOST:PORT --mailbox DIR``.
With ``--fault-rate R`` (0 to 1) each recipient address has a fate drawn from
``--seed`` and the address, so a run is the same every time: a third of the
share ``R`` is deferred with a 451 on its first two tries and then taken, a
third is refused with a 550 every time, and a third is taken and then
bounced: not delivered, and a delivery-status notification (RFC 3464) goes
to the message's envelope sender at ``--bounce-to`` a moment later, as a
remote mail system would (``HOST:PORT``, or ``@FILE``: the ``bounce`` port in a
``rollcall run --ports-file`` JSON, read again at each try, so a mailer that
restarts on another port is still found). The rest are delivered to the mailbox. With
``--outage S`` the sink stops listening for S seconds once the first message
arrives (connections are refused), then listens again. ``--listen HOST:0``
binds a free port, written to ``--port-file`` once it listens.

Everything it does is appended to ``--journal`` as JSON lines (``event``:
``deferred``, ``refused``, ``delivered``, ``bounced``, ``dsn_sent``,
``dsn_failed``, ``outage``, ``listening``), so the demo knows how many
bounces the mailer must have received.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import smtplib
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP

DEFER, REFUSE, BOUNCE, DELIVER = "defer", "refuse", "bounce", "deliver"
#: How many tries a deferred address is answered 451 before it is taken.
DEFERRED_TRIES = 2


def fate(seed: int, address: str, rate: float) -> str:
    """What happens to mail for ``address``: the same for the same seed, address and rate."""
    digest = hashlib.sha256(f"{seed}:{address.lower()}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    if u < rate / 3:
        return DEFER
    if u < 2 * rate / 3:
        return REFUSE
    if u < rate:
        return BOUNCE
    return DELIVER


def compose_dsn(
    original: bytes,
    *,
    recipient: str,
    return_path: str,
    reporting_mta: str = "mx.demo.invalid",
    status: str = "5.1.1",
    diagnostic: str = "550 5.1.1 mailbox unavailable: no such user",
    action: str = "failed",
) -> bytes:
    """A delivery-status notification for ``original`` (its headers returned), to ``return_path``."""
    head = original.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("utf-8", "replace")
    boundary = f"dsn-{hashlib.sha256(original).hexdigest()[:16]}"
    lines = [
        f"From: Mail Delivery System <MAILER-DAEMON@{reporting_mta}>",
        f"To: {return_path}",
        "Subject: Undelivered Mail Returned to Sender",
        f"Date: {formatdate(localtime=False)}",
        f"Message-ID: {make_msgid(domain=reporting_mta)}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        f"Your message to <{recipient}> could not be delivered.",
        "",
        f"--{boundary}",
        "Content-Type: message/delivery-status",
        "",
        f"Reporting-MTA: dns; {reporting_mta}",
        "",
        f"Final-Recipient: rfc822; {recipient}",
        f"Action: {action}",
        f"Status: {status}",
        f"Diagnostic-Code: smtp; {diagnostic}",
        "",
        f"--{boundary}",
        "Content-Type: text/rfc822-headers",
        "",
        *head.splitlines(),
        "",
        f"--{boundary}--",
        "",
    ]
    return "\r\n".join(lines).encode()


def send_dsn(dsn: bytes, return_path: str, host: str, port: int) -> None:
    """Mail a DSN to ``return_path`` through the SMTP server at host:port (null sender, as RFC 3464 asks)."""
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        smtp.sendmail("<>", [return_path], dsn)


class Journal:
    def __init__(self, path: Path | None) -> None:
        self.path, self.lock = path, threading.Lock()

    def write(self, event: str, **fields: Any) -> None:
        if self.path is None:
            return
        with self.lock, self.path.open("a") as f:
            f.write(json.dumps({"event": event, "at": time.time(), **fields}) + "\n")


def read_journal(path: Path) -> Counter[str]:
    """How many of each event the sink wrote."""
    if not path.exists():
        return Counter()
    return Counter(json.loads(line)["event"] for line in path.read_text().splitlines() if line)


class FaultyMailbox(Mailbox):
    def __init__(
        self,
        mail_dir: str,
        *,
        seed: int,
        rate: float,
        journal: Journal,
        bounce_to: Callable[[], tuple[str, int]] | None,
        first_message: asyncio.Event,
        bounce_delay: float = 1.0,
    ) -> None:
        super().__init__(mail_dir)
        self.seed, self.rate, self.journal = seed, rate, journal
        self.bounce_to, self.first_message = bounce_to, first_message
        self.bounce_delay = bounce_delay
        self.tries: Counter[str] = Counter()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]  # noqa: N802
        self.tries[address] += 1
        what = fate(self.seed, address, self.rate)
        if what == DEFER and self.tries[address] <= DEFERRED_TRIES:
            self.journal.write("deferred", to=address)
            return f"451 4.3.0 <{address}>: mailbox busy, try again later"
        if what == REFUSE:
            self.journal.write("refused", to=address)
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.first_message.set()
        bounced = [a for a in envelope.rcpt_tos if fate(self.seed, a, self.rate) == BOUNCE]
        delivered = [a for a in envelope.rcpt_tos if a not in bounced]
        for address in bounced:
            self.journal.write("bounced", to=address)
            if self.bounce_to and envelope.mail_from and envelope.mail_from != "<>":
                threading.Thread(
                    target=self._bounce,
                    args=(bytes(envelope.original_content), address, envelope.mail_from),
                    daemon=True,
                ).start()
        if not delivered:
            return "250 OK"
        envelope.rcpt_tos = delivered
        for address in delivered:
            self.journal.write("delivered", to=address)
        return await super().handle_DATA(server, session, envelope)

    def _bounce(self, original: bytes, recipient: str, return_path: str) -> None:
        time.sleep(self.bounce_delay)
        assert self.bounce_to is not None
        dsn = compose_dsn(original, recipient=recipient, return_path=return_path)
        for attempt in range(30):
            try:
                send_dsn(dsn, return_path, *self.bounce_to())
                self.journal.write("dsn_sent", to=recipient)
                return
            except (OSError, ValueError, KeyError, smtplib.SMTPException) as exc:
                error = str(exc) or type(exc).__name__
                time.sleep(min(2.0, 0.2 * (attempt + 1)))
        self.journal.write("dsn_failed", to=recipient, error=error)


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def _bounce_address(text: str) -> Callable[[], tuple[str, int]]:
    """Where bounces go: ``HOST:PORT``, or ``@FILE`` naming a ports file read at each try."""
    if not text.startswith("@"):
        address = _host_port(text)
        return lambda: address
    path = Path(text[1:])
    return lambda: ("127.0.0.1", int(json.loads(path.read_text())["bounce"]))


def _listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


async def _serve(args: argparse.Namespace, handler: FaultyMailbox, journal: Journal) -> None:
    loop = asyncio.get_running_loop()
    host, port = _host_port(args.listen)
    sock = _listening_socket(host, port)
    port = sock.getsockname()[1]
    server = await loop.create_server(lambda: SMTP(handler), sock=sock)
    if args.port_file:
        partial = args.port_file.with_name(args.port_file.name + ".partial")
        partial.write_text(str(port))
        partial.replace(args.port_file)
    journal.write("listening", port=port)
    if args.outage > 0:
        # Stop listening once mail flows: new connections are refused (sessions under
        # way finish), then listen again on the same port.
        await handler.first_message.wait()
        await asyncio.sleep(0.5)
        server.close()
        await server.wait_closed()
        journal.write("outage", seconds=args.outage)
        await asyncio.sleep(args.outage)
        server = await loop.create_server(lambda: SMTP(handler), sock=_listening_socket(host, port))
        journal.write("listening", port=port)
    await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="rollcall_cli.demo.sink", description=__doc__)
    parser.add_argument("--listen", required=True, help="HOST:PORT to serve SMTP on (port 0: any)")
    parser.add_argument("--port-file", type=Path, help="where to write the port once listening")
    parser.add_argument("--mailbox", required=True, type=Path, help="Maildir to deliver to")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--bounce-to", help="HOST:PORT of the mailer's bounce endpoint, or @FILE: its ports file"
    )
    parser.add_argument("--outage", type=float, default=0.0, help="seconds not listening")
    parser.add_argument("--journal", type=Path)
    args = parser.parse_args(argv)
    if not 0 <= args.fault_rate <= 1:
        parser.error(f"--fault-rate must be between 0 and 1, got {args.fault_rate}")
    journal = Journal(args.journal)
    handler = FaultyMailbox(
        str(args.mailbox),
        seed=args.seed,
        rate=args.fault_rate,
        journal=journal,
        bounce_to=_bounce_address(args.bounce_to) if args.bounce_to else None,
        first_message=asyncio.Event(),
    )
    try:
        asyncio.run(_serve(args, handler, journal))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
