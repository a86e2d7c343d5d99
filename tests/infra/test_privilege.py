"""Least privilege, enforced by walking every policy document in the template."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra import names as n
from tests.infra.conftest import resources_of

#: Intrinsics a Resource may be built with (never a hand-written ARN string).
_INTRINSICS = {"Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join"}
#: (logical id of the policy holder, action) pairs allowed on Resource "*", with why.
#: Empty: every action the stack grants has a resource-level ARN.
RESOURCE_STAR_ALLOWED: dict[tuple[str, str], str] = {}
#: Account-level ARNs that no stack resource names, with why they are needed.
ACCOUNT_LEVEL_ARNS = {
    "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:catalog": (
        "Glue checks GetTable against the catalog, the database and the table"
    ),
}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _unconditional(statements: list[Any]) -> list[dict[str, Any]]:
    """Statements with each Fn::If replaced by its branches (both may be deployed)."""
    found: list[dict[str, Any]] = []
    for statement in statements:
        if isinstance(statement, dict) and "Fn::If" in statement:
            _, yes, no = statement["Fn::If"]
            found += [branch for branch in (yes, no) if branch != {"Ref": "AWS::NoValue"}]
        else:
            found.append(statement)
    return found


def policy_documents(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(holder logical id, document) for every role, policy and bucket policy."""
    documents = []
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            documents += [(logical_id, p["PolicyDocument"]) for p in properties.get("Policies", [])]
        elif (
            resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
            or resource["Type"] == "AWS::S3::BucketPolicy"
        ):
            documents.append((logical_id, properties["PolicyDocument"]))
    return documents


_STACK_SCOPED_SSM = re.compile(
    r"arn:\$\{AWS::Partition\}:ssm:\$\{AWS::Region\}:\$\{AWS::AccountId\}"
    r":parameter/tgpipe/\$\{AWS::StackName\}/[a-z]+(/\*)?"
)


def _resource_problem(holder: str, action: str, resource: Any) -> str | None:
    if resource == "*":
        if (holder, action) in RESOURCE_STAR_ALLOWED:
            return None
        return f"{holder}: {action} on Resource '*'"
    if isinstance(resource, str):
        return f"{holder}: {action} on hand-written ARN {resource!r}"
    if not (isinstance(resource, dict) and len(resource) == 1 and set(resource) <= _INTRINSICS):
        return f"{holder}: {action} on {resource!r} (not Ref/GetAtt/Sub)"
    sub = resource.get("Fn::Sub")
    if isinstance(sub, str) and sub in ACCOUNT_LEVEL_ARNS:
        return None
    if isinstance(sub, str) and _STACK_SCOPED_SSM.fullmatch(sub):
        # Parameters the functions create at run time, under the stack's own path.
        return None
    if isinstance(sub, str) and "${" not in sub.replace("${AWS::", ""):
        return f"{holder}: {action} on {sub!r} names no resource of the stack"
    return None


def privilege_problems(holder: str, document: dict[str, Any]) -> list[str]:
    """Every way an Allow statement in `document` grants more than named actions on named resources."""
    problems = []
    for statement in _unconditional(_as_list(document.get("Statement", []))):
        if statement.get("Effect") != "Allow":
            continue  # Deny statements (TLS only) may be as broad as they like.
        if "NotAction" in statement or "NotResource" in statement:
            problems.append(f"{holder}: NotAction/NotResource grants everything else")
        actions = _as_list(statement.get("Action", []))
        for action in actions:
            if not isinstance(action, str) or "*" in action or ":" not in action:
                problems.append(f"{holder}: wildcard or malformed action {action!r}")
        principal = statement.get("Principal")
        if principal is not None and (principal == "*" or "AWS" in principal):
            problems.append(f"{holder}: grants to principal {principal!r}")
        for action in actions:
            for resource in _as_list(statement.get("Resource", [])):
                problem = _resource_problem(holder, str(action), resource)
                if problem:
                    problems.append(problem)
    return problems


def test_every_allow_statement_names_actions_and_stack_resources(template: dict[str, Any]) -> None:
    documents = policy_documents(template)
    assert len(documents) >= 7  # 3 roles + 4 bucket policies
    problems = [p for holder, doc in documents for p in privilege_problems(holder, doc)]
    assert problems == []


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Effect": "Allow", "Action": "s3:*", "Resource": {"Ref": "B"}}, "wildcard"),
        ({"Effect": "Allow", "Action": "*", "Resource": {"Ref": "B"}}, "wildcard"),
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, "Resource '*'"),
        (
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
            "hand-written",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": {"Fn::Sub": "arn:aws:s3:::${AWS::AccountId}-b/*"},
            },
            "names no resource",
        ),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": {"Ref": "B"}}, "NotAction"),
    ],
)
def test_privilege_walker_catches_broad_grants(statement: dict[str, Any], expected: str) -> None:
    problems = privilege_problems("Holder", {"Statement": [statement]})
    assert any(expected in problem for problem in problems), problems


def test_each_function_and_each_delivery_stream_have_their_own_role(
    template: dict[str, Any],
) -> None:
    functions = resources_of(template, "AWS::Lambda::Function")
    function_roles = [f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()]
    stream_roles = []
    for stream in n.DELIVERY_STREAMS:
        destination = template["Resources"][stream.stream_id]["Properties"][
            "ExtendedS3DestinationConfiguration"
        ]
        schema = destination["DataFormatConversionConfiguration"]["SchemaConfiguration"]
        used = {destination["RoleARN"]["Fn::GetAtt"][0], schema["RoleARN"]["Fn::GetAtt"][0]}
        assert used == {stream.role_id}
        stream_roles.append(stream.role_id)
    roles = [*function_roles, *stream_roles]
    assert len(roles) == len(set(roles)) == 2 + len(n.DELIVERY_STREAMS)
    assert set(roles) == set(resources_of(template, "AWS::IAM::Role"))


def _statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    (policy,) = template["Resources"][role_id]["Properties"]["Policies"]
    statements: list[dict[str, Any]] = _unconditional(policy["PolicyDocument"]["Statement"])
    return statements


def _granted(statements: list[dict[str, Any]], service: str) -> list[Any]:
    """Every resource of the statements granting an action of `service`."""
    return [
        resource
        for statement in statements
        if any(action.startswith(f"{service}:") for action in statement["Action"])
        for resource in statement["Resource"]
    ]


@pytest.mark.parametrize("stream", n.DELIVERY_STREAMS, ids=lambda s: s.table.name)
def test_each_firehose_role_reads_only_its_table_and_writes_only_its_folders(
    template: dict[str, Any], stream: n.DeliveredStream
) -> None:
    statements = _statements(template, stream.role_id)
    glue = [resource["Fn::Sub"] for resource in _granted(statements, "glue")]
    tables = [arn for arn in glue if ":table/" in arn]
    assert tables == [
        "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:table/"
        f"${{{n.R_DATABASE}}}/{stream.table.name}"
    ]
    objects = [r["Fn::Sub"] for r in _granted(statements, "s3") if "Fn::Sub" in r]
    errors = stream.errors_prefix
    assert objects == [
        f"${{{n.R_DATA_BUCKET}.Arn}}/{stream.table.prefix}*",
        f"${{{n.R_DATA_BUCKET}.Arn}}/{errors}processing-failed/*",
        f"${{{n.R_DATA_BUCKET}.Arn}}/{errors}format-conversion-failed/*",
    ]
    # No folder of this stream holds another stream's folder, or lies inside one.
    others = [
        folder
        for other in n.DELIVERY_STREAMS
        if other is not stream
        for folder in (other.table.prefix, other.errors_prefix + "processing-failed/")
    ]
    for granted in objects:
        folder = granted.split("/", 1)[1].removesuffix("*")
        assert not any(o.startswith(folder) or folder.startswith(o) for o in others), granted
    (logs,) = _granted(statements, "logs")
    assert f"${{{stream.log_group_id}}}:log-stream:${{{stream.log_stream_id}}}" in logs["Fn::Sub"]
    assert _granted(statements, "lambda") == [
        {"Fn::GetAtt": [n.R_ARCHIVER_FUNCTION, "Arn"]},
        {"Fn::Sub": f"${{{n.R_ARCHIVER_FUNCTION}.Arn}}:*"},
    ]


def test_firehose_error_output_types_are_the_ones_the_local_stream_writes() -> None:
    from local.delivery_stream import ERROR_FORMAT_CONVERSION_FAILED, ERROR_PROCESSING_FAILED

    assert set(n.FIREHOSE_ERROR_OUTPUT_TYPES) == {
        ERROR_PROCESSING_FAILED,
        ERROR_FORMAT_CONVERSION_FAILED,
    }


def test_webhook_may_put_to_exactly_the_three_streams(template: dict[str, Any]) -> None:
    statements = _statements(template, n.R_WEBHOOK_ROLE)
    (put,) = [s for s in statements if any(a.startswith("firehose:") for a in s["Action"])]
    assert put["Action"] == ["firehose:PutRecord"]
    assert sorted(r["Fn::GetAtt"][0] for r in put["Resource"]) == sorted(
        stream.stream_id for stream in n.DELIVERY_STREAMS
    )
    assert all(r["Fn::GetAtt"][1] == "Arn" for r in put["Resource"])
    assert len(put["Resource"]) == 3


def test_roles_use_no_managed_policies_and_trust_one_service(template: dict[str, Any]) -> None:
    for logical_id, role in resources_of(template, "AWS::IAM::Role").items():
        properties = role["Properties"]
        assert "ManagedPolicyArns" not in properties, logical_id
        (trust,) = properties["AssumeRolePolicyDocument"]["Statement"]
        assert set(trust["Principal"]) == {"Service"}, logical_id
        assert isinstance(trust["Principal"]["Service"], str), logical_id


def test_webhook_may_put_to_its_stream_and_read_its_secret_only(template: dict[str, Any]) -> None:
    statements = template["Resources"][n.R_WEBHOOK_ROLE]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"]
    granted = {action for s in statements for action in s["Action"]}
    assert granted == {
        "firehose:PutRecord",
        "secretsmanager:GetSecretValue",
        "ssm:GetParameter",
        "ssm:GetParametersByPath",
        "ssm:PutParameter",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }


def test_webhook_may_read_and_extend_only_its_own_allow_list(template: dict[str, Any]) -> None:
    statements = template["Resources"][n.R_WEBHOOK_ROLE]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"]
    (ssm,) = [s for s in statements if any(a.startswith("ssm:") for a in s["Action"])]
    base = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/tgpipe/${AWS::StackName}"
    assert [r["Fn::Sub"] for r in ssm["Resource"]] == [
        f"{base}/chats",
        f"{base}/chats/*",
        f"{base}/seen",
        f"{base}/seen/*",
    ]
    # Deleting entries is the operator's (`tgpipe chats`), never the webhook's.
    assert "ssm:DeleteParameter" not in ssm["Action"]


def test_archiver_may_only_write_under_the_raw_updates_prefix(template: dict[str, Any]) -> None:
    statements = template["Resources"][n.R_ARCHIVER_ROLE]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"]
    s3 = [s for s in statements if "Action" in s and any(a.startswith("s3:") for a in s["Action"])]
    assert s3 == [
        {
            "Action": ["s3:PutObject"],
            "Effect": "Allow",
            "Resource": [{"Fn::Sub": "${RawBucket.Arn}/updates/*"}],
        }
    ]


def test_no_function_or_stream_can_run_before_its_grants_are_attached(
    template: dict[str, Any],
) -> None:
    # A separate AWS::IAM::Policy is attached after its role exists; a function or
    # delivery stream that only references the role may start before the grant.
    resources = template["Resources"]
    attached: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for role in resource["Properties"].get("Roles", []):
                attached.setdefault(role["Ref"], set()).add(logical_id)
    users = {
        logical_id: resource
        for logical_id, resource in resources.items()
        if resource["Type"] in ("AWS::Lambda::Function", "AWS::KinesisFirehose::DeliveryStream")
    }
    assert users
    for logical_id, resource in users.items():
        text = json.dumps(resource["Properties"])
        depends = set(_as_list(resource.get("DependsOn", [])))
        for role, policies in attached.items():
            if f'"{role}"' in text:
                assert policies <= depends, f"{logical_id} may run before {sorted(policies)}"
