"""S3 buckets: data (Parquet), raw archive, Athena results, server access logs.

Every bucket: all Public Access Block flags, default encryption, ownership enforced
(no ACLs), a policy denying plain-HTTP access, aborted multipart uploads cleaned.
"""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Ref, Sub
from troposphere.s3 import (
    AbortIncompleteMultipartUpload,
    Bucket,
    BucketEncryption,
    BucketPolicy,
    LifecycleConfiguration,
    LifecycleRule,
    LifecycleRuleTransition,
    LoggingConfiguration,
    NoncurrentVersionExpiration,
    OwnershipControls,
    OwnershipControlsRule,
    PublicAccessBlockConfiguration,
    ServerSideEncryptionByDefault,
    ServerSideEncryptionRule,
    VersioningConfiguration,
)

from infra import names as n
from infra.common import checkov_skips

#: Smallest raw archive object moved to the colder class: the 128 KB every colder class
#: offered bills at least (S3's default transition minimum since September 2024).
RAW_TRANSITION_MIN_BYTES = 128 * 1024


def _abort_uploads_rule() -> LifecycleRule:
    return LifecycleRule(
        Id="AbortIncompleteUploads",
        Status="Enabled",
        AbortIncompleteMultipartUpload=AbortIncompleteMultipartUpload(DaysAfterInitiation=1),
    )


def _noncurrent_rule(days: int) -> LifecycleRule:
    return LifecycleRule(
        Id="ExpireOldVersions",
        Status="Enabled",
        NoncurrentVersionExpiration=NoncurrentVersionExpiration(NoncurrentDays=days),
    )


def _bucket(
    logical_id: str,
    rules: list[LifecycleRule],
    *,
    versioned: bool,
    log_prefix: str | None,
    skips: list[tuple[str, str]],
) -> Bucket:
    properties: dict[str, Any] = {
        "BucketEncryption": BucketEncryption(
            ServerSideEncryptionConfiguration=[
                ServerSideEncryptionRule(
                    ServerSideEncryptionByDefault=ServerSideEncryptionByDefault(
                        SSEAlgorithm="AES256"
                    ),
                    BucketKeyEnabled=True,
                )
            ]
        ),
        "PublicAccessBlockConfiguration": PublicAccessBlockConfiguration(
            BlockPublicAcls=True,
            BlockPublicPolicy=True,
            IgnorePublicAcls=True,
            RestrictPublicBuckets=True,
        ),
        "OwnershipControls": OwnershipControls(
            Rules=[OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]
        ),
        "LifecycleConfiguration": LifecycleConfiguration(
            Rules=[*rules, _abort_uploads_rule()],
            TransitionDefaultMinimumObjectSize="all_storage_classes_128K",
        ),
    }
    if versioned:
        properties["VersioningConfiguration"] = VersioningConfiguration(Status="Enabled")
    if log_prefix is not None:
        properties["LoggingConfiguration"] = LoggingConfiguration(
            DestinationBucketName=Ref(n.R_ACCESS_LOGS_BUCKET), LogFilePrefix=log_prefix
        )
    return Bucket(
        logical_id,
        # Data outlives the stack: deleting the stack must never delete messages.
        DeletionPolicy="Retain",
        UpdateReplacePolicy="Retain",
        Metadata=checkov_skips(*skips),
        **properties,
    )


def deny_insecure_transport(bucket_id: str) -> dict[str, Any]:
    """The statement that refuses any request to the bucket not made over TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [GetAtt(bucket_id, "Arn"), Sub("${%s.Arn}/*" % bucket_id)],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _policy(bucket_id: str, extra: list[dict[str, Any]] | None = None) -> BucketPolicy:
    return BucketPolicy(
        f"{bucket_id}Policy",
        Bucket=Ref(bucket_id),
        PolicyDocument={
            "Version": "2012-10-17",
            "Statement": [deny_insecure_transport(bucket_id), *(extra or [])],
        },
    )


#: The buckets whose server access logs go to the access-logs bucket, with their prefixes.
LOGGED_BUCKETS = {
    n.R_DATA_BUCKET: "data/",
    n.R_RAW_BUCKET: "raw/",
    n.R_RESULTS_BUCKET: "athena-results/",
}


def buckets() -> list[Bucket | BucketPolicy]:
    """The four buckets and their policies."""
    access_logs = _bucket(
        n.R_ACCESS_LOGS_BUCKET,
        [
            LifecycleRule(
                Id="ExpireAccessLogs",
                Status="Enabled",
                ExpirationInDays=Ref(n.P_ACCESS_LOG_EXPIRATION_DAYS),
            )
        ],
        versioned=False,
        log_prefix=None,
        skips=[
            ("CKV_AWS_18", "this is the access-log bucket; logging it into itself would loop"),
            ("CKV_AWS_21", "access logs are written once and expire; versions add nothing"),
        ],
    )
    data = _bucket(
        n.R_DATA_BUCKET,
        [_noncurrent_rule(30)],
        versioned=True,
        log_prefix=LOGGED_BUCKETS[n.R_DATA_BUCKET],
        skips=[],
    )
    raw = _bucket(
        n.R_RAW_BUCKET,
        [
            LifecycleRule(
                Id="ArchiveToColderStorage",
                Status="Enabled",
                # Objects under 128 KB stay in S3 Standard, on purpose: every colder class
                # offered bills at least 128 KB an object, so a quiet group's small batches
                # would cost more there. Stated here as well as in the bucket's default.
                ObjectSizeGreaterThan=str(RAW_TRANSITION_MIN_BYTES - 1),
                Transitions=[
                    LifecycleRuleTransition(
                        StorageClass=Ref(n.P_RAW_STORAGE_CLASS),
                        TransitionInDays=Ref(n.P_RAW_TRANSITION_DAYS),
                    )
                ],
            ),
            _noncurrent_rule(30),
        ],
        versioned=True,
        log_prefix=LOGGED_BUCKETS[n.R_RAW_BUCKET],
        skips=[],
    )
    results = _bucket(
        n.R_RESULTS_BUCKET,
        [
            LifecycleRule(
                Id="ExpireQueryResults",
                Status="Enabled",
                ExpirationInDays=Ref(n.P_RESULTS_EXPIRATION_DAYS),
            )
        ],
        versioned=False,
        log_prefix=LOGGED_BUCKETS[n.R_RESULTS_BUCKET],
        skips=[("CKV_AWS_21", "query results are disposable and expire; versions add nothing")],
    )
    # S3 log delivery writes with its service principal (ACLs are disabled by
    # BucketOwnerEnforced), limited to this account's three source buckets.
    log_delivery = {
        "Sid": "AllowServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": Sub("${%s.Arn}/*" % n.R_ACCESS_LOGS_BUCKET),
        "Condition": {
            "ArnLike": {"aws:SourceArn": [GetAtt(b, "Arn") for b in LOGGED_BUCKETS]},
            "StringEquals": {"aws:SourceAccount": Ref("AWS::AccountId")},
        },
    }
    return [
        access_logs,
        data,
        raw,
        results,
        _policy(n.R_ACCESS_LOGS_BUCKET, [log_delivery]),
        _policy(n.R_DATA_BUCKET),
        _policy(n.R_RAW_BUCKET),
        _policy(n.R_RESULTS_BUCKET),
    ]
