"""An RPC's expected refusal is logged in one line; an unexpected error keeps its traceback."""

from __future__ import annotations

import contextlib
import logging

from nameko.containers import ServiceContainer
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook

import rollcall.runtime  # noqa: F401 - installs the filter on nameko's container logger


class Refused(Exception):
    pass


class Service:
    name = "expected_errors_test"

    @rpc(expected_exceptions=Refused)
    def refuse(self) -> None:
        raise Refused("this access code is not valid for this ballot")

    @rpc
    def fail(self) -> None:
        raise RuntimeError("a bug")


def _logged(method: str) -> list[str]:
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    logger = logging.getLogger("nameko.containers")
    handler = Keep(level=logging.WARNING)
    handler.setFormatter(logging.Formatter())
    logger.addHandler(handler)
    container = ServiceContainer(Service, config={"AMQP_URI": "memory://"})
    try:
        with entrypoint_hook(container, method) as call, contextlib.suppress(Exception):
            call()
    finally:
        logger.removeHandler(handler)
    return lines


def test_an_expected_refusal_is_one_line_without_traceback() -> None:
    (line,) = _logged("refuse")
    assert line.startswith("(expected) error handling worker")
    assert "this access code is not valid" in line
    assert "Traceback" not in line and "\n" not in line


def test_an_unexpected_error_keeps_its_traceback() -> None:
    (line,) = _logged("fail")
    assert "Traceback" in line and "RuntimeError: a bug" in line
