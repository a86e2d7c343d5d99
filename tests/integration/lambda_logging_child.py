"""Child process of the log-level test: one cold start of a handler under the template's env.

Run as `python -m tests.integration.lambda_logging_child webhook|archiver` with the
environment the test built from infra/template.json (plus AWS_LAMBDA_LOG_LEVEL, as
Lambda sets it from ApplicationLogLevel). It invokes the handler once in a way that
must publish a failure metric (moto: a delivery stream or bucket that does not
exist) and leaves everything it printed on stdout, as Lambda would capture it.
"""

from __future__ import annotations

import base64
import json
import sys

from moto import mock_aws

from local.lambda_runtime import LambdaContext
from tests.helpers import compact_bytes
from tests.unit.test_webhook_logic import api_event


def run(function: str) -> None:
    if function == "webhook":
        from functions.webhook.handler import lambda_handler

        lambda_handler(api_event(compact_bytes("message_text"), secret="s"), LambdaContext("w"))
        return
    from functions.archiver.handler import lambda_handler as archiver

    record = {
        "recordId": "r1",
        "approximateArrivalTimestamp": 1767254600123,
        "data": base64.b64encode(b"not json\n").decode(),
    }
    event = {"invocationId": "i", "deliveryStreamArn": "arn:aws:firehose:us-east-1:1:x/s"}
    try:
        archiver({**event, "records": [record]}, LambdaContext("a"))
    except Exception as error:  # noqa: BLE001 - Lambda prints the failure; so do we
        print(json.dumps({"level": "ERROR", "errorType": type(error).__name__}))


if __name__ == "__main__":
    with mock_aws():
        import boto3

        if sys.argv[1] == "archiver":
            boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="raw")
        run(sys.argv[1])
