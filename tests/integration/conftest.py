"""Handlers against moto: real boto3 clients, fresh caches for every test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions import adapters
from functions import constants as c
from functions.archiver import handler as archiver_handler
from functions.webhook import handler as webhook_handler
from tests.helpers import CHANNEL_ID, GROUP_ID

REGION = "us-east-1"
STREAM = "telegram-updates"
SECRET = "test-secret_TOKEN-1"
RAW_BUCKET = "tgpipe-raw"
DATA_BUCKET = "tgpipe-data"


def _reset_caches() -> None:
    from aws_lambda_powertools.utilities import parameters

    webhook_handler.settings.cache_clear()
    archiver_handler.settings.cache_clear()
    archiver_handler.read_pseudonym_key.cache_clear()
    adapters.firehose_client.cache_clear()
    adapters.s3_client.cache_clear()
    adapters.ssm_client.cache_clear()
    parameters.clear_caches()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto for every AWS call, and handler caches that start empty."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    _reset_caches()
    with mock_aws():
        yield
    _reset_caches()


@pytest.fixture
def webhook_env(monkeypatch: pytest.MonkeyPatch, aws: None) -> dict[str, Any]:
    """A moto delivery stream to a moto bucket, and the webhook's environment."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=DATA_BUCKET)
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="firehose", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("firehose", region_name=REGION).create_delivery_stream(
        DeliveryStreamName=STREAM,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": role,
            "BucketARN": f"arn:aws:s3:::{DATA_BUCKET}",
            "Prefix": "landing/",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
        },
    )
    monkeypatch.setenv(c.ENV_ALLOWED_CHAT_IDS, f"{GROUP_ID},{CHANNEL_ID}")
    monkeypatch.setenv(c.ENV_DELIVERY_STREAM_NAME, STREAM)
    monkeypatch.setenv(c.ENV_WEBHOOK_SECRET, SECRET)
    monkeypatch.setenv(c.ENV_DELIVERY_BUDGET_SECONDS, "0.5")
    return {"s3": s3, "bucket": DATA_BUCKET}


@pytest.fixture
def archiver_env(monkeypatch: pytest.MonkeyPatch, aws: None) -> Any:
    """A moto raw bucket and the archiver's environment; returns the S3 client."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=RAW_BUCKET)
    monkeypatch.setenv(c.ENV_RAW_BUCKET, RAW_BUCKET)
    return s3
