"""Pure decisions of the webhook: is the request genuine, well formed, wanted?"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
from collections.abc import Container, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from functions import constants as c
from functions import jsoncodec
from functions.routing import tables_for
from functions.telegram import chat_id, chat_type_and_title, migration_link, update_id
from glue_schema import MESSAGES

_SECRET_HEADER = c.SECRET_HEADER.lower()
#: A base64 text longer than this cannot decode to MAX_BODY_BYTES or less.
_MAX_BASE64_CHARS = (c.MAX_BODY_BYTES + 2) // 3 * 4
_TELEGRAM_NETWORKS = tuple(ipaddress.IPv4Network(cidr) for cidr in c.TELEGRAM_WEBHOOK_CIDRS)


class Outcome(Enum):
    """What became of one request; each has its status code and metric."""

    ACCEPTED = (200, c.METRIC_ACCEPTED)
    IGNORED = (200, c.METRIC_IGNORED)
    REJECTED_SECRET = (401, c.METRIC_REJECTED_SECRET)
    REJECTED_SOURCE = (403, c.METRIC_REJECTED_SOURCE)
    METHOD_NOT_ALLOWED = (405, c.METRIC_BAD_REQUEST)
    TOO_LARGE = (413, c.METRIC_BAD_REQUEST)
    BAD_REQUEST = (400, c.METRIC_BAD_REQUEST)
    DELIVERY_FAILED = (503, c.METRIC_DELIVERY_FAILED)
    #: A migration could not be written to the allow-list: Telegram redelivers it.
    ALLOW_LIST_FAILED = (503, c.METRIC_ALLOW_LIST_FAILED)

    @property
    def status(self) -> int:
        """The HTTP status answered to Telegram."""
        return self.value[0]

    @property
    def metric(self) -> str:
        """The metric counted for it."""
        return self.value[1]


@dataclass(frozen=True)
class WebhookRequest:
    """The parts of an API Gateway HTTP API (payload 2.0) event the webhook reads."""

    method: str
    secret_token: str | None
    body: str
    is_base64_encoded: bool
    source_ip: str | None = None

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> WebhookRequest:
        """Read a payload-2.0 event; header names are matched case-insensitively."""
        headers = event.get("headers") or {}
        secret = None
        if isinstance(headers, Mapping):
            for name, value in headers.items():
                if isinstance(name, str) and name.lower() == _SECRET_HEADER:
                    secret = value if isinstance(value, str) else None
        context = event.get("requestContext")
        http = context.get("http") if isinstance(context, Mapping) else None
        http = http if isinstance(http, Mapping) else {}
        body = event.get("body")
        # API Gateway sets sourceIp from the TCP peer; a client cannot forge it by header.
        source_ip = http.get("sourceIp")
        return cls(
            method=str(http.get("method", "")).upper(),
            secret_token=secret,
            body=body if isinstance(body, str) else "",
            is_base64_encoded=event.get("isBase64Encoded") is True,
            source_ip=source_ip if isinstance(source_ip, str) else None,
        )


@dataclass(frozen=True)
class Decision:
    """The outcome, and for accepted updates the exact bytes to deliver.

    `follow` is (old group, new supergroup) when an accepted update announces that a
    kept group migrated; `chat_type` / `chat_title` name an ignored chat.
    """

    outcome: Outcome
    record: bytes | None = None
    update_id: int | None = None
    chat_id: int | None = None
    follow: tuple[int, int] | None = None
    chat_type: str | None = None
    chat_title: str | None = None
    #: The tables the update feeds (functions.routing): which streams it goes to.
    tables: tuple[str, ...] = (MESSAGES.name,)


def secret_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison of the header against the configured secret."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def from_telegram_network(source_ip: str | None) -> bool:
    """True when the address lies in Telegram's published webhook ranges (IPv4-mapped too)."""
    if source_ip is None:
        return False
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is None:
            return False
        address = address.ipv4_mapped
    return any(address in network for network in _TELEGRAM_NETWORKS)


def request_bytes(request: WebhookRequest) -> bytes | Outcome:
    """The body exactly as Telegram sent it, or TOO_LARGE / BAD_REQUEST."""
    if request.is_base64_encoded:
        if len(request.body) > _MAX_BASE64_CHARS:
            return Outcome.TOO_LARGE
        try:
            raw = base64.b64decode(request.body, validate=True)
        except (binascii.Error, ValueError):
            return Outcome.BAD_REQUEST
    else:
        if len(request.body) > c.MAX_BODY_BYTES:
            return Outcome.TOO_LARGE
        try:
            raw = request.body.encode("utf-8")
        except UnicodeEncodeError:
            return Outcome.BAD_REQUEST
    if len(raw) > c.MAX_BODY_BYTES:
        return Outcome.TOO_LARGE
    return raw


def decide(
    request: WebhookRequest,
    allowed_chat_ids: Container[int],
    secret: str,
    *,
    restrict_source_ips: bool = False,
) -> Decision:
    """Classify one request; only ACCEPTED carries a record to deliver.

    An update announcing that an allowed group became a supergroup (in either chat)
    is accepted and names the supergroup to follow.
    """
    if restrict_source_ips and not from_telegram_network(request.source_ip):
        return Decision(Outcome.REJECTED_SOURCE)
    if not secret_matches(request.secret_token, secret):
        return Decision(Outcome.REJECTED_SECRET)
    if request.method != "POST":
        return Decision(Outcome.METHOD_NOT_ALLOWED)
    raw = request_bytes(request)
    if isinstance(raw, Outcome):
        return Decision(raw)
    try:
        update = jsoncodec.loads(raw)
    except jsoncodec.InvalidJson:
        return Decision(Outcome.BAD_REQUEST)
    if not isinstance(update, dict):
        return Decision(Outcome.BAD_REQUEST)
    the_update_id = update_id(update)
    if the_update_id is None:
        return Decision(Outcome.BAD_REQUEST)
    the_chat_id = chat_id(update)
    if the_chat_id is None:
        return Decision(Outcome.IGNORED, update_id=the_update_id)
    follow = _followed_migration(update, allowed_chat_ids)
    if the_chat_id not in allowed_chat_ids and (follow is None or follow[1] != the_chat_id):
        chat_type, chat_title = chat_type_and_title(update)
        return Decision(
            Outcome.IGNORED,
            update_id=the_update_id,
            chat_id=the_chat_id,
            chat_type=chat_type,
            chat_title=chat_title,
        )
    # An archived update must be one NDJSON line. Raw line breaks can only stand in
    # JSON's insignificant whitespace (inside strings they must be escaped), so turning
    # them into spaces keeps the update identical as JSON; Telegram's compact bodies
    # pass byte for byte.
    body = raw.rstrip(b"\r\n")
    if b"\n" in body or b"\r" in body:
        body = body.replace(b"\r", b" ").replace(b"\n", b" ")
    record = body + b"\n"
    return Decision(
        Outcome.ACCEPTED, record, the_update_id, the_chat_id, follow, tables=tables_for(update)
    )


def _followed_migration(
    update: dict[str, Any], allowed_chat_ids: Container[int]
) -> tuple[int, int] | None:
    """(old, new) when the update announces a migration of an allowed group to a new chat."""
    link = migration_link(update)
    if link is None or link[0] not in allowed_chat_ids or link[1] in allowed_chat_ids:
        return None
    return link


def response(outcome: Outcome) -> dict[str, Any]:
    """The payload-2.0 response: an empty body always (a 2xx body could be a Bot API call)."""
    headers = {"content-type": "text/plain"}
    if outcome is Outcome.METHOD_NOT_ALLOWED:
        headers["allow"] = "POST"
    return {"statusCode": outcome.status, "headers": headers, "body": ""}
