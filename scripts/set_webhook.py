"""`tgpipe set-webhook`, `webhook-info`, `delete-webhook`: the bot's webhook registration.

The URL comes from the stack's outputs and the secret_token from Secrets Manager,
so neither is typed by hand; the bot token comes from a file or an environment
variable and is never printed.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from typing import Any

from functions.telegram import KEPT_UPDATE_KINDS
from infra import names as n
from scripts.botapi import BotApi, BotApiError, add_token_arguments, read_token
from scripts.cli import CliError
from scripts.deploy import aws_call, aws_client, stack_outputs

DEFAULT_MAX_CONNECTIONS = 40
#: What Telegram accepts as secret_token: 1-256 characters A-Z a-z 0-9 _ -.
SECRET_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def register(subparsers: Any) -> None:
    """Add `set-webhook`, `webhook-info` and `delete-webhook`."""
    parser = subparsers.add_parser(
        "set-webhook",
        help="point the bot at the deployed webhook (URL and secret from the stack)",
        description=(
            "Calls setWebhook with the stack's WebhookUrl, the secret_token from Secrets "
            "Manager and the update kinds the webhook keeps, then shows getWebhookInfo."
        ),
    )
    add_token_arguments(parser)
    parser.add_argument("--stack", required=True, metavar="NAME", help="the deployed stack")
    parser.add_argument("--region", metavar="R", help="AWS region (default: your AWS config)")
    parser.add_argument(
        "--max-connections",
        type=int,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help=f"parallel connections Telegram may open, 1-100 (default {DEFAULT_MAX_CONNECTIONS})",
    )
    parser.set_defaults(func=run_set_webhook)

    info = subparsers.add_parser(
        "webhook-info",
        help="show the bot's webhook: URL, pending updates, last error",
        description="Calls getWebhookInfo and prints what Telegram reports.",
    )
    add_token_arguments(info)
    info.set_defaults(func=run_webhook_info)

    delete = subparsers.add_parser(
        "delete-webhook",
        help="stop Telegram pushing updates (before tearing the stack down)",
        description=(
            "Calls deleteWebhook; pending updates are kept (Telegram holds them about 24 h, "
            "for `tgpipe poll` or a later set-webhook) unless --drop-pending is given."
        ),
    )
    add_token_arguments(delete)
    delete.add_argument(
        "--drop-pending",
        action="store_true",
        help="also discard the updates Telegram still holds (they are lost for good)",
    )
    delete.set_defaults(func=run_delete_webhook)


def webhook_parameters(url: str, secret: str, max_connections: int) -> dict[str, Any]:
    """The setWebhook body: our URL and secret, the kinds we keep, pending updates kept."""
    if not 1 <= max_connections <= 100:
        raise CliError(f"--max-connections must be between 1 and 100, got {max_connections}")
    if not SECRET_TOKEN_PATTERN.fullmatch(secret):
        raise CliError("the stack's webhook secret has characters Telegram does not accept")
    return {
        "url": url,
        "secret_token": secret,
        "allowed_updates": list(KEPT_UPDATE_KINDS),
        "max_connections": max_connections,
        # Updates that waited while no webhook was set are messages too: keep them.
        "drop_pending_updates": False,
    }


def describe_webhook(info: dict[str, Any]) -> list[str]:
    """getWebhookInfo as lines a person reads (no secret is in it)."""
    lines = [
        f"url:                  {info.get('url') or '(none)'}",
        f"pending_update_count: {info.get('pending_update_count', 0)}",
    ]
    if "max_connections" in info:
        lines.append(f"max_connections:      {info['max_connections']}")
    if info.get("allowed_updates"):
        lines.append(f"allowed_updates:      {', '.join(info['allowed_updates'])}")
    error_date = info.get("last_error_date")
    if error_date:
        when = datetime.fromtimestamp(int(error_date), tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        lines.append(f"last_error:           {when}: {info.get('last_error_message', '')}")
    else:
        lines.append("last_error:           none")
    return lines


def run_set_webhook(args: argparse.Namespace) -> int:
    """Register the stack's webhook URL and secret with the bot, then show its state."""
    token = read_token(args)
    cloudformation = aws_client("cloudformation", args.region)
    outputs = stack_outputs(cloudformation, args.stack)
    missing = [name for name in (n.O_WEBHOOK_URL, n.O_SECRET_ARN) if name not in outputs]
    if missing:
        raise CliError(f"stack {args.stack} has no output {', '.join(missing)}: redeploy it")
    secrets = aws_client("secretsmanager", args.region)
    secret = aws_call(
        "reading the webhook secret",
        lambda: secrets.get_secret_value(SecretId=outputs[n.O_SECRET_ARN])["SecretString"],
    )
    api = BotApi(token, args.api_base)
    api.call(
        "setWebhook", webhook_parameters(outputs[n.O_WEBHOOK_URL], secret, args.max_connections)
    )
    print(f"webhook set for stack {args.stack}")
    for line in describe_webhook(api.call("getWebhookInfo")):
        print(line)
    try:
        warn_privacy_mode(api.call("getMe"))
    except BotApiError as error:
        print(f"warning: could not check privacy mode (getMe: {error})", file=sys.stderr)
    return 0


def warn_privacy_mode(me: Any) -> None:
    """Say so when privacy mode would hide group messages from the bot (tgpipe status too)."""
    if isinstance(me, dict) and me.get("can_read_all_group_messages") is False:
        print(
            "warning: privacy mode is on: in groups the bot receives only commands and "
            "service messages. @BotFather → /setprivacy → Disable, then remove the bot "
            "from each group and add it again.",
            file=sys.stderr,
        )


def run_webhook_info(args: argparse.Namespace) -> int:
    """Print what Telegram reports about the bot's webhook."""
    api = BotApi(read_token(args), args.api_base)
    for line in describe_webhook(api.call("getWebhookInfo")):
        print(line)
    return 0


def run_delete_webhook(args: argparse.Namespace) -> int:
    """Remove the bot's webhook, keeping the updates Telegram still holds unless told not to."""
    api = BotApi(read_token(args), args.api_base)
    drop = bool(args.drop_pending)
    api.call("deleteWebhook", {"drop_pending_updates": drop})
    if drop:
        print("webhook deleted; pending updates dropped")
    else:
        print("webhook deleted; Telegram keeps undelivered updates for about 24 hours")
    return 0
