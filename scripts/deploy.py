"""`tgpipe deploy`: package the functions, upload, deploy the stack by change set, create views.

Steps, each printed as it happens:
1. build the function package (functions/ + glue_schema/, byte-for-byte reproducible);
2. upload it, and the template, to the artifacts bucket under content-hash keys
   (the bucket is created private and encrypted when missing);
3. create a change set, show it, execute it and follow the stack events; on a
   rollback, name the resource that failed and why;
4. create or replace the Athena views from glue_schema/views/*.sql;
5. print the webhook URL and the command that registers it with Telegram.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from infra import names as n
from infra.template import template_json
from scripts.cli import CliError
from scripts.common import add_chat_ids_argument, chat_ids, tgpipe_command
from scripts.package import Package, lambda_package

PROJECT_ROOT = Path(__file__).resolve().parent.parent
POLL_SECONDS = 5.0
STACK_TIMEOUT_SECONDS = 3600.0
QUERY_TIMEOUT_SECONDS = 300.0

T = TypeVar("T")
Sleep = Callable[[float], None]


# --- AWS plumbing -----------------------------------------------------------


def aws_client(service: str, region: str | None) -> Any:
    """A boto3 client for `service` in `region` (or the configured default region)."""
    import boto3
    from botocore.exceptions import NoRegionError

    try:
        return boto3.client(service, region_name=region)  # type: ignore[call-overload]
    except NoRegionError:
        raise CliError("no AWS region: pass --region or set AWS_REGION") from None


def aws_call(what: str, call: Callable[[], T]) -> T:
    """Run one AWS call; credential and service errors become one CliError line."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        return call()
    except NoCredentialsError:
        raise CliError(f"{what}: no AWS credentials (configure a profile or AWS_*)") from None
    except ClientError as error:
        detail = error.response.get("Error", {})
        raise CliError(f"{what}: {detail.get('Code')}: {detail.get('Message')}") from None
    except BotoCoreError as error:
        raise CliError(f"{what}: {error}") from None


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def stack_status(cloudformation: Any, stack: str) -> str | None:
    """The stack's status, or None when there is no such stack."""
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return str(stacks[0]["StackStatus"]) if stacks else None


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    """OutputKey → OutputValue of a deployed stack; CliError when there is no such stack."""
    stacks = aws_call(
        f"reading stack {stack}",
        lambda: cloudformation.describe_stacks(StackName=stack)["Stacks"],
    )
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


# --- Artifacts --------------------------------------------------------------


def default_artifacts_bucket(sts: Any, region: str) -> str:
    """`tgpipe-artifacts-<account>-<region>`: one per account and region."""
    account = aws_call("finding your AWS account", lambda: sts.get_caller_identity()["Account"])
    return f"tgpipe-artifacts-{account}-{region}"


def ensure_artifacts_bucket(s3: Any, bucket: str, region: str) -> bool:
    """Create the bucket private, encrypted, owner-enforced and TLS-only if missing; True if created."""
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
        return False
    except ClientError as error:
        if _error_code(error) not in ("404", "NoSuchBucket", "NotFound"):
            raise CliError(
                f"artifacts bucket {bucket} exists but is not yours to use "
                f"({_error_code(error)}); pass --artifacts-bucket"
            ) from None
    create: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
    if region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": region}
    aws_call(f"creating bucket {bucket}", lambda: s3.create_bucket(**create))
    aws_call(
        "blocking public access",
        lambda: s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        ),
    )
    aws_call(
        "enabling default encryption",
        lambda: s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        ),
    )
    deny_plain_http = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    aws_call(
        "setting the bucket policy",
        lambda: s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny_plain_http)),
    )
    return True


def upload(s3: Any, bucket: str, key: str, body: bytes) -> bool:
    """Put `body` at `key` unless it is there already (content-hash keys); True if uploaded."""
    from botocore.exceptions import ClientError

    try:
        s3.head_object(Bucket=bucket, Key=key)
        return False
    except ClientError as error:
        # 403 is what S3 answers for a missing key to a caller without ListBucket:
        # try the put, which fails with a clear error if writing is forbidden too.
        if _error_code(error) not in ("403", "404", "NoSuchKey", "NotFound"):
            raise CliError(f"checking s3://{bucket}/{key}: {_error_code(error)}") from None
    aws_call(
        f"uploading s3://{bucket}/{key}", lambda: s3.put_object(Bucket=bucket, Key=key, Body=body)
    )
    return True


def object_url(bucket: str, key: str, region: str) -> str:
    """The https URL CloudFormation reads a template from."""
    return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"


# --- The change set ---------------------------------------------------------


def stack_parameters(
    chat_id_list: frozenset[int],
    package: Package,
    bucket: str,
    alarm_email: str | None,
    extra: dict[str, str],
    updating: bool,
) -> list[dict[str, Any]]:
    """The parameters deploy sets; the alarm e-mail is kept from the last deploy when not given."""
    values = {
        n.P_CODE_BUCKET: bucket,
        n.P_CODE_KEY: package.key,
        n.P_ALLOWED_CHAT_IDS: ",".join(str(chat) for chat in sorted(chat_id_list)),
        **extra,
    }
    if alarm_email is not None:
        values[n.P_ALARM_EMAIL] = alarm_email
    parameters: list[dict[str, Any]] = [
        {"ParameterKey": key, "ParameterValue": value} for key, value in sorted(values.items())
    ]
    if alarm_email is None and updating:
        parameters.append({"ParameterKey": n.P_ALARM_EMAIL, "UsePreviousValue": True})
    return parameters


def describe_changes(changes: list[dict[str, Any]]) -> list[str]:
    """One line per change: action, logical id, type, and whether it replaces."""
    lines = []
    for change in changes:
        detail = change.get("ResourceChange", {})
        replacement = detail.get("Replacement")
        suffix = " (replacement)" if replacement == "True" else ""
        suffix = " (may replace)" if replacement == "Conditional" else suffix
        lines.append(
            f"  {detail.get('Action', '?'):<7} {detail.get('LogicalResourceId', '?'):<32} "
            f"{detail.get('ResourceType', '')}{suffix}"
        )
    return lines


def wait_for_change_set(
    cloudformation: Any, stack: str, name: str, sleep: Sleep
) -> list[dict[str, Any]] | None:
    """The change set's changes once computed; None when it holds no changes."""
    deadline = time.monotonic() + STACK_TIMEOUT_SECONDS
    while True:
        described = aws_call(
            "reading the change set",
            lambda: cloudformation.describe_change_set(StackName=stack, ChangeSetName=name),
        )
        status = described["Status"]
        if status == "CREATE_COMPLETE":
            changes = list(described.get("Changes", []))
            token = described.get("NextToken")
            while token:
                page = cloudformation.describe_change_set(
                    StackName=stack, ChangeSetName=name, NextToken=token
                )
                changes += page.get("Changes", [])
                token = page.get("NextToken")
            return changes
        if status == "FAILED":
            reason = str(described.get("StatusReason", ""))
            if "didn't contain changes" in reason or "No updates" in reason:
                cloudformation.delete_change_set(StackName=stack, ChangeSetName=name)
                return None
            raise CliError(f"change set failed: {reason}")
        if time.monotonic() > deadline:
            raise CliError(f"change set {name} still {status} after {STACK_TIMEOUT_SECONDS:.0f} s")
        sleep(POLL_SECONDS)


def stack_events(cloudformation: Any, stack: str) -> list[dict[str, Any]]:
    """The stack's events, oldest first."""
    events: list[dict[str, Any]] = []
    paginator = cloudformation.get_paginator("describe_stack_events")
    for page in paginator.paginate(StackName=stack):
        events += page["StackEvents"]
    return sorted(events, key=lambda event: event["Timestamp"])


def _event_line(event: dict[str, Any]) -> str:
    stamp = event["Timestamp"]
    when = stamp.strftime("%H:%M:%S") if isinstance(stamp, datetime) else str(stamp)
    reason = event.get("ResourceStatusReason")
    return (
        f"  {when} {event.get('ResourceStatus', ''):<20} {event.get('LogicalResourceId', '')} "
        f"({event.get('ResourceType', '')})" + (f": {reason}" if reason else "")
    )


def first_failure(events: list[dict[str, Any]]) -> str:
    """The resource that failed first and why (later cancellations are its consequence)."""
    for event in events:
        reason = str(event.get("ResourceStatusReason", ""))
        if str(event.get("ResourceStatus", "")).endswith("_FAILED") and "cancelled" not in reason:
            return (
                f"{event.get('LogicalResourceId')} ({event.get('ResourceType')}): "
                f"{reason or 'no reason given'}"
            )
    return "no failed resource reported; see the stack events in the console"


def execute_and_follow(
    cloudformation: Any, stack: str, name: str, sleep: Sleep, echo: Callable[[str], None]
) -> str:
    """Execute the change set and print each new stack event until the stack settles."""
    seen = {event["EventId"] for event in _events_or_none(cloudformation, stack)}
    aws_call(
        "executing the change set",
        lambda: cloudformation.execute_change_set(StackName=stack, ChangeSetName=name),
    )
    deadline = time.monotonic() + STACK_TIMEOUT_SECONDS
    new_events: list[dict[str, Any]] = []
    while True:
        for event in stack_events(cloudformation, stack):
            if event["EventId"] not in seen:
                seen.add(event["EventId"])
                new_events.append(event)
                echo(_event_line(event))
        status = stack_status(cloudformation, stack) or "DELETE_COMPLETE"
        if not status.endswith("_IN_PROGRESS"):
            if status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
                return status
            raise CliError(f"stack {stack} ended {status}: {first_failure(new_events)}", 1)
        if time.monotonic() > deadline:
            raise CliError(f"stack {stack} still {status} after {STACK_TIMEOUT_SECONDS:.0f} s", 1)
        sleep(POLL_SECONDS)


def _events_or_none(cloudformation: Any, stack: str) -> Iterator[dict[str, Any]]:
    from botocore.exceptions import ClientError

    try:
        yield from stack_events(cloudformation, stack)
    except ClientError:
        return


# --- Views ------------------------------------------------------------------


def create_views(
    athena: Any,
    database: str,
    workgroup: str,
    sleep: Sleep,
    *,
    timeout_seconds: float = QUERY_TIMEOUT_SECONDS,
) -> list[str]:
    """Create or replace the catalog's views (glue_schema), in creation order; their names.

    One Athena runner for the whole project: it polls with backoff and stops a
    query it gives up on, so nothing keeps running (and costing) after deploy.
    """
    from glue_schema.views import VIEW_NAMES, create_view_statement
    from scripts.athena import AthenaQueryError, AthenaRunner

    runner = AthenaRunner(
        athena,
        workgroup=workgroup,
        database=database,
        timeout_seconds=timeout_seconds,
        sleep=sleep,
    )
    for name in VIEW_NAMES:
        try:
            runner.wait(runner.start(create_view_statement(name)))
        except AthenaQueryError as error:
            raise CliError(f"creating view {name}: Athena {error}", 1) from None
    return list(VIEW_NAMES)


# --- The command ------------------------------------------------------------


def register(subparsers: Any) -> None:
    """Add the `deploy` subcommand."""
    parser = subparsers.add_parser(
        "deploy",
        help="package the functions and deploy the stack to AWS",
        description=(
            "Builds the function package, uploads it, creates or updates the stack through "
            "a change set, then creates the Athena views. See docs/deploy.md."
        ),
    )
    parser.add_argument("--stack", required=True, metavar="NAME", help="CloudFormation stack name")
    parser.add_argument("--region", required=True, metavar="R", help="AWS region, e.g. eu-west-1")
    add_chat_ids_argument(parser)
    parser.add_argument("--alarm-email", metavar="E", help="e-mail address for the alarms")
    parser.add_argument(
        "--artifacts-bucket",
        metavar="B",
        help="bucket for the package and template (default: tgpipe-artifacts-<account>-<region>)",
    )
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="another stack parameter, e.g. BufferIntervalSeconds=60 (repeatable)",
    )
    parser.set_defaults(func=run, sleep=time.sleep)


def check_stack_name(stack: str) -> None:
    """Refuse a stack name that would make a stream named after it longer than Firehose takes."""
    if len(stack) > n.MAX_STACK_NAME_CHARS:
        named = " and ".join(
            f"<stack>{s.name_suffix}" for s in n.DELIVERY_STREAMS if s.name_suffix is not None
        )
        raise CliError(
            f"--stack {stack!r} is {len(stack)} characters, at most {n.MAX_STACK_NAME_CHARS}: "
            f"the delivery streams {named} must fit Firehose's "
            f"{n.FIREHOSE_NAME_MAX_CHARS}-character names"
        )


def _extra_parameters(pairs: list[str]) -> dict[str, str]:
    from infra.parameters import parameters

    known = {parameter.title for parameter in parameters()}
    reserved = {n.P_CODE_BUCKET, n.P_CODE_KEY, n.P_ALLOWED_CHAT_IDS, n.P_ALARM_EMAIL}
    extra = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in known - reserved:
            choices = ", ".join(sorted(known - reserved))
            raise CliError(f"--parameter {pair!r}: expected KEY=VALUE with KEY one of {choices}")
        extra[key] = value
    return extra


def run(args: argparse.Namespace) -> int:
    """Package, upload, deploy by change set, create the views, say what to do next."""
    sleep: Sleep = args.sleep
    check_stack_name(args.stack)
    allowed = chat_ids(args)
    extra = _extra_parameters(args.parameter)

    package = lambda_package()
    print(f"package: {len(package.body):,} bytes, sha256 {package.sha256[:12]}")

    s3 = aws_client("s3", args.region)
    bucket = args.artifacts_bucket or default_artifacts_bucket(
        aws_client("sts", args.region), args.region
    )
    if ensure_artifacts_bucket(s3, bucket, args.region):
        print(f"created artifacts bucket {bucket}")
    uploaded = upload(s3, bucket, package.key, package.body)
    print(f"{'uploaded' if uploaded else 'already there'}: s3://{bucket}/{package.key}")
    template = template_json().encode("utf-8")
    template_key = f"templates/{hashlib.sha256(template).hexdigest()}.json"
    upload(s3, bucket, template_key, template)

    cloudformation = aws_client("cloudformation", args.region)
    status = aws_call("reading the stack", lambda: stack_status(cloudformation, args.stack))
    if status == "ROLLBACK_COMPLETE":
        raise CliError(
            f"stack {args.stack} failed its first creation and cannot be updated: delete it "
            f"(aws cloudformation delete-stack --stack-name {args.stack}) and deploy again"
        )
    updating = status not in (None, "REVIEW_IN_PROGRESS")
    change_set = f"tgpipe-{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    aws_call(
        "creating the change set",
        lambda: cloudformation.create_change_set(
            StackName=args.stack,
            ChangeSetName=change_set,
            ChangeSetType="UPDATE" if updating else "CREATE",
            TemplateURL=object_url(bucket, template_key, args.region),
            Parameters=stack_parameters(
                allowed, package, bucket, args.alarm_email, extra, updating
            ),
            Capabilities=["CAPABILITY_IAM"],
            Description="tgpipe deploy",
        ),
    )
    changes = wait_for_change_set(cloudformation, args.stack, change_set, sleep)
    if changes is None:
        print(f"stack {args.stack}: no changes")
    else:
        print(f"change set {change_set} ({len(changes)} changes):")
        for line in describe_changes(changes):
            print(line)
        final = execute_and_follow(cloudformation, args.stack, change_set, sleep, print)
        print(f"stack {args.stack}: {final}")

    outputs = stack_outputs(cloudformation, args.stack)
    missing = [o for o in (n.O_DATABASE, n.O_WORKGROUP, n.O_WEBHOOK_URL) if o not in outputs]
    if missing:
        raise CliError(f"stack {args.stack} has no output {', '.join(missing)}", 1)
    athena = aws_client("athena", args.region)
    views = create_views(athena, outputs[n.O_DATABASE], outputs[n.O_WORKGROUP], sleep)
    print(f"views: {', '.join(views) if views else 'none to create'}")
    print(f"webhook URL: {outputs[n.O_WEBHOOK_URL]}")
    print(
        f"next: {tgpipe_command()} set-webhook --token-file PATH/TO/TOKEN "
        f"--stack {args.stack} --region {args.region}"
    )
    return 0
