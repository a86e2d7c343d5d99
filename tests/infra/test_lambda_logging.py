"""Metric lines reach CloudWatch at the template's log settings (Lambda's log-level rule applied).

Lambda's advanced logging controls drop an application line whose level is below
ApplicationLogLevel, and give a JSON line without a `level` key the level INFO.
Powertools' metric (EMF) lines carry no level. Each handler is started in a fresh
interpreter with the template's own environment and the level Lambda would set,
and the lines Lambda would keep must include the failure metric.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from functions import constants as c
from infra import names as n

ROOT = Path(__file__).parents[2]
LEVELS = {"TRACE": 5, "DEBUG": 10, "INFO": 20, "WARN": 30, "WARNING": 30, "ERROR": 40, "FATAL": 50}
#: The stack name the test deploys as (Fn::Sub of AWS::StackName).
STACK_NAME = "tgpipe"
#: What the test supplies for values the template takes from resources or Secrets Manager.
OVERRIDES = {
    c.ENV_DELIVERY_STREAM_NAME: "no-such-stream",
    c.ENV_MEMBER_EVENTS_STREAM_NAME: f"{STACK_NAME}-member-events",
    c.ENV_REACTIONS_STREAM_NAME: f"{STACK_NAME}-reactions",
    c.ENV_WEBHOOK_SECRET: "s",
    c.ENV_RAW_BUCKET: "raw",
    c.ENV_ALLOWED_CHAT_IDS: "-1001234567890",
}


def _resolve(value: Any, parameters: dict[str, Any]) -> str | None:
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, dict) and "Ref" in value:
        default = parameters.get(value["Ref"], {}).get("Default")
        return None if default is None else str(default)
    sub = value.get("Fn::Sub") if isinstance(value, dict) else None
    if isinstance(sub, str) and sub.replace("${AWS::StackName}", "").find("${") < 0:
        # Built from the stack's name alone (STREAM_TABLES, the allow-list path).
        return sub.replace("${AWS::StackName}", STACK_NAME)
    return None  # other Sub / If / GetAtt: a resource's name, supplied by OVERRIDES or left out


def lambda_environment(
    function_id: str, log_level: str | None = None
) -> tuple[dict[str, str], str]:
    """The function's environment as deployed with default parameters, and Lambda's level."""
    template = json.loads((ROOT / "infra" / "template.json").read_text(encoding="utf-8"))
    parameters = template["Parameters"]
    if log_level is not None:
        parameters[n.P_FUNCTION_LOG_LEVEL]["Default"] = log_level
    function = template["Resources"][function_id]["Properties"]
    env = {
        name: resolved
        for name, value in function["Environment"]["Variables"].items()
        if (resolved := _resolve(value, parameters)) is not None
    }
    env.pop(c.ENV_WEBHOOK_SECRET_ARN, None)
    env.pop(c.ENV_PSEUDONYM_KEY_ARN, None)
    env.update({k: v for k, v in OVERRIDES.items() if k != c.ENV_RAW_BUCKET or "RAW" in k})
    lambda_level = _resolve(function["LoggingConfig"]["ApplicationLogLevel"], parameters)
    assert lambda_level is not None
    return env, lambda_level


def kept_by_lambda(stdout: str, lambda_level: str) -> list[dict[str, Any]]:
    """The JSON lines Lambda keeps: a line's `level` (INFO when absent) at or above its level."""
    kept = []
    for line in stdout.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        level = str(record.get("level", "INFO")).upper()
        if LEVELS.get(level, 20) >= LEVELS[lambda_level.upper()]:
            kept.append(record)
    return kept


def cold_start(function: str, env: dict[str, str], lambda_level: str) -> str:
    child_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_LAMBDA"))},
        **env,
        "AWS_LAMBDA_LOG_LEVEL": lambda_level,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    result = subprocess.run(
        [sys.executable, "-m", "tests.integration.lambda_logging_child", function],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def metric_names(records: list[dict[str, Any]]) -> set[str]:
    names = set()
    for record in records:
        for directive in record.get("_aws", {}).get("CloudWatchMetrics", []):
            names |= {metric["Name"] for metric in directive.get("Metrics", [])}
    return names


def test_the_cold_start_environment_names_every_stream() -> None:
    webhook, _ = lambda_environment(n.R_WEBHOOK_FUNCTION)
    for variable in (c.ENV_MEMBER_EVENTS_STREAM_NAME, c.ENV_REACTIONS_STREAM_NAME):
        assert webhook[variable] == OVERRIDES[variable]
    archiver, _ = lambda_environment(n.R_ARCHIVER_FUNCTION)
    assert archiver[c.ENV_STREAM_TABLES] == (
        f"{STACK_NAME}-member-events=member_events,{STACK_NAME}-reactions=reactions"
    )


@pytest.mark.parametrize("log_level", ["DEBUG", "INFO", "WARN", "ERROR"])
def test_webhook_delivery_failures_are_published_at_every_allowed_log_level(log_level: str) -> None:
    env, lambda_level = lambda_environment(n.R_WEBHOOK_FUNCTION, log_level)
    kept = kept_by_lambda(cold_start("webhook", env, lambda_level), lambda_level)
    assert c.METRIC_DELIVERY_FAILED in metric_names(kept)


@pytest.mark.parametrize("log_level", ["DEBUG", "INFO", "WARN", "ERROR"])
def test_archiver_failed_records_are_published_at_every_allowed_log_level(log_level: str) -> None:
    env, lambda_level = lambda_environment(n.R_ARCHIVER_FUNCTION, log_level)
    env[c.ENV_RAW_BUCKET] = "raw"
    kept = kept_by_lambda(cold_start("archiver", env, lambda_level), lambda_level)
    assert c.METRIC_RECORDS_FAILED in metric_names(kept)


def test_at_the_default_level_routine_lines_stay_quiet() -> None:
    env, lambda_level = lambda_environment(n.R_WEBHOOK_FUNCTION)
    kept = kept_by_lambda(cold_start("webhook", env, lambda_level), lambda_level)
    messages = [record.get("message") for record in kept if "_aws" not in record]
    # The delivery failure is an ERROR line; the per-update INFO line is not written.
    assert "delivery failed" in messages
    assert "update handled" not in messages
