"""Shared fixtures: no test reaches beyond the machine."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# boto3 must never find real credentials or a real region in tests.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_SECURITY_TOKEN"] = "testing"
os.environ["AWS_SESSION_TOKEN"] = "testing"
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "TelegramPipelineTests")


@pytest.fixture(autouse=True)
def _restore_environment() -> Iterator[None]:
    """The local stack configures handlers through os.environ; no test leaks it to the next."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Unit tests run with sockets disabled (pytest-socket)."""
    for item in items:
        if "/tests/unit/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.disable_socket)
