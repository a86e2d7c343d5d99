"""How the stack behaves once deployed: names two stacks can share an account with, lifecycles."""

from __future__ import annotations

from typing import Any

from infra import names as n
from tests.infra.conftest import one


def _resolve_database_name(template: dict[str, Any], stack: str, given: str) -> str:
    """The Glue database name as CloudFormation would resolve it (If / Join / Split / Ref)."""
    name = one(template, n.R_DATABASE)["DatabaseInput"]["Name"]
    condition, if_given, derived = name["Fn::If"]
    assert condition == n.C_HAS_DATABASE_NAME
    assert template["Conditions"][condition] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": n.P_DATABASE_NAME}, ""]}]
    }
    if given:
        assert if_given == {"Ref": n.P_DATABASE_NAME}
        return given
    separator, (prefix, inner) = derived["Fn::Join"]
    inner_separator, split = inner["Fn::Join"]
    split_on, source = split["Fn::Split"]
    assert source == {"Ref": "AWS::StackName"}
    return separator.join([prefix, inner_separator.join(stack.split(split_on))])


def test_two_stacks_with_default_parameters_get_two_glue_databases(
    template: dict[str, Any],
) -> None:
    assert template["Parameters"][n.P_DATABASE_NAME]["Default"] == ""
    first = _resolve_database_name(template, "tgpipe-vendas", "")
    second = _resolve_database_name(template, "tgpipe-suporte", "")
    assert first != second
    assert first == "telegram_pipeline_tgpipe_vendas"
    assert _resolve_database_name(template, "x", "minha_base") == "minha_base"


def test_the_raw_archive_states_what_happens_to_objects_under_128_kb(
    template: dict[str, Any],
) -> None:
    lifecycle = one(template, n.R_RAW_BUCKET)["LifecycleConfiguration"]
    assert lifecycle["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    (transition_rule,) = [rule for rule in lifecycle["Rules"] if "Transitions" in rule]
    # Only objects of 128 KB and more move: smaller ones would be billed as 128 KB there.
    assert transition_rule["ObjectSizeGreaterThan"] == str(128 * 1024 - 1)
    storage_classes = template["Parameters"][n.P_RAW_STORAGE_CLASS]["AllowedValues"]
    assert set(storage_classes) <= {"STANDARD_IA", "GLACIER_IR", "INTELLIGENT_TIERING"}


def test_sustained_firehose_throttling_raises_an_alarm(template: dict[str, Any]) -> None:
    alarms = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    ]
    throttled = [a for a in alarms if a["MetricName"] == "ThrottledRecords"]
    # One per delivery stream: each has its own request quota.
    assert sorted(a["Dimensions"][0]["Value"]["Ref"] for a in throttled) == sorted(
        stream.stream_id for stream in n.DELIVERY_STREAMS
    )
    for alarm in throttled:
        assert alarm["Namespace"] == "AWS/Firehose"
        assert alarm["Dimensions"][0]["Name"] == "DeliveryStreamName"
        # Sustained: three 5-minute periods in a row, not one burst Telegram's retries absorb.
        assert alarm["EvaluationPeriods"] == 3
        assert alarm["AlarmActions"] == [{"Ref": n.R_ALARM_TOPIC}]
