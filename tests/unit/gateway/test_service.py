"""The gateway service is made of route groups; none hides another's methods."""

from __future__ import annotations

import itertools

from gateway.base import GatewayBase
from gateway.service import GatewayService


def test_no_two_route_groups_define_the_same_name():
    groups = [
        c for c in GatewayService.__mro__ if issubclass(c, GatewayBase) and c is not GatewayBase
    ]
    assert len(groups) >= 4
    own = {g: {n for n in vars(g) if not n.startswith("__")} for g in groups}
    for first, second in itertools.combinations(groups, 2):
        assert not own[first] & own[second], (first.__name__, second.__name__)
