"""Each service serves only its own metric families (and the kernel's, and the process's)."""

from __future__ import annotations

import re

import pytest
from prometheus_client import generate_latest

from rollcall import metrics
from rollcall.config import SERVICES

KERNEL = {"rollcall_messages_handled", "rollcall_outbox_backlog", "rollcall_messages_parked"}


def families(service: str) -> set[str]:
    text = generate_latest(metrics.registry_for(service)).decode()
    found = re.findall(r"^# TYPE (rollcall_\w+) (\w+)", text, re.M)
    return {re.sub(r"_total$", "", name) for name, kind in found if not name.endswith("_created")}


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_serves_no_other_services_families(service):
    served = families(service)
    others = [
        f for f in served for s in SERVICES if s != service and f.startswith(f"rollcall_{s}_")
    ]
    assert others == []
    assert any(f.startswith(f"rollcall_{service}_") for f in served)


def test_codes_issued_is_served_by_codes_alone():
    assert [s for s in SERVICES if "rollcall_codes_issued" in families(s)] == ["codes"]


def test_the_kernel_families_are_served_by_every_service_with_consumers_and_an_outbox():
    for service in SERVICES:
        expected = service != "gateway"
        assert (KERNEL <= families(service)) is expected, service


def test_every_metric_defined_is_served_by_some_service():
    served = set().union(*(families(s) for s in SERVICES))
    defined = {
        v.describe()[0].name
        for v in vars(metrics).values()
        if isinstance(v, metrics.MetricWrapperBase)
    }
    assert defined == served
