"""`tgpipe status --stack`: Firehose's data freshness is read for every delivery stream."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from infra import names as n
from scripts.cli import main
from tests.helpers import GROUP_ID
from tests.integration.conftest import REGION

STACK = "tgpipe-test"
STREAM_NAMES = {
    n.MESSAGES_STREAM.output: "tgpipe-test-DeliveryStream-abc",
    n.MEMBER_EVENTS_STREAM.output: "tgpipe-test-member-events",
    n.REACTIONS_STREAM.output: "tgpipe-test-reactions",
}


@pytest.fixture
def stack(aws: None) -> None:
    template = {
        "Parameters": {n.P_ALLOWED_CHAT_IDS: {"Type": "String"}},
        "Resources": {"DataBucket": {"Type": "AWS::S3::Bucket"}},
        "Outputs": {
            n.O_DATA_BUCKET: {"Value": {"Ref": "DataBucket"}},
            **{output: {"Value": name} for output, name in STREAM_NAMES.items()},
        },
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": n.P_ALLOWED_CHAT_IDS, "ParameterValue": str(GROUP_ID)}],
    )


@pytest.mark.parametrize("output", list(STREAM_NAMES))
def test_a_stale_stream_fails_the_status_whichever_it_is(
    stack: None, output: str, capsys: pytest.CaptureFixture[str]
) -> None:
    boto3.client("cloudwatch", region_name=REGION).put_metric_data(
        Namespace="AWS/Firehose",
        MetricData=[
            {
                "MetricName": "DeliveryToS3.DataFreshness",
                "Dimensions": [{"Name": "DeliveryStreamName", "Value": STREAM_NAMES[output]}],
                # Inside the 30 minutes status reads, before its "now".
                "Timestamp": datetime.now(tz=UTC) - timedelta(minutes=2),
                "Value": 7200.0,
            }
        ],
    )
    assert main(["status", "--stack", STACK, "--region", REGION]) == 1
    assert "the oldest record has waited 7,200 s to reach S3" in capsys.readouterr().out
