"""Small pieces every builder uses: checkov skips, IAM statements, roles."""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Sub
from troposphere.iam import Policy, Role

#: A policy statement as CloudFormation takes it (plain data, checked by tests/infra).
Statement = dict[str, Any]


def checkov_skips(*skips: tuple[str, str]) -> dict[str, Any]:
    """Resource Metadata that skips checkov checks, each with the reason written beside it."""
    return {"checkov": {"skip": [{"id": check, "comment": reason} for check, reason in skips]}}


def allow(
    actions: list[str], resources: list[Any], condition: dict[str, Any] | None = None
) -> Statement:
    """One Allow statement: named actions on named resources (never '*' actions)."""
    statement: Statement = {"Effect": "Allow", "Action": sorted(actions), "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def log_group_write(log_group_id: str) -> Statement:
    """Write log events to one log group (the function's own)."""
    return allow(
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        [GetAtt(log_group_id, "Arn")],
    )


def service_role(
    logical_id: str, service: str, statements: list[Statement], *, external_id: bool = False
) -> Role:
    """A role only `service` can assume, with one inline policy holding `statements`."""
    principal_statement: Statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if external_id:
        # Firehose passes the account id as ExternalId; pinning it blocks confused deputies.
        principal_statement["Condition"] = {
            "StringEquals": {"sts:ExternalId": Sub("${AWS::AccountId}")}
        }
    return Role(
        logical_id,
        AssumeRolePolicyDocument={"Version": "2012-10-17", "Statement": [principal_statement]},
        Policies=[
            Policy(
                PolicyName=f"{logical_id}Policy",
                PolicyDocument={"Version": "2012-10-17", "Statement": statements},
            )
        ],
    )
