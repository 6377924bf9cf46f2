"""openapi.yaml documents every route the gateway serves, and every error code."""

from __future__ import annotations

import inspect
import re

import yaml
from nameko.web.handlers import HttpRequestHandler

from gateway import errors
from gateway.service import OPENAPI, GatewayService


def served_routes() -> set[tuple[str, str]]:
    routes = set()
    for _, attribute in inspect.getmembers(GatewayService):
        for entrypoint in getattr(attribute, "nameko_entrypoints", ()):
            if isinstance(entrypoint, HttpRequestHandler):
                path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", entrypoint.url)
                for method in entrypoint.method.split(","):
                    routes.add((method.lower(), path))
    return routes


def documented_routes(document: dict) -> set[tuple[str, str]]:
    methods = {"get", "post", "put", "patch", "delete"}
    return {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in methods
    }


def test_every_served_route_is_documented_and_nothing_else():
    document = yaml.safe_load(OPENAPI.read_text())
    assert document["openapi"].startswith("3.1")
    assert served_routes() == documented_routes(document)


def test_every_error_code_is_documented():
    document = yaml.safe_load(OPENAPI.read_text())
    documented = set(document["components"]["schemas"]["ErrorCode"]["enum"])
    assert {m.code for m in errors.TABLE.values()} == documented


def test_every_reference_resolves():
    text = OPENAPI.read_text()
    document = yaml.safe_load(text)
    for ref in set(re.findall(r'\$ref: "#/([^"]+)"', text)):
        node = document
        for part in ref.split("/"):
            assert part in node, ref
            node = node[part]
