"""cost_per_million_usd: what one million 1 KB updates cost on AWS, ours against the seed's design.

Every quantity comes from the committed template (infra/template.json: memory,
architecture, buffer sizes and intervals, the delivery streams, the secret's
cache age, the log settings, the API type), parameters at their defaults, and
the update mix in UPDATE_MIX (messages, reactions, membership changes: which
stream each goes to, and the join/leave messages put into two); the webhook's duration
and log volume come from the webhook_overhead figure measured in the same run
(benchmarks/results.json), plus one in-region PutRecord round trip. Unit prices
are in PRICES, dated and cited. The seed's design (REST API, two Lambdas and one
S3 object per message, a daily ETL whose speed is the seed figure of the replay
benchmark) is priced with the same table. docs/deploy.md shows the same lines.

    python -m benchmarks.cost
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from benchmarks.common import ROOT, main, progress, rounded
from benchmarks.results import Figure, load

TEMPLATE: Final = ROOT / "infra" / "template.json"
MESSAGES: Final = 1_000_000  # updates (the seed's design calls them messages)
MESSAGE_BYTES: Final = (
    1024  # every kind of update alike (reactions are smaller; 5 KB billed anyway)
)
GOAL_USD: Final = 1.50
GOAL_SEED_SHARE: Final = 0.2

#: us-east-1 list prices, compiled on PRICES_DATE from the pages in `source`
#: (first pricing tier everywhere; free tiers ignored).
PRICES_DATE: Final = "2026-11-29"
PRICES: Final[dict[str, tuple[float, str, str]]] = {
    "http_api_request": (1.00 / 1e6, "per request (first 300M/month)", "https://aws.amazon.com/api-gateway/pricing/"),
    "rest_api_request": (3.50 / 1e6, "per request (first 333M/month)", "https://aws.amazon.com/api-gateway/pricing/"),
    "lambda_request": (0.20 / 1e6, "per invocation", "https://aws.amazon.com/lambda/pricing/"),
    "lambda_gb_s_arm64": (0.0000133334, "per GB-second, arm64", "https://aws.amazon.com/lambda/pricing/"),
    "lambda_gb_s_x86": (0.0000166667, "per GB-second, x86_64", "https://aws.amazon.com/lambda/pricing/"),
    "firehose_ingest_gb": (0.029, "per GB ingested, Direct PUT, each record rounded up to 5 KB", "https://aws.amazon.com/firehose/pricing/"),
    "firehose_conversion_gb": (0.018, "per GB converted to Parquet/ORC", "https://aws.amazon.com/firehose/pricing/"),
    "s3_put": (0.005 / 1000, "per PUT/LIST request, S3 Standard", "https://aws.amazon.com/s3/pricing/"),
    "s3_get": (0.0004 / 1000, "per GET request, S3 Standard", "https://aws.amazon.com/s3/pricing/"),
    "secrets_api_call": (0.05 / 10_000, "per API call", "https://aws.amazon.com/secrets-manager/pricing/"),
    "ssm_standard_api_call": (0.0, "per API call, standard parameters at standard throughput", "https://aws.amazon.com/systems-manager/pricing/"),
    "logs_ingest_gb": (0.50, "per GB ingested, Standard class (26 bytes added per event)", "https://aws.amazon.com/cloudwatch/pricing/"),
}  # fmt: skip

#: Assumptions the template cannot give, each stated where it is used.
PUT_RECORD_ROUND_TRIP_MS: Final = 10.0  # in-region PutRecord; the webhook waits for it
#: A steady month of 1M messages (0.39/s): how often containers refresh the secret.
SECONDS_PER_MONTH: Final = 30 * 86_400
#: Lambda's START/END/REPORT lines in Text format, bytes per invocation.
PLATFORM_LOG_BYTES: Final = 270
LOG_EVENT_OVERHEAD_BYTES: Final = 26
ARCHIVER_MS_PER_MIB: Final = (
    150.0  # archiver time per 1 MiB batch: gzip + shaping (measured ~0.1 s)
)
#: The update mix. Join/leave service messages are 4.2% of messages: the local
#: generator's MESSAGE_TYPE_WEIGHTS (new_chat_members 0.030 + left_chat_member 0.012,
#: local/generator_walk.py). They go to the messages and the member_events streams.
JOIN_LEAVE_PER_MESSAGE: Final = 0.042
#: chat_member / my_chat_member updates: Telegram sends an administrator bot one per
#: membership change, so about as many as the join/leave service messages (assumed;
#: a supergroup hiding its join messages has fewer double puts, not more).
MEMBER_UPDATES_PER_MESSAGE: Final = JOIN_LEAVE_PER_MESSAGE
#: message_reaction / message_reaction_count updates: one per four messages. An
#: assumption (nothing in the repository measures it; public groups vary widely);
#: only the reactions stream's share of the per-5-KB ingestion depends on it, which
#: costs the same in any stream, so the total barely moves with it.
REACTIONS_PER_MESSAGE: Final = 0.25
_PER_MESSAGE: Final = 1 + MEMBER_UPDATES_PER_MESSAGE + REACTIONS_PER_MESSAGE
#: Records each table's stream gets per update received (sums to 1 + DOUBLE_PUT_SHARE).
UPDATE_MIX: Final[dict[str, float]] = {
    "messages": 1 / _PER_MESSAGE,
    "member_events": (MEMBER_UPDATES_PER_MESSAGE + JOIN_LEAVE_PER_MESSAGE) / _PER_MESSAGE,
    "reactions": REACTIONS_PER_MESSAGE / _PER_MESSAGE,
}
#: Updates put into two streams (join/leave service messages), per update received.
DOUBLE_PUT_SHARE: Final = JOIN_LEAVE_PER_MESSAGE / _PER_MESSAGE

# The seed: Lambda defaults (128 MB, x86_64); a webhook that invokes a writer, which PUTs to S3.
SEED_MEMORY_GB: Final = 0.125
SEED_WEBHOOK_MS: Final = 20.0
SEED_WRITER_MS: Final = 30.0
SEED_ETL_MEMORY_GB: Final = 1.0
SEED_ETL_UPDATES_PER_SECOND_FALLBACK: Final = 265.0  # the figure, if replay has not run


_CONTEXT_VARIABLE: Final = re.compile(r"\$context\.[A-Za-z.]+")


def price(name: str) -> float:
    """The unit price called `name`."""
    return PRICES[name][0]


@dataclass(frozen=True)
class Line:
    """One line of a bill: what, the arithmetic, dollars."""

    item: str
    arithmetic: str
    usd: float


class Template:
    """The committed template, with parameter references resolved to their defaults."""

    def __init__(self, path: Path = TEMPLATE) -> None:
        self.document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        self.defaults = {k: v.get("Default") for k, v in self.document["Parameters"].items()}

    def value(self, node: Any) -> Any:
        """A literal; `{"Ref": parameter}` as its default; `Fn::If` as the branch the defaults take."""
        if isinstance(node, dict) and set(node) == {"Ref"} and node["Ref"] in self.defaults:
            return self.defaults[node["Ref"]]
        if isinstance(node, dict) and set(node) == {"Fn::If"}:
            name, yes, no = node["Fn::If"]
            return self.value(yes if self.condition(name) else no)
        return node

    def condition(self, name: str) -> bool:
        """A condition of the template (Equals / Not of parameters) at the defaults."""

        def evaluate(node: Any) -> Any:
            if isinstance(node, dict) and "Fn::Equals" in node:
                left, right = (evaluate(side) for side in node["Fn::Equals"])
                return str(left) == str(right)
            if isinstance(node, dict) and "Fn::Not" in node:
                return not evaluate(node["Fn::Not"][0])
            return self.value(node)

        return bool(evaluate(self.document["Conditions"][name]))

    def properties(self, resource_type: str) -> list[dict[str, Any]]:
        """The Properties of every resource of a type."""
        return [
            r.get("Properties", {})
            for r in self.document["Resources"].values()
            if r["Type"] == resource_type
        ]

    def function(self, handler: str) -> dict[str, Any]:
        """The Lambda function whose Handler starts with `handler`."""
        for props in self.properties("AWS::Lambda::Function"):
            if str(props.get("Handler", "")).startswith(handler):
                return props
        raise KeyError(handler)


def _lambda_gb_s_price(function: dict[str, Any]) -> float:
    arm = "arm64" in (function.get("Architectures") or ["x86_64"])
    return price("lambda_gb_s_arm64") if arm else price("lambda_gb_s_x86")


def _logs_at_info(template: Template, function: dict[str, Any]) -> tuple[bool, bool]:
    """Whether the function's INFO application logs and its platform lines reach CloudWatch."""
    config = function.get("LoggingConfig") or {}
    if config.get("LogFormat") != "JSON":
        return True, True  # Text format: the level settings do not apply
    app = str(template.value(config.get("ApplicationLogLevel", "INFO")))
    system = str(template.value(config.get("SystemLogLevel", "INFO")))
    # The application's own level (Powertools) quiets its lines below Lambda's filter.
    env = (function.get("Environment") or {}).get("Variables", {})
    own = str(template.value(env.get("POWERTOOLS_LOG_LEVEL", app)))
    verbose = ("TRACE", "DEBUG", "INFO")
    return app in verbose and own in verbose, system in ("DEBUG", "INFO")


def _measured_webhook() -> dict[str, float]:
    for figure in load().get("figures", []):
        if figure["name"] == "webhook_overhead_ms":
            detail = figure.get("detail", {})
            return {
                "ms": float(figure["value"]),
                "log_bytes": float(detail.get("log_bytes_per_update", 0.0)),
                "emf_bytes": float(detail.get("emf_bytes_per_update", 0.0)),
            }
    from benchmarks import webhook_overhead

    progress("cost: no webhook_overhead figure yet; measuring it")
    measured = webhook_overhead.measure()[0]
    return {
        "ms": measured.value,
        "log_bytes": float(measured.detail["log_bytes_per_update"]),
        "emf_bytes": float(measured.detail["emf_bytes_per_update"]),
    }


def _seed_etl_speed() -> float:
    for figure in load().get("figures", []):
        if figure["name"] == "replay_throughput_ratio" and figure.get("baseline"):
            speed: float = figure["baseline"]["value"]
            return speed
    return SEED_ETL_UPDATES_PER_SECOND_FALLBACK


def _access_log_bytes(template: Template) -> float:
    """One access-log event: the template's format with typical values filled in."""
    for stage in template.properties("AWS::ApiGatewayV2::Stage"):
        settings = template.value(stage.get("AccessLogSettings"))
        log_format = str((settings if isinstance(settings, dict) else {}).get("Format") or "")
        if log_format:
            # Each $context variable becomes a value of about 20 characters (ids, times, IPs).
            return float(len(_CONTEXT_VARIABLE.sub("x" * 20, log_format)))
    return 0.0


@dataclass(frozen=True)
class StreamLoad:
    """One delivery stream's share of the bill: its records, batches and objects."""

    table: str
    records: int
    batches: int  # archiver invocations, one raw archive object each
    parquet_objects: int
    processor_interval_s: float
    buffer_interval_s: float

    def interval_bound_extra(self) -> tuple[float, float]:
        """Extra archiver calls and Parquet objects at MESSAGES updates a month, when the
        intervals flush, not the sizes: one per interval with a record (Poisson arrivals)."""
        rate = self.records / SECONDS_PER_MONTH

        def flushes(interval: float) -> float:
            return SECONDS_PER_MONTH / interval * -math.expm1(-rate * interval)

        return (
            max(0.0, flushes(self.processor_interval_s) - self.batches),
            max(0.0, flushes(self.buffer_interval_s) - self.parquet_objects),
        )


def stream_loads(template: Template) -> list[StreamLoad]:
    """Each delivery stream's records for MESSAGES updates of the mix, and what they make."""
    resources = template.document["Resources"]
    loads = []
    for stream in template.properties("AWS::KinesisFirehose::DeliveryStream"):
        s3 = stream["ExtendedS3DestinationConfiguration"]
        schema = s3["DataFormatConversionConfiguration"]["SchemaConfiguration"]
        table = resources[schema["TableName"]["Ref"]]["Properties"]["TableInput"]["Name"]
        processor = {
            p["ParameterName"]: template.value(p["ParameterValue"])
            for p in s3["ProcessingConfiguration"]["Processors"][0]["Parameters"]
        }
        records = round(MESSAGES * UPDATE_MIX[table])
        raw_mib = records * (MESSAGE_BYTES + 1) / 1024**2  # the webhook appends "\n"
        loads.append(
            StreamLoad(
                table=table,
                records=records,
                batches=math.ceil(raw_mib / float(processor.get("BufferSizeInMBs", 1))),
                parquet_objects=math.ceil(
                    raw_mib / float(template.value(s3["BufferingHints"]["SizeInMBs"]))
                ),
                processor_interval_s=float(processor.get("BufferIntervalInSeconds", 60)),
                buffer_interval_s=float(template.value(s3["BufferingHints"]["IntervalInSeconds"])),
            )
        )
    return sorted(loads, key=lambda stream_load: -stream_load.records)


def our_bill(template: Template, webhook: dict[str, float]) -> tuple[list[Line], dict[str, Any]]:
    """Our design's lines for MESSAGES updates of MESSAGE_BYTES in UPDATE_MIX, from the template."""
    hook = template.function("functions.webhook")
    archiver = template.function("functions.archiver")
    loads = stream_loads(template)
    first = template.properties("AWS::KinesisFirehose::DeliveryStream")[0]
    s3 = first["ExtendedS3DestinationConfiguration"]
    buffer_mb = float(template.value(s3["BufferingHints"]["SizeInMBs"]))
    processor = {
        p["ParameterName"]: template.value(p["ParameterValue"])
        for p in s3["ProcessingConfiguration"]["Processors"][0]["Parameters"]
    }
    processor_mb = float(processor.get("BufferSizeInMBs", 1))
    api_type = template.properties("AWS::ApiGatewayV2::Api")[0].get("ProtocolType")
    memory_gb = float(hook["MemorySize"]) / 1024
    archiver_gb = float(archiver["MemorySize"]) / 1024
    env = hook["Environment"]["Variables"]
    secret_age = float(template.value(env.get("SECRET_MAX_AGE_SECONDS", 300)))

    record_bytes = MESSAGE_BYTES + 1  # the webhook appends "\n"
    records = sum(stream_load.records for stream_load in loads)
    doubles = records - MESSAGES  # join/leave service messages, put into two streams
    billed_ms = math.ceil(webhook["ms"] + PUT_RECORD_ROUND_TRIP_MS)  # Lambda bills per 1 ms
    # The second put follows the first within the same invocation.
    second_put_ms = math.ceil(webhook["ms"] + 2 * PUT_RECORD_ROUND_TRIP_MS) - billed_ms
    gb_s = (MESSAGES * billed_ms + doubles * second_put_ms) / 1000 * memory_gb
    ingested_gb = records * 5 * 1024 * math.ceil(record_bytes / (5 * 1024)) / 1024**3
    batches = sum(stream_load.batches for stream_load in loads)
    parquet_objects = sum(stream_load.parquet_objects for stream_load in loads)
    archiver_gb_s = batches * ARCHIVER_MS_PER_MIB * processor_mb / 1000 * archiver_gb
    secret_calls = SECONDS_PER_MONTH / secret_age  # one warm container at a steady 0.39/s
    list_age = float(template.value(env.get("ALLOW_LIST_MAX_AGE_SECONDS", 60)))
    # The allow-list: one GetParametersByPath per folder page (10 chats a page) per
    # refresh, one warm container; lookups of unknown groups and notes come on top.
    allow_list_calls = SECONDS_PER_MONTH / list_age
    info, platform = _logs_at_info(template, hook)
    access_log = _access_log_bytes(template)

    def event(size: float) -> float:
        # A log event is billed with ~26 bytes of its own; no line, no event.
        return size + LOG_EVENT_OVERHEAD_BYTES if size > 0 else 0.0

    per_message_log = (
        (event(webhook["log_bytes"]) if info else 0.0)
        + event(webhook["emf_bytes"])  # EMF metric lines are log events at any level
        + (PLATFORM_LOG_BYTES + 3 * LOG_EVENT_OVERHEAD_BYTES if platform else 0.0)
        + event(access_log)
    )
    log_gb = MESSAGES * per_message_log / 1024**3
    api_price = price("http_api_request") if api_type == "HTTP" else price("rest_api_request")
    per_stream = " + ".join(f"{stream_load.records:,} {stream_load.table}" for stream_load in loads)
    lines = [
        Line(
            f"{api_type} API requests",
            f"{MESSAGES:,} × ${api_price * 1e6:.2f}/M",
            MESSAGES * api_price,
        ),
        Line("webhook invocations", f"{MESSAGES:,} × $0.20/M", MESSAGES * price("lambda_request")),
        Line(
            "webhook compute",
            f"({MESSAGES:,} × {billed_ms} ms ({webhook['ms']:.2f} ms measured + "
            f"{PUT_RECORD_ROUND_TRIP_MS:g} ms PutRecord) + {doubles:,} second puts × "
            f"{second_put_ms} ms) × {memory_gb:g} GB = {gb_s:,.0f} GB-s",
            gb_s * _lambda_gb_s_price(hook),
        ),
        Line(
            "Firehose ingestion",
            f"{records:,} records ({per_stream}: {doubles:,} join/leave messages in two) "
            f"× 5 KB = {ingested_gb:.2f} GB × ${price('firehose_ingest_gb')}",
            ingested_gb * price("firehose_ingest_gb"),
        ),
        Line(
            "Firehose format conversion",
            f"{ingested_gb:.2f} GB × ${price('firehose_conversion_gb')}",
            ingested_gb * price("firehose_conversion_gb"),
        ),
        Line(
            "archiver",
            f"{batches:,} batches of at most {processor_mb:g} MiB over {len(loads)} streams × "
            f"({ARCHIVER_MS_PER_MIB:g} ms × {archiver_gb:g} GB) + invocations",
            archiver_gb_s * _lambda_gb_s_price(archiver) + batches * price("lambda_request"),
        ),
        Line(
            "S3 PUTs",
            f"{batches:,} raw archive objects + {parquet_objects} Parquet objects "
            f"({buffer_mb:g} MiB buffer, {len(loads)} streams)",
            (batches + parquet_objects) * price("s3_put"),
        ),
        Line(
            "Secrets Manager",
            f"{secret_calls:,.0f} GetSecretValue (cache {secret_age:g} s, one container, a month)",
            secret_calls * price("secrets_api_call"),
        ),
        Line(
            "SSM Parameter Store (allow-list)",
            f"{allow_list_calls:,.0f} GetParametersByPath (cache {list_age:g} s, one container, "
            "a month; standard parameters and throughput are free)",
            allow_list_calls * price("ssm_standard_api_call"),
        ),
        Line(
            "CloudWatch Logs",
            f"{per_message_log:,.0f} B/update (INFO line {'on' if info else 'off'}, "
            f"EMF {webhook['emf_bytes']:,.0f} B, platform lines {'on' if platform else 'off'}, "
            f"access log {'on' if access_log else 'off'}) = {log_gb:.2f} GB",
            log_gb * price("logs_ingest_gb"),
        ),
    ]
    # At 1M updates a month the intervals, not the sizes, flush every stream: an archiver
    # call and an archive object per processor interval, a Parquet object per buffer
    # interval, in each stream that got a record in that interval.
    interval_extra: dict[str, float] = {}
    for stream_load in loads:
        invocations, parquet = stream_load.interval_bound_extra()
        interval_extra[stream_load.table] = invocations * (
            price("s3_put") + price("lambda_request")
        ) + parquet * price("s3_put")
    facts = {
        "webhook_memory_mb": hook["MemorySize"],
        "webhook_billed_ms": billed_ms,
        "buffer_mb": buffer_mb,
        "processor_buffer_mb": processor_mb,
        "processor_interval_s": float(processor.get("BufferIntervalInSeconds", 60)),
        "secret_max_age_s": secret_age,
        "allow_list_max_age_s": list_age,
        "log_bytes_per_message": rounded(per_message_log),
        "update_mix": {
            "records_per_stream": {stream_load.table: stream_load.records for stream_load in loads},
            "put_twice": doubles,
            "join_leave_per_message": JOIN_LEAVE_PER_MESSAGE,
            "member_updates_per_message": MEMBER_UPDATES_PER_MESSAGE,
            "reactions_per_message": REACTIONS_PER_MESSAGE,
        },
        "at_1m_per_month_interval_bound_extra_usd": rounded(sum(interval_extra.values()), 3),
        "at_1m_per_month_interval_bound_extra_usd_by_stream": {
            table: rounded(usd, 3) for table, usd in interval_extra.items()
        },
    }
    return lines, facts


def seed_bill(webhook: dict[str, float], etl_updates_per_second: float) -> list[Line]:
    """The seed's design for the same messages, priced with the same table."""
    gb_s = MESSAGES * (SEED_WEBHOOK_MS + SEED_WRITER_MS) / 1000 * SEED_MEMORY_GB
    etl_seconds = MESSAGES / etl_updates_per_second
    log_gb = MESSAGES * 2 * (PLATFORM_LOG_BYTES + 3 * LOG_EVENT_OVERHEAD_BYTES) / 1024**3
    return [
        Line("REST API requests", f"{MESSAGES:,} × $3.50/M", MESSAGES * price("rest_api_request")),
        Line("two Lambdas' invocations", f"2 × {MESSAGES:,} × $0.20/M", 2 * MESSAGES * price("lambda_request")),
        Line(
            "two Lambdas' compute",
            f"{MESSAGES:,} × ({SEED_WEBHOOK_MS:g} + {SEED_WRITER_MS:g}) ms × {SEED_MEMORY_GB} GB x86",
            gb_s * price("lambda_gb_s_x86"),
        ),
        Line("S3 PUT per message", f"{MESSAGES:,} × $0.005/1,000", MESSAGES * price("s3_put")),
        Line("daily ETL: S3 GET per message", f"{MESSAGES:,} × $0.0004/1,000", MESSAGES * price("s3_get")),
        Line(
            "daily ETL: compute",
            f"{MESSAGES:,} ÷ {etl_updates_per_second:,.0f} updates/s (seed replay figure) = "
            f"{etl_seconds:,.0f} s × {SEED_ETL_MEMORY_GB:g} GB x86",
            etl_seconds * SEED_ETL_MEMORY_GB * price("lambda_gb_s_x86"),
        ),
        Line("CloudWatch Logs", f"platform lines of 2 Lambdas = {log_gb:.2f} GB", log_gb * price("logs_ingest_gb")),
    ]  # fmt: skip


def bill_table(lines: list[Line]) -> str:
    """A bill as a Markdown table (docs/deploy.md shows ours)."""
    rows = ["| item | arithmetic | USD |", "|---|---|---:|"]
    rows += [f"| {line.item} | {line.arithmetic} | {line.usd:.3f} |" for line in lines]
    rows.append(f"| **total** | | **{sum(line.usd for line in lines):.2f}** |")
    return "\n".join(rows)


def measure() -> list[Figure]:
    """Our cost per million updates and the seed design's, from the template and the run."""
    template = Template()
    webhook = _measured_webhook()
    ours, facts = our_bill(template, webhook)
    seed = seed_bill(webhook, _seed_etl_speed())
    ours_usd, seed_usd = sum(line.usd for line in ours), sum(line.usd for line in seed)
    share = ours_usd / seed_usd
    without_logs = sum(line.usd for line in ours if line.item != "CloudWatch Logs")
    progress("cost: our bill per million updates\n" + bill_table(ours))
    return [
        Figure(
            name="cost_per_million_usd",
            value=round(ours_usd, 2),
            unit="USD per 1M updates of 1 KB (messages, reactions, membership changes)",
            goal=f"<= ${GOAL_USD:.2f} and <= 1/5 of the seed design",
            met=ours_usd <= GOAL_USD and share <= GOAL_SEED_SHARE,
            baseline={
                "name": "seed design: REST API, two Lambdas and one S3 object per message, daily ETL",
                "value": round(seed_usd, 2),
                "unit": "USD per 1M messages",
                "share": rounded(share, 3),
                "lines": {line.item: round(line.usd, 3) for line in seed},
            },
            detail={
                "lines": {line.item: round(line.usd, 3) for line in ours},
                "without_logs_usd": round(without_logs, 2),
                "bound": "the parts the design requires cost nearly the goal: HTTP API $1.00 + "
                "webhook invocations $0.20 + Firehose ingestion (each record billed as 5 KB; "
                "join/leave messages are two records, one per table's stream) $0.14 + format "
                "conversion $0.09 = $1.43 per million. The functions already log JSON at WARN "
                "with Lambda's platform lines off; what remains in CloudWatch Logs is the EMF "
                "metrics line and, when on, the access log. A Lambda function URL instead of "
                "the HTTP API would save $1.00 but lose API Gateway throttling. At low traffic "
                "the buffer intervals, not the sizes, flush each stream: "
                "at_1m_per_month_interval_bound_extra_usd, most of it the two engagement "
                "streams' archiver calls and objects",
                "template": facts,
                "prices_date": PRICES_DATE,
                "prices": {
                    k: {"usd": v[0], "unit": v[1], "source": v[2]} for k, v in PRICES.items()
                },
            },
        )
    ]


if __name__ == "__main__":
    main(measure)
