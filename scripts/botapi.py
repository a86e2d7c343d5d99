"""A small Telegram Bot API client for the CLI (set-webhook, webhook-info, poll).

The token is a credential: it is read from a file or an environment variable,
never from the command line, and never printed or logged. Every message that
could carry it (URLs, errors) goes through `redact()`, which shows `bot123:***`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.cli import CliError

DEFAULT_API_BASE = "https://api.telegram.org"
DEFAULT_TIMEOUT_SECONDS = 30.0
#: `<bot id>:<secret part>`, as BotFather hands it out.
TOKEN_PATTERN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,}")


class BotApiError(CliError):
    """The Bot API refused a call or could not be reached (message already redacted)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        unreachable: bool = False,
    ) -> None:
        super().__init__(message)
        #: The HTTP status (or the answer's error_code); None when there was no answer.
        self.status = status
        #: `parameters.retry_after` of a 429 answer, in seconds.
        self.retry_after = retry_after
        #: True when no answer came back (connection refused or dropped, timeout).
        self.unreachable = unreachable


def mask(token: str) -> str:
    """`bot<id>:***`: enough to tell bots apart, nothing that grants access."""
    bot_id, _, _ = token.partition(":")
    return f"bot{bot_id if bot_id.isdigit() else ''}:***"


def redact(text: str, token: str) -> str:
    """`text` with every occurrence of the token (with or without `bot`) masked."""
    if not token:
        return text
    return text.replace(f"bot{token}", mask(token)).replace(token, mask(token))


def add_token_arguments(parser: argparse.ArgumentParser) -> None:
    """--token-file F | --token-env VAR (one required), and --api-base URL."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help="file holding the bot token (from BotFather)",
    )
    source.add_argument(
        "--token-env", metavar="VAR", help="environment variable holding the bot token"
    )
    parser.add_argument(
        "--api-base",
        default=DEFAULT_API_BASE,
        metavar="URL",
        help=f"Bot API server (default: {DEFAULT_API_BASE}; a local Bot API server or a test double)",
    )


def read_token(args: argparse.Namespace) -> str:
    """The bot token from --token-file or --token-env; errors never show its value."""
    token: str
    if args.token_file is not None:
        try:
            token = args.token_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise CliError(f"cannot read token file {args.token_file}: {error.strerror}") from error
        where = f"token file {args.token_file}"
    else:
        token = os.environ.get(args.token_env, "").strip()
        where = f"${args.token_env}"
        if not token:
            raise CliError(f"{where} is not set or empty")
    if not TOKEN_PATTERN.fullmatch(token):
        raise CliError(f"{where} does not hold a bot token (expected <bot id>:<secret>)")
    return token


@dataclass(frozen=True)
class BotApi:
    """Calls Bot API methods with JSON bodies; results decoded, failures as BotApiError."""

    token: str
    api_base: str = DEFAULT_API_BASE
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    def __repr__(self) -> str:
        return f"BotApi({mask(self.token)}, api_base={self.api_base!r})"

    def call(self, method: str, parameters: dict[str, Any] | None = None) -> Any:
        """POST `parameters` to `method`; the `result` field, or BotApiError with the description."""
        url = f"{self.api_base.rstrip('/')}/bot{self.token}/{method}"
        if not url.startswith(("https://", "http://")):
            raise BotApiError(f"--api-base must be an http(s) URL, got {self.api_base!r}")
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url,
            data=json.dumps(parameters or {}).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310  # nosec B310 # https Bot API URL built here
                body = response.read()
        except urllib.error.HTTPError as error:
            body = error.read()
            raise BotApiError(
                f"{method} failed: HTTP {error.code} {self._description(body)}",
                status=error.code,
                retry_after=_retry_after(body),
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException) as error:
            # HTTPException: the connection dropped mid-answer (IncompleteRead, BadStatusLine).
            reason = str(getattr(error, "reason", error)) or type(error).__name__
            raise BotApiError(
                redact(f"cannot reach the Bot API at {self.api_base}: {reason}", self.token),
                unreachable=True,
            ) from None
        try:
            decoded = json.loads(body)
        except ValueError:
            raise BotApiError(
                f"{method}: the Bot API answered something that is not JSON"
            ) from None
        if not isinstance(decoded, dict) or not decoded.get("ok"):
            code = decoded.get("error_code") if isinstance(decoded, dict) else None
            raise BotApiError(
                f"{method} failed: {self._description(body)}",
                status=code if isinstance(code, int) else None,
                retry_after=_retry_after(body),
            )
        return decoded.get("result")

    def _description(self, body: bytes) -> str:
        try:
            decoded = json.loads(body)
        except ValueError:
            return "(no description)"
        description = decoded.get("description") if isinstance(decoded, dict) else None
        return redact(str(description or "(no description)"), self.token)


def _retry_after(body: bytes) -> float | None:
    """`parameters.retry_after` of an error answer (flood control), if it has one."""
    try:
        decoded = json.loads(body)
    except ValueError:
        return None
    parameters = decoded.get("parameters") if isinstance(decoded, dict) else None
    value = parameters.get("retry_after") if isinstance(parameters, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None
