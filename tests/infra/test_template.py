"""The template: committed copy and the settings the issue asks for.

cfn-lint and checkov run on infra/template.json from `make infra-check` (part of `make test`).
"""

from __future__ import annotations

import importlib
import json
import string
from pathlib import Path
from typing import Any

import pytest

from functions import constants as c
from glue_schema import DELIVERED_TABLES
from infra import names as n
from infra.analytics import named_queries
from infra.template import TEMPLATE_PATH, build_template, template_json
from tests.infra.conftest import one, resources_of, walk


def test_committed_template_matches_the_code() -> None:
    # Fails when infra/ (or a glue_schema/queries/*.sql file) changed: run `make template`.
    assert TEMPLATE_PATH.read_text(encoding="utf-8") == template_json(), "run `make template`"


def test_template_is_deterministic() -> None:
    assert build_template().to_json() == build_template().to_json()


def test_functions_use_current_python_on_arm_with_the_matching_powertools_layer(
    template: dict[str, Any],
) -> None:
    functions = resources_of(template, "AWS::Lambda::Function")
    assert set(functions) == {n.R_WEBHOOK_FUNCTION, n.R_ARCHIVER_FUNCTION}
    for function in functions.values():
        properties = function["Properties"]
        major, minor = properties["Runtime"].removeprefix("python").split(".")
        assert (int(major), int(minor)) >= (3, 12)
        assert properties["Architectures"] == ["arm64"]
        (layer,) = properties["Layers"]
        layer_arn = layer["Fn::Sub"]
        assert "${AWS::Region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-" in layer_arn
        assert f"-python{major}{minor}-arm64:" in layer_arn
        assert properties["Code"] == {
            "S3Bucket": {"Ref": n.P_CODE_BUCKET},
            "S3Key": {"Ref": n.P_CODE_KEY},
        }
        assert "LogGroup" in properties["LoggingConfig"]


def test_handlers_name_functions_that_exist(template: dict[str, Any]) -> None:
    for function in resources_of(template, "AWS::Lambda::Function").values():
        module, _, attribute = function["Properties"]["Handler"].rpartition(".")
        assert callable(getattr(importlib.import_module(module), attribute))


def test_webhook_timeouts_nest_retry_budget_lambda_and_api_gateway(
    template: dict[str, Any],
) -> None:
    webhook = one(template, n.R_WEBHOOK_FUNCTION)
    integration = one(template, n.R_API_INTEGRATION)
    budget = float(webhook["Environment"]["Variables"][c.ENV_DELIVERY_BUDGET_SECONDS])
    one_attempt = c.FIREHOSE_CONNECT_TIMEOUT_SECONDS + c.FIREHOSE_READ_TIMEOUT_SECONDS
    assert budget + one_attempt < webhook["Timeout"] < c.API_GATEWAY_TIMEOUT_SECONDS
    assert webhook["Timeout"] * 1000 < integration["TimeoutInMillis"] <= 30_000
    assert webhook["ReservedConcurrentExecutions"] == {"Ref": n.P_WEBHOOK_CONCURRENCY}


def test_http_api_routes_post_webhook_to_the_function_with_payload_2(
    template: dict[str, Any],
) -> None:
    assert one(template, n.R_HTTP_API)["ProtocolType"] == "HTTP"
    route = one(template, n.R_API_ROUTE)
    assert route["RouteKey"] == f"POST {c.WEBHOOK_PATH}"
    integration = one(template, n.R_API_INTEGRATION)
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["PayloadFormatVersion"] == "2.0"
    assert integration["IntegrationUri"] == {"Fn::GetAtt": [n.R_WEBHOOK_FUNCTION, "Arn"]}
    stage = one(template, n.R_API_STAGE)
    assert stage["StageName"] == "$default"
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": {"Ref": n.P_THROTTLE_BURST},
        "ThrottlingRateLimit": {"Ref": n.P_THROTTLE_RATE},
    }
    # Access logs are a parameter (off by default: a billed line per request).
    condition, settings, off = stage["AccessLogSettings"]["Fn::If"]
    assert condition == n.C_API_ACCESS_LOGS
    assert off == {"Ref": "AWS::NoValue"}
    assert template["Parameters"][n.P_API_ACCESS_LOGS]["Default"] == "false"
    access_log = json.loads(settings["Format"])
    assert access_log["status"] == "$context.status"
    assert settings["DestinationArn"] == {"Fn::GetAtt": [n.R_API_ACCESS_LOG_GROUP, "Arn"]}


def test_every_log_group_has_a_retention(template: dict[str, Any]) -> None:
    groups = resources_of(template, "AWS::Logs::LogGroup")
    # Two functions, the API's access log, one per delivery stream.
    assert len(groups) == 3 + len(n.DELIVERY_STREAMS)
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": n.P_LOG_RETENTION_DAYS}


def test_one_delivery_stream_per_delivered_table(template: dict[str, Any]) -> None:
    streams = resources_of(template, "AWS::KinesisFirehose::DeliveryStream")
    assert set(streams) == {stream.stream_id for stream in n.DELIVERY_STREAMS}
    assert [stream.table for stream in n.DELIVERY_STREAMS] == list(DELIVERED_TABLES)
    # The messages stream keeps its logical ids: a new id would replace the stream.
    messages = n.MESSAGES_STREAM
    assert (messages.stream_id, messages.role_id, messages.output) == (
        n.R_DELIVERY_STREAM,
        n.R_DELIVERY_ROLE,
        n.O_DELIVERY_STREAM,
    )
    assert (messages.log_group_id, messages.log_stream_id, messages.table_id) == (
        n.R_DELIVERY_LOG_GROUP,
        n.R_DELIVERY_LOG_STREAM,
        n.R_MESSAGES_TABLE,
    )


@pytest.mark.parametrize("stream", n.DELIVERY_STREAMS, ids=lambda s: s.table.name)
def test_each_stream_converts_json_to_snappy_parquet_via_its_table(
    template: dict[str, Any], stream: n.DeliveredStream
) -> None:
    properties = one(template, stream.stream_id)
    assert properties["DeliveryStreamType"] == "DirectPut"
    assert properties["DeliveryStreamEncryptionConfigurationInput"] == {"KeyType": "AWS_OWNED_CMK"}
    destination = properties["ExtendedS3DestinationConfiguration"]
    assert destination["CompressionFormat"] == "UNCOMPRESSED"
    assert destination["Prefix"] == f"{stream.table.prefix}dt=!{{timestamp:yyyy-MM-dd}}/"
    assert destination["RoleARN"] == {"Fn::GetAtt": [stream.role_id, "Arn"]}
    assert destination["BufferingHints"] == {
        "IntervalInSeconds": {"Ref": n.P_BUFFER_SECONDS},
        "SizeInMBs": {"Ref": n.P_BUFFER_MB},
    }
    assert destination["CloudWatchLoggingOptions"] == {
        "Enabled": True,
        "LogGroupName": {"Ref": stream.log_group_id},
        "LogStreamName": {"Ref": stream.log_stream_id},
    }
    conversion = destination["DataFormatConversionConfiguration"]
    assert conversion["Enabled"] is True
    assert conversion["InputFormatConfiguration"]["Deserializer"] == {"OpenXJsonSerDe": {}}
    assert conversion["OutputFormatConfiguration"]["Serializer"] == {
        "ParquetSerDe": {"Compression": "SNAPPY"}
    }
    schema = conversion["SchemaConfiguration"]
    assert schema["TableName"] == {"Ref": stream.table_id}
    assert schema["RoleARN"] == {"Fn::GetAtt": [stream.role_id, "Arn"]}
    table_input = one(template, stream.table_id)["TableInput"]
    assert table_input["Name"] == stream.table.name
    assert [column["Name"] for column in table_input["StorageDescriptor"]["Columns"]] == list(
        stream.table.column_names
    )
    (processor,) = destination["ProcessingConfiguration"]["Processors"]
    parameters = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}
    assert parameters == {
        "LambdaArn": {"Fn::GetAtt": [n.R_ARCHIVER_FUNCTION, "Arn"]},
        "BufferSizeInMBs": {"Ref": n.P_PROCESSOR_BUFFER_MB},
        "BufferIntervalInSeconds": {"Ref": n.P_PROCESSOR_BUFFER_SECONDS},
    }


def test_error_prefixes_keep_messages_layout_and_give_the_new_tables_their_own(
    template: dict[str, Any],
) -> None:
    prefixes = {
        stream.table.name: one(template, stream.stream_id)["ExtendedS3DestinationConfiguration"][
            "ErrorOutputPrefix"
        ]
        for stream in n.DELIVERY_STREAMS
    }
    assert prefixes == {
        "messages": "errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/",
        "member_events": (
            "errors/member_events/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
        ),
        "reactions": "errors/reactions/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/",
    }


def test_the_new_streams_are_named_after_the_stack_and_messages_keeps_its_name(
    template: dict[str, Any],
) -> None:
    names = {
        stream.table.name: one(template, stream.stream_id).get("DeliveryStreamName")
        for stream in n.DELIVERY_STREAMS
    }
    assert names == {
        "messages": None,
        "member_events": {"Fn::Sub": "${AWS::StackName}-member-events"},
        "reactions": {"Fn::Sub": "${AWS::StackName}-reactions"},
    }
    log_groups = {
        one(template, stream.log_group_id)["LogGroupName"]["Fn::Sub"]
        for stream in n.DELIVERY_STREAMS
    }
    assert len(log_groups) == len(n.DELIVERY_STREAMS)


def test_every_bucket_is_private_encrypted_owner_enforced_and_tls_only(
    template: dict[str, Any],
) -> None:
    buckets = resources_of(template, "AWS::S3::Bucket")
    assert set(buckets) == {
        n.R_DATA_BUCKET,
        n.R_RAW_BUCKET,
        n.R_RESULTS_BUCKET,
        n.R_ACCESS_LOGS_BUCKET,
    }
    policies = {
        p["Properties"]["Bucket"]["Ref"]: p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources_of(template, "AWS::S3::BucketPolicy").values()
    }
    for logical_id, bucket in buckets.items():
        properties = bucket["Properties"]
        assert set(properties["PublicAccessBlockConfiguration"].values()) == {True}, logical_id
        assert len(properties["PublicAccessBlockConfiguration"]) == 4
        (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
        assert properties["OwnershipControls"]["Rules"] == [
            {"ObjectOwnership": "BucketOwnerEnforced"}
        ]
        deny_plain_http = [
            s
            for s in policies[logical_id]
            if s["Effect"] == "Deny"
            and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        ]
        assert len(deny_plain_http) == 1, logical_id


def test_raw_archive_is_versioned_and_moves_to_colder_storage(template: dict[str, Any]) -> None:
    raw = one(template, n.R_RAW_BUCKET)
    assert raw["VersioningConfiguration"] == {"Status": "Enabled"}
    transitions = [
        t for rule in raw["LifecycleConfiguration"]["Rules"] for t in rule.get("Transitions", [])
    ]
    assert transitions == [
        {
            "StorageClass": {"Ref": n.P_RAW_STORAGE_CLASS},
            "TransitionInDays": {"Ref": n.P_RAW_TRANSITION_DAYS},
        }
    ]
    results = one(template, n.R_RESULTS_BUCKET)
    expirations = [r.get("ExpirationInDays") for r in results["LifecycleConfiguration"]["Rules"]]
    assert {"Ref": n.P_RESULTS_EXPIRATION_DAYS} in expirations


def test_secret_is_64_characters_telegram_accepts(template: dict[str, Any]) -> None:
    generate = one(template, n.R_WEBHOOK_SECRET)["GenerateSecretString"]
    assert generate["PasswordLength"] == 64
    # Secrets Manager draws from letters, digits and punctuation; punctuation excluded
    # leaves letters and digits, all within what Telegram's secret_token allows.
    assert generate["ExcludePunctuation"] is True
    assert generate["IncludeSpace"] is False
    drawn_from = set(string.ascii_letters + string.digits)
    assert drawn_from <= set(string.ascii_letters + string.digits + "_-")


def test_workgroup_enforces_engine_3_encrypted_results_and_a_scan_cutoff(
    template: dict[str, Any],
) -> None:
    configuration = one(template, n.R_WORKGROUP)["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["EngineVersion"]["SelectedEngineVersion"] == "Athena engine version 3"
    assert configuration["BytesScannedCutoffPerQuery"] == {"Ref": n.P_BYTES_SCANNED_CUTOFF}
    result = configuration["ResultConfiguration"]
    assert result["EncryptionConfiguration"]["EncryptionOption"] == "SSE_S3"
    assert result["OutputLocation"]["Fn::Sub"].startswith(f"s3://${{{n.R_RESULTS_BUCKET}}}/")


def test_one_named_query_per_sql_file_with_the_files_text(tmp_path: Path) -> None:
    (tmp_path / "top_posters.sql").write_text(
        "-- who posts most\nSELECT user_id, count(*) AS n FROM messages GROUP BY 1\n"
    )
    (tmp_path / "daily-volume.sql").write_text("SELECT dt, count(*) FROM messages GROUP BY 1;\n")
    (tmp_path / "notes.txt").write_text("not a query")
    queries = {q.title: q.to_dict()["Properties"] for q in named_queries(tmp_path)}
    assert set(queries) == {"QueryTopPosters", "QueryDailyVolume"}
    assert queries["QueryTopPosters"]["Name"] == "top_posters"
    assert queries["QueryTopPosters"]["QueryString"] == (
        "SELECT user_id, count(*) AS n FROM messages GROUP BY 1"
    )
    assert queries["QueryDailyVolume"]["WorkGroup"] == {"Ref": n.R_WORKGROUP}
    template = json.loads(build_template(tmp_path).to_json())
    assert len(resources_of(template, "AWS::Athena::NamedQuery")) == 2


def test_no_query_files_means_no_named_queries(tmp_path: Path) -> None:
    template = json.loads(build_template(tmp_path / "missing").to_json())
    assert resources_of(template, "AWS::Athena::NamedQuery") == {}


def test_alarms_cover_the_failures_the_issue_lists(template: dict[str, Any]) -> None:
    alarms = resources_of(template, "AWS::CloudWatch::Alarm").values()
    watched = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms}
    # Each delivery stream has the same Firehose alarms.
    per_stream = {
        (a["Properties"]["Dimensions"][0]["Value"]["Ref"], a["Properties"]["MetricName"])
        for a in alarms
        if a["Properties"]["Namespace"] == "AWS/Firehose"
    }
    assert per_stream == {
        (stream.stream_id, metric)
        for stream in n.DELIVERY_STREAMS
        for metric in (
            "ThrottledRecords",
            "DeliveryToS3.DataFreshness",
            "ExecuteProcessing.Success",
            "FailedConversion.Records",
        )
    }
    assert {
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/ApiGateway", "5xx"),
        ("AWS/Firehose", "DeliveryToS3.DataFreshness"),
        ("AWS/Firehose", "ExecuteProcessing.Success"),
        ("AWS/Firehose", "FailedConversion.Records"),
        (c.METRICS_NAMESPACE, c.METRIC_RECORDS_FAILED),
    } <= watched
    for alarm in alarms:
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": n.R_ALARM_TOPIC}]
    subscription = template["Resources"][n.R_ALARM_SUBSCRIPTION]
    assert subscription["Condition"] == n.C_HAS_ALARM_EMAIL
    assert n.C_HAS_ALARM_EMAIL in template["Conditions"]


def test_outputs_give_deploy_and_set_webhook_what_they_read(template: dict[str, Any]) -> None:
    assert {
        n.O_WEBHOOK_URL,
        n.O_DATA_BUCKET,
        n.O_RAW_BUCKET,
        n.O_RESULTS_BUCKET,
        *(stream.output for stream in n.DELIVERY_STREAMS),
        n.O_WORKGROUP,
        n.O_DATABASE,
        n.O_SECRET_ARN,
    } <= set(template["Outputs"])
    for stream in n.DELIVERY_STREAMS:
        assert template["Outputs"][stream.output]["Value"] == {"Ref": stream.stream_id}
    url = template["Outputs"][n.O_WEBHOOK_URL]["Value"]
    assert url == {"Fn::Join": ["", [{"Fn::GetAtt": [n.R_HTTP_API, "ApiEndpoint"]}, "/webhook"]]}


def test_every_checkov_skip_gives_a_reason(template: dict[str, Any]) -> None:
    skips = [
        skip
        for resource in template["Resources"].values()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for skip in skips:
        assert skip["id"].startswith("CKV")
        assert len(skip["comment"]) > 20


def test_every_ref_points_at_a_parameter_resource_or_pseudo_parameter(
    template: dict[str, Any],
) -> None:
    known = set(template["Parameters"]) | set(template["Resources"])
    refs = {node["Ref"] for node in walk(template) if isinstance(node, dict) and "Ref" in node}
    assert {ref for ref in refs if not ref.startswith("AWS::")} <= known
