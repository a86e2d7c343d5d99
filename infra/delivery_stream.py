"""The Firehose delivery stream: archiver processing, JSON → Parquet via the Glue schema."""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Ref, Sub
from troposphere.firehose import (
    BufferingHints,
    CloudWatchLoggingOptions,
    DataFormatConversionConfiguration,
    DeliveryStream,
    DeliveryStreamEncryptionConfigurationInput,
    Deserializer,
    ExtendedS3DestinationConfiguration,
    InputFormatConfiguration,
    OpenXJsonSerDe,
    OutputFormatConfiguration,
    ParquetSerDe,
    ProcessingConfiguration,
    Processor,
    ProcessorParameter,
    SchemaConfiguration,
    Serializer,
)
from troposphere.logs import LogStream

from glue_schema import MESSAGES
from infra import names as n
from infra.common import allow, service_role
from infra.functions import log_group

#: The log stream Firehose writes S3 delivery errors to (its documented convention).
DELIVERY_LOG_STREAM_NAME = "DestinationDelivery"


def _glue_arns() -> list[Sub]:
    # Glue tables have no GetAtt Arn; these ARNs are built from the stack's own names.
    return [
        Sub("arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:catalog"),
        Sub(
            "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:database/${%s}"
            % n.R_DATABASE
        ),
        Sub(
            "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:table/${%s}/%s"
            % (n.R_DATABASE, MESSAGES.name)
        ),
    ]


def delivery_role() -> Any:
    """Firehose's own role: write the data bucket, call the archiver, read the table, log."""
    return service_role(
        n.R_DELIVERY_ROLE,
        "firehose.amazonaws.com",
        [
            allow(
                ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                [GetAtt(n.R_DATA_BUCKET, "Arn")],
            ),
            allow(
                ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
                [Sub("${%s.Arn}/*" % n.R_DATA_BUCKET)],
            ),
            allow(
                ["lambda:GetFunctionConfiguration", "lambda:InvokeFunction"],
                [
                    GetAtt(n.R_ARCHIVER_FUNCTION, "Arn"),
                    Sub("${%s.Arn}:*" % n.R_ARCHIVER_FUNCTION),
                ],
            ),
            allow(["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"], _glue_arns()),
            allow(
                ["logs:PutLogEvents"],
                [
                    Sub(
                        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:"
                        "log-group:${%s}:log-stream:${%s}"
                        % (n.R_DELIVERY_LOG_GROUP, n.R_DELIVERY_LOG_STREAM)
                    )
                ],
            ),
        ],
        external_id=True,
    )


def extended_s3_destination() -> ExtendedS3DestinationConfiguration:
    """ExtendedS3 to the data bucket: archiver processing, Parquet conversion, error prefix."""
    return ExtendedS3DestinationConfiguration(
        BucketARN=GetAtt(n.R_DATA_BUCKET, "Arn"),
        RoleARN=GetAtt(n.R_DELIVERY_ROLE, "Arn"),
        Prefix=n.MESSAGES_S3_PREFIX_EXPR,
        ErrorOutputPrefix=n.ERRORS_S3_PREFIX_EXPR,
        # Conversion writes SNAPPY Parquet itself; Firehose compression must stay off.
        CompressionFormat="UNCOMPRESSED",
        BufferingHints=BufferingHints(
            SizeInMBs=Ref(n.P_BUFFER_MB), IntervalInSeconds=Ref(n.P_BUFFER_SECONDS)
        ),
        CloudWatchLoggingOptions=CloudWatchLoggingOptions(
            Enabled=True,
            LogGroupName=Ref(n.R_DELIVERY_LOG_GROUP),
            LogStreamName=Ref(n.R_DELIVERY_LOG_STREAM),
        ),
        ProcessingConfiguration=ProcessingConfiguration(
            Enabled=True,
            Processors=[
                Processor(
                    Type="Lambda",
                    Parameters=[
                        ProcessorParameter(
                            ParameterName="LambdaArn",
                            ParameterValue=GetAtt(n.R_ARCHIVER_FUNCTION, "Arn"),
                        ),
                        ProcessorParameter(
                            ParameterName="BufferSizeInMBs",
                            ParameterValue=Ref(n.P_PROCESSOR_BUFFER_MB),
                        ),
                        ProcessorParameter(
                            ParameterName="BufferIntervalInSeconds",
                            ParameterValue=Ref(n.P_PROCESSOR_BUFFER_SECONDS),
                        ),
                    ],
                )
            ],
        ),
        DataFormatConversionConfiguration=DataFormatConversionConfiguration(
            Enabled=True,
            InputFormatConfiguration=InputFormatConfiguration(
                Deserializer=Deserializer(OpenXJsonSerDe=OpenXJsonSerDe())
            ),
            OutputFormatConfiguration=OutputFormatConfiguration(
                Serializer=Serializer(ParquetSerDe=ParquetSerDe(Compression="SNAPPY"))
            ),
            SchemaConfiguration=SchemaConfiguration(
                CatalogId=Ref("AWS::AccountId"),
                DatabaseName=Ref(n.R_DATABASE),
                TableName=Ref(n.R_MESSAGES_TABLE),
                Region=Ref("AWS::Region"),
                RoleARN=GetAtt(n.R_DELIVERY_ROLE, "Arn"),
                VersionId="LATEST",
            ),
        ),
    )


def delivery_stream() -> list[Any]:
    """The DirectPut stream, its role, log group and log stream."""
    stream = DeliveryStream(
        n.R_DELIVERY_STREAM,
        DeliveryStreamType="DirectPut",
        DeliveryStreamEncryptionConfigurationInput=DeliveryStreamEncryptionConfigurationInput(
            KeyType="AWS_OWNED_CMK"
        ),
        ExtendedS3DestinationConfiguration=extended_s3_destination(),
    )
    log_stream = LogStream(
        n.R_DELIVERY_LOG_STREAM,
        LogGroupName=Ref(n.R_DELIVERY_LOG_GROUP),
        LogStreamName=DELIVERY_LOG_STREAM_NAME,
    )
    return [log_group(n.R_DELIVERY_LOG_GROUP, "firehose"), log_stream, delivery_role(), stream]
