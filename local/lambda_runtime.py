"""Just enough of the Lambda runtime to call the unchanged handlers locally."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

LOCAL_REGION = "local-1"
LOCAL_ACCOUNT = "000000000000"


@dataclass
class LambdaContext:
    """The attributes Powertools' logger reads from a Lambda context."""

    function_name: str
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        """The ARN the function would have in the local account."""
        return f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT}:function:{self.function_name}"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        """Local calls have no deadline; report the configured timeout's worth."""
        return 60_000


def invoke(handler: Handler, event: dict[str, Any], function_name: str) -> dict[str, Any]:
    """Call a handler as the Lambda runtime would, with a fresh context."""
    return handler(event, LambdaContext(function_name=function_name))
