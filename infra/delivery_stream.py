"""The Firehose delivery streams, one per delivered table: archiver processing, JSON → Parquet.

Firehose converts records to one schema per stream, so each table of
glue_schema.DELIVERED_TABLES has its own DirectPut stream (infra.names.DELIVERY_STREAMS),
built here from one description: same buffering, processor, encryption and logging,
its own table, prefixes, log group and role.
"""

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

from infra import names as n
from infra.common import allow, service_role
from infra.functions import log_group

#: The log stream Firehose writes S3 delivery errors to (its documented convention).
DELIVERY_LOG_STREAM_NAME = "DestinationDelivery"


def _glue_arns(stream: n.DeliveredStream) -> list[Sub]:
    # Glue tables have no GetAtt Arn; these ARNs are built from the stack's own names.
    return [
        Sub("arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:catalog"),
        Sub(
            "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:database/${%s}"
            % n.R_DATABASE
        ),
        Sub(
            "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:table/${%s}/%s"
            % (n.R_DATABASE, stream.table.name)
        ),
    ]


def _object_arns(stream: n.DeliveredStream) -> list[Sub]:
    """The stream's table folder and its error folders (one per error output type)."""
    folders = [
        stream.table.prefix,
        *(f"{stream.errors_prefix}{kind}/" for kind in n.FIREHOSE_ERROR_OUTPUT_TYPES),
    ]
    return [Sub("${%s.Arn}/%s*" % (n.R_DATA_BUCKET, folder)) for folder in folders]


def delivery_role(stream: n.DeliveredStream) -> Any:
    """The stream's own role: write its folders, call the archiver, read its table, log.

    One role per stream rather than one shared: roles cost nothing, and a shared one
    would let every stream write every table's folder and read every table's schema.
    """
    return service_role(
        stream.role_id,
        "firehose.amazonaws.com",
        [
            allow(
                ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                [GetAtt(n.R_DATA_BUCKET, "Arn")],
            ),
            allow(
                ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"], _object_arns(stream)
            ),
            allow(
                ["lambda:GetFunctionConfiguration", "lambda:InvokeFunction"],
                [
                    GetAtt(n.R_ARCHIVER_FUNCTION, "Arn"),
                    Sub("${%s.Arn}:*" % n.R_ARCHIVER_FUNCTION),
                ],
            ),
            allow(
                ["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
                _glue_arns(stream),
            ),
            allow(
                ["logs:PutLogEvents"],
                [
                    Sub(
                        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:"
                        "log-group:${%s}:log-stream:${%s}"
                        % (stream.log_group_id, stream.log_stream_id)
                    )
                ],
            ),
        ],
        external_id=True,
    )


def extended_s3_destination(stream: n.DeliveredStream) -> ExtendedS3DestinationConfiguration:
    """ExtendedS3 to the data bucket: archiver processing, Parquet conversion, error prefix."""
    return ExtendedS3DestinationConfiguration(
        BucketARN=GetAtt(n.R_DATA_BUCKET, "Arn"),
        RoleARN=GetAtt(stream.role_id, "Arn"),
        Prefix=stream.prefix_expression,
        ErrorOutputPrefix=stream.errors_prefix_expression,
        # Conversion writes SNAPPY Parquet itself; Firehose compression must stay off.
        CompressionFormat="UNCOMPRESSED",
        BufferingHints=BufferingHints(
            SizeInMBs=Ref(n.P_BUFFER_MB), IntervalInSeconds=Ref(n.P_BUFFER_SECONDS)
        ),
        CloudWatchLoggingOptions=CloudWatchLoggingOptions(
            Enabled=True,
            LogGroupName=Ref(stream.log_group_id),
            LogStreamName=Ref(stream.log_stream_id),
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
                TableName=Ref(stream.table_id),
                Region=Ref("AWS::Region"),
                RoleARN=GetAtt(stream.role_id, "Arn"),
                VersionId="LATEST",
            ),
        ),
    )


def delivery_stream(stream: n.DeliveredStream = n.MESSAGES_STREAM) -> list[Any]:
    """One table's DirectPut stream, its role, log group and log stream."""
    # The messages stream keeps its generated name: naming it would replace it.
    name = (
        {}
        if stream.name_expression is None
        else {"DeliveryStreamName": Sub(stream.name_expression)}
    )
    resource = DeliveryStream(
        stream.stream_id,
        **name,
        DeliveryStreamType="DirectPut",
        DeliveryStreamEncryptionConfigurationInput=DeliveryStreamEncryptionConfigurationInput(
            KeyType="AWS_OWNED_CMK"
        ),
        ExtendedS3DestinationConfiguration=extended_s3_destination(stream),
    )
    log_stream = LogStream(
        stream.log_stream_id,
        LogGroupName=Ref(stream.log_group_id),
        LogStreamName=DELIVERY_LOG_STREAM_NAME,
    )
    return [
        log_group(stream.log_group_id, stream.log_name),
        log_stream,
        delivery_role(stream),
        resource,
    ]


def delivery_streams() -> list[Any]:
    """Every delivered table's stream and what it needs."""
    return [resource for stream in n.DELIVERY_STREAMS for resource in delivery_stream(stream)]
