"""The generated template as plain JSON, and helpers to walk and resolve it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from infra.template import template_json


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    """The template as CloudFormation receives it."""
    decoded: dict[str, Any] = json.loads(template_json())
    return decoded


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Logical id → resource, for every resource of type `kind`."""
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def one(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    """The properties of one resource."""
    properties: dict[str, Any] = template["Resources"][logical_id]["Properties"]
    return properties


def walk(node: Any) -> Iterator[Any]:
    """Every node of a JSON tree, depth first."""
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)
