"""Property tests: the template's settings hold for every value its parameters permit."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from functions import constants as c
from functions.archiver.logic import IncomingRecord, archive_key
from functions.settings import ArchiverSettings, WebhookSettings, parse_chat_ids
from functions.telegram import INT64_MAX, INT64_MIN
from glue_schema import TABLES
from infra import names as n
from infra.catalog import TABLE_LOCATIONS
from infra.template import build_template
from tests.infra.conftest import one

TEMPLATE: dict[str, Any] = json.loads(build_template().to_json())
PARAMETERS: dict[str, Any] = TEMPLATE["Parameters"]


def parameter_values(name: str) -> st.SearchStrategy[int]:
    """Every value CloudFormation accepts for a Number parameter."""
    spec = PARAMETERS[name]
    if "AllowedValues" in spec:
        return st.sampled_from([int(v) for v in spec["AllowedValues"]])
    return st.integers(int(spec.get("MinValue", 0)), int(spec.get("MaxValue", 10**12)))


_NO_VALUE = {"Ref": "AWS::NoValue"}


def resolve(node: Any, values: Mapping[str, Any]) -> Any:
    """A property with Ref / Fn::Sub / Fn::If of the names in `values` replaced by their values.

    Conditions are given by name in `values` (True/False); a key whose value
    resolves to AWS::NoValue is dropped, as CloudFormation does.
    """
    if isinstance(node, dict) and set(node) == {"Fn::If"} and node["Fn::If"][0] in values:
        condition, when_true, when_false = node["Fn::If"]
        return resolve(when_true if values[condition] else when_false, values)
    if isinstance(node, dict) and set(node) == {"Ref"}:
        return values.get(node["Ref"], node)
    if isinstance(node, dict) and set(node) == {"Fn::Sub"}:
        text = node["Fn::Sub"]
        text = re.sub(
            r"\$\{([A-Za-z0-9:.]+)\}", lambda m: str(values.get(m.group(1), m.group(0))), text
        )
        return text.replace("${!", "${")
    if isinstance(node, dict):
        resolved = {key: resolve(value, values) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value != _NO_VALUE}
    if isinstance(node, list):
        return [resolve(value, values) for value in node]
    return node


@given(size=parameter_values(n.P_BUFFER_MB), interval=parameter_values(n.P_BUFFER_SECONDS))
def test_buffer_is_at_least_64_mib_whenever_conversion_is_on(size: int, interval: int) -> None:
    destination = resolve(
        one(TEMPLATE, n.R_DELIVERY_STREAM)["ExtendedS3DestinationConfiguration"],
        {n.P_BUFFER_MB: size, n.P_BUFFER_SECONDS: interval},
    )
    if destination["DataFormatConversionConfiguration"]["Enabled"]:
        assert destination["BufferingHints"]["SizeInMBs"] >= 64
    assert 60 <= destination["BufferingHints"]["IntervalInSeconds"] <= 900


def test_default_buffer_is_128_mib() -> None:
    assert PARAMETERS[n.P_BUFFER_MB]["Default"] == 128


def _firehose_prefix(expression: str, day: date, error_type: str = "") -> str:
    return expression.replace("!{timestamp:yyyy-MM-dd}", day.isoformat()).replace(
        "!{firehose:error-output-type}", error_type
    )


def _projected_location(table_id: str, bucket: str, day: date) -> str:
    parameters = one(TEMPLATE, table_id)["TableInput"]["Parameters"]
    bucket_id = {logical_id: bucket_id for logical_id, bucket_id in TABLE_LOCATIONS.values()}
    template = resolve(parameters["storage.location.template"], {bucket_id[table_id]: bucket})
    assert parameters["projection.dt.format"] == "yyyy-MM-dd"
    return str(template).replace("${dt}", day.isoformat())


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


streams = st.sampled_from(n.DELIVERY_STREAMS)


@given(day=days, stream=streams)
def test_each_stream_writes_where_its_tables_projection_looks(
    day: date, stream: n.DeliveredStream
) -> None:
    destination = one(TEMPLATE, stream.stream_id)["ExtendedS3DestinationConfiguration"]
    written = "s3://data-bucket/" + _firehose_prefix(destination["Prefix"], day)
    assert _projected_location(stream.table_id, "data-bucket", day) == written


@given(day=days, error_type=st.sampled_from(n.FIREHOSE_ERROR_OUTPUT_TYPES), stream=streams)
def test_error_records_never_land_inside_a_table(
    day: date, error_type: str, stream: n.DeliveredStream
) -> None:
    destination = one(TEMPLATE, stream.stream_id)["ExtendedS3DestinationConfiguration"]
    error_prefix = _firehose_prefix(destination["ErrorOutputPrefix"], day, error_type)
    assert error_prefix.startswith(c.ERRORS_PREFIX)
    assert not any(error_prefix.startswith(table.prefix) for table in TABLES)


@given(arrival=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_archiver_writes_where_the_raw_updates_projection_looks(arrival: datetime) -> None:
    arrival_ms = int(arrival.replace(tzinfo=UTC).timestamp() * 1000)
    key = archive_key([IncomingRecord("r1", arrival_ms, b"{}")])
    day = arrival.date()
    location = _projected_location(n.R_RAW_UPDATES_TABLE, "raw-bucket", day)
    assert f"s3://raw-bucket/{key}".startswith(location)
    assert location.removeprefix("s3://raw-bucket/") == f"updates/dt={day.isoformat()}/"


def test_glue_columns_equal_glue_schema() -> None:
    assert {table.name for table in TABLES} == set(TABLE_LOCATIONS)
    for table in TABLES:
        table_id, _ = TABLE_LOCATIONS[table.name]
        table_input = one(TEMPLATE, table_id)["TableInput"]
        assert table_input["Name"] == table.name
        descriptor = table_input["StorageDescriptor"]
        assert [(col["Name"], col["Type"]) for col in descriptor["Columns"]] == [
            (col.name, col.type) for col in table.columns
        ]
        assert [(k["Name"], k["Type"]) for k in table_input["PartitionKeys"]] == [("dt", "string")]
        assert descriptor["SerdeInfo"]["SerializationLibrary"] == table.serde
        assert descriptor["InputFormat"] == table.input_format
        assert descriptor["OutputFormat"] == table.output_format
        assert table_input["Parameters"]["projection.dt.type"] == "date"
        assert table_input["Parameters"]["projection.dt.range"] == {
            "Fn::Sub": f"${{{n.P_PROJECTION_START}}},NOW"
        }


class RecordingEnvironment(dict[str, str]):
    """An environment mapping that remembers which variables were asked for."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)


_POWERTOOLS = {
    c.ENV_POWERTOOLS_SERVICE_NAME,
    c.ENV_POWERTOOLS_METRICS_NAMESPACE,
    c.ENV_POWERTOOLS_LOG_LEVEL,
}
STACK_NAME = "tgpipe-vendas"
_DEPLOYED = {
    n.P_ALLOWED_CHAT_IDS: "-1001234567890",
    "AWS::StackName": STACK_NAME,
    # Ref of a stream is its name: generated for messages, the stack's for the others.
    n.R_DELIVERY_STREAM: "tgpipe-vendas-DeliveryStream-abc",
    n.MEMBER_EVENTS_STREAM.stream_id: f"{STACK_NAME}-member-events",
    n.REACTIONS_STREAM.stream_id: f"{STACK_NAME}-reactions",
    n.R_WEBHOOK_SECRET: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbCdEf",
    n.R_RAW_BUCKET: "stack-rawbucket-abc",
    # The template's defaults: both hardening options off.
    n.P_RESTRICT_SOURCE_IPS: "false",
    n.P_PSEUDONYMIZE_USERS: "false",
    n.C_PSEUDONYMIZE_USERS: False,
}


def _environment(function_id: str, values: Mapping[str, str]) -> RecordingEnvironment:
    variables = one(TEMPLATE, function_id)["Environment"]["Variables"]
    return RecordingEnvironment(resolve(variables, values))


def test_webhook_environment_is_exactly_what_its_settings_read() -> None:
    environment = _environment(n.R_WEBHOOK_FUNCTION, _DEPLOYED)
    settings = WebhookSettings.from_env(environment)
    assert set(environment) - _POWERTOOLS <= environment.read
    assert settings.secret_arn == _DEPLOYED[n.R_WEBHOOK_SECRET]
    assert settings.delivery_budget_seconds == c.DEFAULT_DELIVERY_BUDGET_SECONDS


def test_archiver_environment_is_exactly_what_its_settings_read() -> None:
    environment = _environment(n.R_ARCHIVER_FUNCTION, _DEPLOYED)
    settings = ArchiverSettings.from_env(environment)
    assert set(environment) - _POWERTOOLS == environment.read
    assert settings.raw_bucket == _DEPLOYED[n.R_RAW_BUCKET]


def _stream_name(stream: n.DeliveredStream, stack: str = STACK_NAME) -> str:
    """The stream's name as deployed in `stack` (its Ref value for a generated one)."""
    name = one(TEMPLATE, stream.stream_id).get("DeliveryStreamName")
    if name is None:
        return str(_DEPLOYED[stream.stream_id])
    return str(resolve(name, {"AWS::StackName": stack}))


def _stream_arn(name: str) -> str:
    return f"arn:aws:firehose:eu-west-1:123456789012:deliverystream/{name}"


def test_the_archiver_shapes_each_stream_for_its_table() -> None:
    settings = ArchiverSettings.from_env(_environment(n.R_ARCHIVER_FUNCTION, _DEPLOYED))
    # STREAM_TABLES names exactly the two streams named after the stack.
    assert dict(settings.stream_tables) == {
        f"{STACK_NAME}-member-events": "member_events",
        f"{STACK_NAME}-reactions": "reactions",
    }
    for stream in n.DELIVERY_STREAMS:
        assert settings.table_for(_stream_arn(_stream_name(stream))) == stream.table.name


def test_the_webhook_puts_each_table_into_its_stream() -> None:
    settings = WebhookSettings.from_env(_environment(n.R_WEBHOOK_FUNCTION, _DEPLOYED))
    for stream in n.DELIVERY_STREAMS:
        assert settings.streams_for((stream.table.name,)) == (_stream_name(stream),)
    # Join/leave service messages feed two tables, so two streams.
    assert settings.streams_for(("messages", "member_events")) == (
        _stream_name(n.MESSAGES_STREAM),
        _stream_name(n.MEMBER_EVENTS_STREAM),
    )


_FIREHOSE_NAME = re.compile(r"[a-zA-Z0-9_.-]{1,64}")
#: CloudFormation stack names: a letter, then letters, digits and hyphens.
stack_names = st.from_regex(r"[a-zA-Z][-a-zA-Z0-9]*", fullmatch=True)


@given(stack=stack_names.filter(lambda name: len(name) <= n.MAX_STACK_NAME_CHARS))
def test_every_stack_name_deploy_accepts_gives_valid_stream_names(stack: str) -> None:
    for stream in n.DELIVERY_STREAMS:
        if stream.name_suffix is not None:
            assert _FIREHOSE_NAME.fullmatch(_stream_name(stream, stack))


def test_one_character_more_and_a_stream_name_would_be_too_long() -> None:
    stack = "s" * (n.MAX_STACK_NAME_CHARS + 1)
    lengths = [len(_stream_name(s, stack)) for s in n.DELIVERY_STREAMS if s.name_suffix]
    assert max(lengths) == n.FIREHOSE_NAME_MAX_CHARS + 1


def test_both_functions_name_their_powertools_service() -> None:
    for function_id, service in (
        (n.R_WEBHOOK_FUNCTION, c.WEBHOOK_SERVICE),
        (n.R_ARCHIVER_FUNCTION, c.ARCHIVER_SERVICE),
    ):
        variables = one(TEMPLATE, function_id)["Environment"]["Variables"]
        assert variables[c.ENV_POWERTOOLS_SERVICE_NAME] == service
        assert variables[c.ENV_POWERTOOLS_METRICS_NAMESPACE] == c.METRICS_NAMESPACE


@given(
    chat_ids=st.lists(st.integers(INT64_MIN, INT64_MAX), min_size=1, max_size=8),
    separator=st.sampled_from([",", ", ", " , "]),
)
def test_every_chat_id_list_the_parameter_accepts_reaches_the_webhook_intact(
    chat_ids: list[int], separator: str
) -> None:
    raw = separator.join(str(chat_id) for chat_id in chat_ids)
    assert re.fullmatch(PARAMETERS[n.P_ALLOWED_CHAT_IDS]["AllowedPattern"], raw)
    environment = _environment(n.R_WEBHOOK_FUNCTION, {**_DEPLOYED, n.P_ALLOWED_CHAT_IDS: raw})
    assert WebhookSettings.from_env(environment).allowed_chat_ids == parse_chat_ids(raw)
    assert parse_chat_ids(raw) == frozenset(chat_ids)
