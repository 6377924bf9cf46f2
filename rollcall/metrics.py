"""Every Prometheus metric Rollcall exposes, defined once.

Names follow ``rollcall_<service>_<thing>_<unit>``; kernel metrics shared by
all services carry a ``service`` label instead. Defining a metric only
registers it with prometheus-client's default registry: no I/O happens here.

Each service serves only its own families: ``registry_for(service)`` holds the
metrics named ``rollcall_<service>_...``, the kernel's (messages, handlers,
retries, parking, outbox: every service but the gateway, which has no
consumers nor outbox), and the process's own (``process_*``, ``python_*``).
The owner is read from the name, so a metric added here is served by its
service alone without further wiring. The default registry keeps every metric
too, for code that reads values in-process (tests).
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.metrics import MetricWrapperBase

from rollcall.config import SERVICES

MESSAGES_HANDLED = Counter(
    "rollcall_messages_handled_total",
    "Messages handled, by outcome (ok, duplicate, retried, parked, invalid).",
    ["service", "event", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "rollcall_handler_seconds",
    "Time spent in an event handler.",
    ["service", "event"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RETRIED = Counter(
    "rollcall_messages_retried_total", "Messages sent to a delay queue.", ["service", "queue"]
)
PARKED = Counter(
    "rollcall_messages_parked_total", "Messages moved to the parking lot.", ["service", "queue"]
)
OUTBOX_BACKLOG = Gauge(
    "rollcall_outbox_backlog", "Outbox rows not yet confirmed by the broker.", ["service"]
)
OUTBOX_PUBLISHED = Counter(
    "rollcall_outbox_published_total", "Outbox rows published and confirmed.", ["service"]
)
MEMBERS_BY_STATE = Gauge(
    "rollcall_registration_members",
    "Members of a ballot in each ledger state.",
    ["ballot", "state"],
)
UNACCOUNTED = Gauge(
    "rollcall_registration_unaccounted_members",
    "Accepted members of a ballot in no ledger state.",
    ["ballot"],
)
EXTRACT_ROWS = Counter(
    "rollcall_registration_extract_rows_total",
    "Extract rows by outcome (accepted, rejected, duplicate).",
    ["outcome"],
)
CONTACT_CHANGES = Counter(
    "rollcall_registration_contact_changes_total",
    "Changes to a member's email, address or phone.",
    ["association", "actor"],
)
EXCLUSION_NOTICES = Counter(
    "rollcall_registration_exclusion_notices_total",
    "Notices requested for members excluded for a reason they can fix, by reason.",
    ["reason"],
)
REPLACEMENTS = Counter(
    "rollcall_registration_replacements_total",
    "Replacement codes asked for, by who asked (member, officer, operator) and outcome.",
    ["source", "outcome"],
)
MATCH_DECISIONS = Counter(
    "rollcall_matching_decisions_total", "Match decisions by kind.", ["decision"]
)
CODES_ISSUED = Counter("rollcall_codes_issued_total", "Access codes issued.")
CODES_REDEEMED = Counter("rollcall_codes_redeemed_total", "Access codes used to vote.")
CODES_FAILED = Counter(
    "rollcall_codes_failed_verifications_total", "Access code checks that failed."
)
MAIL = Counter("rollcall_mailer_mail_total", "Mail by channel and outcome.", ["channel", "outcome"])
SMTP_OUTCOMES = Counter(
    "rollcall_mailer_smtp_outcomes_total",
    "Attempts to hand an email to the mail server, by outcome (sent, transient, bounce, permanent).",
    ["outcome"],
)
REMINDERS = Counter(
    "rollcall_mailer_reminders_total",
    "Reminders to voters who have not voted, by outcome (sent, letter, failed, skipped_voted,"
    " skipped_awaiting_code, skipped_not_reached, skipped_withdrawn, cancelled_closed).",
    ["outcome"],
)
AFTER_CRASH = Counter(
    "rollcall_mailer_after_crash_total",
    "Deliveries a mailer found half done by one that stopped mid-flush, by what it did"
    " (recorded_taken: the server had taken the email, recorded and not sent again;"
    " sent_again: the server may have taken it, sent again; not_sent_again_voted: a reminder"
    " that may have gone to a voter who has voted since; batch_written_again: a letter of a"
    " print batch written again to the same file).",
    ["action"],
)
RETRY_BACKLOG = Gauge(
    "rollcall_mailer_retry_backlog",
    "Emails the mail server deferred, waiting for their next attempt.",
)
BOUNCES = Counter(
    "rollcall_mailer_bounces_total",
    "Bounce reports received, by source (smtp, webhook) and what became of them"
    " (pending, no_effect, unmatched, forged, unreadable).",
    ["source", "status"],
)
BOUNCE_WEBHOOK_REFUSED = Counter(
    "rollcall_gateway_bounce_webhook_refused_total",
    "Bounce webhook calls refused, by reason (missing, invalid, stale, unconfigured).",
    ["reason"],
)
BALLOTS_CAST = Counter("rollcall_tally_ballots_cast_total", "Ballots cast.", ["channel"])
VOTES_REPEATED = Counter(
    "rollcall_tally_votes_repeated_total",
    "Votes that came again with the request that cast them (a redelivery or a retry), "
    "answered with their receipt and not cast again.",
)
POSTAL_REFUSED = Counter(
    "rollcall_tally_postal_refused_total", "Postal papers refused, by reason.", ["reason"]
)
#: Work done for test ballots, kept out of the real families (``count``): by the service that did
#: it, the real family it would have moved (``kind``, its name without ``rollcall_``/``_total``)
#: and that family's label values (``detail``, comma-separated; empty for an unlabelled family).
TEST_BALLOT_EVENTS = Counter(
    "rollcall_test_ballot_events_total",
    "Per-ballot work done for test ballots, never counted in the real families:"
    " by service, the real family it stands for (kind) and that family's labels (detail).",
    ["service", "kind", "detail"],
)
GATEWAY_REQUESTS = Counter(
    "rollcall_gateway_requests_total", "HTTP requests.", ["method", "route", "status"]
)
GATEWAY_SECONDS = Histogram("rollcall_gateway_request_seconds", "HTTP request latency.", ["route"])


def count(metric: Counter, *labels: str, amount: float = 1, test: bool = False) -> None:
    """Add ``amount`` to ``metric`` (with ``labels``) for a real ballot's work; for a test
    ballot's (``test``), to ``rollcall_test_ballot_events_total`` instead, never to ``metric``:
    dashboards and alerts of real ballots do not move while a ballot is rehearsed."""
    if test:
        name = next(iter(metric.describe())).name.removeprefix("rollcall_")
        TEST_BALLOT_EVENTS.labels(owner(metric) or "kernel", name, ",".join(labels)).inc(amount)
    else:
        (metric.labels(*labels) if labels else metric).inc(amount)


def test_ballot_count(metric: Counter, *labels: str) -> float:
    """How much test ballots' work stands in ``rollcall_test_ballot_events_total`` for
    ``metric`` with ``labels`` (for tests and the demo)."""
    name = next(iter(metric.describe())).name.removeprefix("rollcall_")
    return TEST_BALLOT_EVENTS.labels(owner(metric) or "kernel", name, ",".join(labels))._value.get()


#: The services that consume events and publish through an outbox: they serve the kernel's families.
KERNEL_SERVICES = tuple(s for s in SERVICES if s != "gateway")
_REGISTRIES: dict[str, CollectorRegistry] = {}


def owner(metric: MetricWrapperBase) -> str | None:
    """The service a metric belongs to by its name, or None for a kernel metric."""
    name = next(iter(metric.describe())).name
    return next((s for s in SERVICES if name.startswith(f"rollcall_{s}_")), None)


def registry_for(service: str) -> CollectorRegistry:
    """The registry ``service`` serves on ``/metrics``: its own families and no other service's."""
    if service not in _REGISTRIES:
        registry = CollectorRegistry()
        for value in list(globals().values()):
            if isinstance(value, MetricWrapperBase):
                belongs = owner(value)
                if belongs == service or (belongs is None and service in KERNEL_SERVICES):
                    registry.register(value)
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        _REGISTRIES[service] = registry
    return _REGISTRIES[service]
