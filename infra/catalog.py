"""Glue database and tables, derived from glue_schema, with partition projection on dt.

Projection means Athena computes the partitions from the date range: no crawler,
no MSCK REPAIR, and a new day's data is queryable the moment Firehose writes it.
"""

from __future__ import annotations

from troposphere import AWS_STACK_NAME, If, Join, Ref, Split, Sub
from troposphere.glue import (
    Column,
    Database,
    DatabaseInput,
    SerdeInfo,
    StorageDescriptor,
    Table,
    TableInput,
)

from glue_schema import DATABASE_DEFAULT, RAW_UPDATES, TABLES
from glue_schema import Column as SchemaColumn
from glue_schema import Table as SchemaTable
from glue_schema.tables import DT_FORMAT
from infra import names as n

#: Which bucket each table lives in, and its logical id: Firehose's tables (one stream
#: each) in the data bucket, the archive in the raw bucket.
TABLE_LOCATIONS = {
    **{stream.table.name: (stream.table_id, n.R_DATA_BUCKET) for stream in n.DELIVERY_STREAMS},
    RAW_UPDATES.name: (n.R_RAW_UPDATES_TABLE, n.R_RAW_BUCKET),
}


def location_template(table: SchemaTable, bucket_id: str) -> Sub:
    """`s3://<bucket>/<prefix>dt=${dt}/`: where the projected partition dt lives."""
    # ${!dt} is Fn::Sub's escape for a literal ${dt}, which Athena fills in.
    return Sub("s3://${%s}/%sdt=${!dt}/" % (bucket_id, table.prefix))


def projection_parameters(table: SchemaTable, bucket_id: str) -> dict[str, object]:
    """Table parameters that turn on date projection for the dt partition."""
    return {
        **table.table_parameters,
        "EXTERNAL": "TRUE",
        "projection.enabled": "true",
        "projection.dt.type": "date",
        "projection.dt.format": DT_FORMAT,
        "projection.dt.range": Sub("${%s},NOW" % n.P_PROJECTION_START),
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
        "storage.location.template": location_template(table, bucket_id),
    }


def _columns(columns: tuple[SchemaColumn, ...]) -> list[Column]:
    return [Column(Name=col.name, Type=col.type, Comment=col.comment) for col in columns]


def glue_table(table: SchemaTable) -> Table:
    """One Glue table from its glue_schema description."""
    logical_id, bucket_id = TABLE_LOCATIONS[table.name]
    return Table(
        logical_id,
        CatalogId=Ref("AWS::AccountId"),
        DatabaseName=Ref(n.R_DATABASE),
        TableInput=TableInput(
            Name=table.name,
            Description=table.description,
            TableType="EXTERNAL_TABLE",
            Parameters=projection_parameters(table, bucket_id),
            PartitionKeys=_columns(table.partition_keys),
            StorageDescriptor=StorageDescriptor(
                Columns=_columns(table.columns),
                Location=Sub("s3://${%s}/%s" % (bucket_id, table.prefix)),
                InputFormat=table.input_format,
                OutputFormat=table.output_format,
                SerdeInfo=SerdeInfo(
                    SerializationLibrary=table.serde,
                    Parameters=dict(table.serde_parameters),
                ),
            ),
        ),
    )


def catalog() -> list[Database | Table]:
    """The database and every table (the delivered ones and the raw archive)."""
    database = Database(
        n.R_DATABASE,
        CatalogId=Ref("AWS::AccountId"),
        DatabaseInput=DatabaseInput(
            # Glue folds names to lower case; Split/Join turns the stack name's hyphens
            # into underscores, so a second stack in the account gets its own database.
            Name=If(
                n.C_HAS_DATABASE_NAME,
                Ref(n.P_DATABASE_NAME),
                Join("_", [DATABASE_DEFAULT, Join("_", Split("-", Ref(AWS_STACK_NAME)))]),
            ),
            Description="Telegram messages captured by telegram-pipeline.",
        ),
    )
    return [database, *(glue_table(table) for table in TABLES)]
