"""The Athena runner against moto (canned results) and botocore's Stubber (failure paths)."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws
from moto.athena.models import QueryResults, athena_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_api import state_manager

from glue_schema.views import QueryParameters, query_names
from local.generator import DEFAULT_CHAT_ID, generate_updates
from local.stack import LocalStack, StackConfig
from scripts import dashboard
from scripts.athena import AthenaQueryError, AthenaResult, AthenaRunner, typed_value
from scripts.cli import main

REGION = "us-east-1"
WORKGROUP = "tgpipe"
DATABASE = "tgpipe_db"


class FakeClock:
    """A clock that moves only when the runner sleeps; records each sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def athena(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto Athena with the stack's workgroup; executions need two polls to finish."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    state_manager.set_transition(
        model_name="athena::execution", transition={"progression": "manual", "times": 1}
    )
    try:
        with mock_aws():
            client = boto3.client("athena", region_name=REGION)
            client.create_work_group(
                Name=WORKGROUP,
                Configuration={"ResultConfiguration": {"OutputLocation": "s3://results/x/"}},
            )
            yield client
    finally:
        state_manager.unset_transition("athena::execution")


def queue_result(rows: Sequence[Sequence[str | None]], columns: Sequence[tuple[str, str]]) -> None:
    """Queue one canned result in moto, in Athena's wire shape (header row first)."""
    header = [{"VarCharValue": name} for name, _ in columns]
    data = [[{} if value is None else {"VarCharValue": value} for value in row] for row in rows]
    info = [
        {"Name": name, "Label": name, "Type": kind, "Nullable": "UNKNOWN", "CaseSensitive": True}
        for name, kind in columns
    ]
    backend = athena_backends[DEFAULT_ACCOUNT_ID][REGION]
    backend.query_results_queue.append(
        QueryResults(rows=[{"Data": header}] + [{"Data": r} for r in data], column_info=info)
    )


def runner_for(client: Any, clock: FakeClock | None = None, **options: Any) -> AthenaRunner:
    clock = clock or FakeClock()
    return AthenaRunner(
        client,
        workgroup=WORKGROUP,
        database=DATABASE,
        sleep=clock.sleep,
        clock=clock.time,
        **options,
    )


# -- moto: the happy path -------------------------------------------------------------------


def test_a_query_runs_in_the_workgroup_and_returns_typed_rows(athena: Any) -> None:
    # GIVEN a canned result with one column of each type the dashboards use
    columns = [
        ("day", "date"),
        ("messages", "bigint"),
        ("edited_pct", "double"),
        ("title", "varchar"),
        ("is_bot", "boolean"),
        ("sent_at", "timestamp"),
        ("share", "decimal"),
    ]
    queue_result(
        [
            [
                "2026-01-02",
                "42",
                "5.25",
                "Vendas <Brasil> 🇧🇷",
                "false",
                "2026-01-02 03:04:05.678",
                "1.50",
            ],
            ["2026-01-03", "7", "NaN", None, "true", "2026-01-03 00:00:00.000", None],
        ],
        columns,
    )
    clock = FakeClock()
    # WHEN it runs
    result = runner_for(athena, clock).run("SELECT 1")
    # THEN the header row is gone and every value has its column's type
    assert result.columns == [name for name, _ in columns]
    assert result.rows[0] == (
        dt.date(2026, 1, 2),
        42,
        5.25,
        "Vendas <Brasil> 🇧🇷",
        False,
        dt.datetime(2026, 1, 2, 3, 4, 5, 678000),
        decimal.Decimal("1.50"),
    )
    assert math.isnan(result.rows[1][2])
    assert result.rows[1][3] is None
    assert result.rows[1][6] is None
    assert result.data_scanned_bytes == 0
    # AND it ran in the workgroup and database, polled until SUCCEEDED (moto: two polls)
    execution = athena.get_query_execution(QueryExecutionId=result.execution_id)["QueryExecution"]
    assert execution["WorkGroup"] == WORKGROUP
    assert execution["QueryExecutionContext"]["Database"] == DATABASE
    assert execution["Query"] == "SELECT 1"
    assert len(clock.sleeps) >= 1


def test_the_runner_renders_placeholders_before_sending(athena: Any) -> None:
    queue_result([["3"]], [("n", "integer")])
    runner = runner_for(athena)
    columns, rows = runner.query(
        "SELECT {{days}} AS n, {{tz}} AS zone", QueryParameters(days=3, tz="America/Sao_Paulo")
    )
    assert (columns, rows) == (["n"], [(3,)])
    (execution_id,) = athena.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
    sent = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]["Query"]
    assert sent == "SELECT 3 AS n, 'America/Sao_Paulo' AS zone"


def test_an_unknown_placeholder_is_refused_before_anything_is_sent(athena: Any) -> None:
    with pytest.raises(AthenaQueryError, match="unknown placeholder"):
        runner_for(athena).query("SELECT {{chat}}", QueryParameters())
    assert athena.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"] == []


def _athena_wire(
    columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> tuple[list[Any], list[Any]]:
    """A local result as Athena would send it: text values and column types."""

    def kind(values: list[Any]) -> str:
        sample = next((v for v in values if v is not None), "")
        if isinstance(sample, bool):
            return "boolean"
        if isinstance(sample, int):
            return "bigint"
        if isinstance(sample, float):
            return "double"
        if isinstance(sample, dt.datetime):
            return "timestamp"
        if isinstance(sample, dt.date):
            return "date"
        return "varchar"

    def text(value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, dt.datetime):
            return value.isoformat(sep=" ", timespec="milliseconds")  # 2026-01-02 03:04:05.000
        return str(value)

    kinds = [kind([row[i] for row in rows]) for i in range(len(columns))]
    text_rows = [[text(v) for v in row] for row in rows]
    return list(zip(columns, kinds, strict=True)), text_rows


def test_the_athena_dashboard_draws_the_same_charts_as_the_local_one(
    athena: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a small lake, and moto answering each query with what the local engine answers
    lake = tmp_path / "lake"
    saved = dict(os.environ)
    try:
        with LocalStack(StackConfig(lake, frozenset({DEFAULT_CHAT_ID}))) as stack:
            for update in generate_updates(
                300, seed=4, start_time=int(dt.datetime.now().timestamp()) - 86400
            ):
                stack.handle(update.body)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    parameters = QueryParameters(days=30, tz="America/Sao_Paulo")
    local_path, local_results = dashboard.local_dashboard(lake, tmp_path / "local.html", parameters)
    for result in sorted(local_results, key=lambda r: r.name):
        columns, rows = _athena_wire(result.columns, result.rows)
        queue_result(rows, columns)
    # WHEN the Athena dashboard runs the queries one at a time (so moto's queue order holds)
    monkeypatch.setattr(dashboard, "ATHENA_WORKERS", 1)
    athena_path, athena_results = dashboard.athena_dashboard(
        runner_for(athena), tmp_path / "athena.html", parameters, "Athena workgroup tgpipe"
    )
    # THEN every query succeeded with the same typed rows, and the charts are identical
    assert [r.name for r in athena_results] == list(query_names())
    for local_result, athena_result in zip(local_results, athena_results, strict=True):
        assert athena_result.error is None
        assert athena_result.rows == [tuple(row) for row in local_result.rows], local_result.name
        assert athena_result.data_scanned_bytes == 0
    local_main = local_path.read_text().split("<main>")[1]
    athena_main = athena_path.read_text().split("<main>")[1]
    assert athena_main.replace(" · 0 bytes scanned", "") == local_main


def test_tgpipe_dashboard_athena_writes_the_page_and_reports_bytes_scanned(
    athena: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # moto answers every query with no rows and no columns: each panel explains it.
    output = tmp_path / "page.html"
    code = main(
        [
            "dashboard",
            "--athena",
            "--workgroup",
            WORKGROUP,
            "--database",
            DATABASE,
            "--region",
            REGION,
            "-o",
            str(output),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert f"dashboard     {output.resolve()}" in printed
    assert "top_senders" in printed
    assert "0 bytes scanned" in printed
    page = output.read_text()
    assert f"Athena workgroup {WORKGROUP}, database {DATABASE}, region {REGION}" in page
    executions = athena.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
    assert len(executions) == len(query_names())


def test_athena_flags_without_workgroup_are_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["dashboard", "--athena", "--database", DATABASE, "-o", str(tmp_path / "x.html")])
    assert code == 2
    assert "--athena needs --workgroup" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


# -- Stubber: failure paths -----------------------------------------------------------------


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    """A real Athena client whose responses the test scripts."""
    client = boto3.client("athena", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _start(stubber: Stubber, execution_id: str = "q-1") -> None:
    stubber.add_response(
        "start_query_execution",
        {"QueryExecutionId": execution_id},
        {
            "QueryString": ANY,
            "QueryExecutionContext": {"Database": DATABASE},
            "WorkGroup": WORKGROUP,
        },
    )


def _state(
    stubber: Stubber,
    state: str,
    reason: str | None = None,
    scanned: int = 0,
    execution_id: str = "q-1",
) -> None:
    status: dict[str, Any] = {"State": state}
    if reason is not None:
        status["StateChangeReason"] = reason
    stubber.add_response(
        "get_query_execution",
        {
            "QueryExecution": {
                "QueryExecutionId": execution_id,
                "Status": status,
                "Statistics": {"DataScannedInBytes": scanned},
            }
        },
        {"QueryExecutionId": execution_id},
    )


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ("FAILED", "SYNTAX_ERROR: line 1:8: Column 'nope' cannot be resolved"),
        ("CANCELLED", "Query cancelled by user"),
    ],
)
def test_a_failed_or_cancelled_query_reports_athenas_reason(
    stubbed: tuple[Any, Stubber], state: str, reason: str
) -> None:
    client, stubber = stubbed
    _start(stubber)
    _state(stubber, "QUEUED")
    _state(stubber, "RUNNING")
    _state(stubber, state, reason)
    with pytest.raises(AthenaQueryError) as caught:
        runner_for(client).run("SELECT nope")
    assert str(caught.value) == f"query {state}: {reason}"
    assert caught.value.state == state
    assert caught.value.execution_id == "q-1"


def test_a_query_still_running_at_the_timeout_is_stopped(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    clock = FakeClock()
    _start(stubber)
    for _ in range(5):  # at 0, 0.5, 1.5, 3.5 and 5 s
        _state(stubber, "RUNNING")
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-1"})
    runner = runner_for(
        client, clock, timeout_seconds=5.0, first_poll_seconds=0.5, max_poll_seconds=2.0
    )
    with pytest.raises(AthenaQueryError, match=r"still RUNNING after 5 s; stopped it"):
        runner.run("SELECT slow")
    # Backoff doubles up to the cap, and the last wait ends exactly at the deadline.
    assert clock.sleeps == [0.5, 1.0, 2.0, 1.5]


def test_a_refused_query_reports_the_service_message(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "start_query_execution",
        service_error_code="InvalidRequestException",
        service_message="WorkGroup tgpipe is disabled.",
        http_status_code=400,
    )
    with pytest.raises(AthenaQueryError) as caught:
        runner_for(client).run("SELECT 1")
    assert str(caught.value) == (
        "Athena refused the query: InvalidRequestException: WorkGroup tgpipe is disabled."
    )


def test_all_pages_are_read_and_bytes_scanned_reported(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    _start(stubber)
    _state(stubber, "SUCCEEDED", scanned=123_456)
    info = {"ColumnInfo": [{"Name": "n", "Type": "bigint"}, {"Name": "tag", "Type": "varchar"}]}

    def row(*values: str) -> dict[str, Any]:
        return {"Data": [{"VarCharValue": v} for v in values]}

    stubber.add_response(
        "get_query_results",
        {
            "ResultSet": {"Rows": [row("n", "tag"), row("1", "#a")], "ResultSetMetadata": info},
            "NextToken": "page-2",
        },
        {"QueryExecutionId": "q-1", "MaxResults": 1000},
    )
    stubber.add_response(
        "get_query_results",
        # Only the first page starts with the header row.
        {"ResultSet": {"Rows": [row("2", "#b"), row("3", "tag")], "ResultSetMetadata": info}},
        {"QueryExecutionId": "q-1", "MaxResults": 1000, "NextToken": "page-2"},
    )
    result = runner_for(client).run("SELECT n, tag")
    assert result == AthenaResult(
        "q-1", ["n", "tag"], ["bigint", "varchar"], [(1, "#a"), (2, "#b"), (3, "tag")], 123_456
    )


def test_an_error_reading_results_names_the_execution(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    _start(stubber)
    _state(stubber, "SUCCEEDED")
    stubber.add_client_error(
        "get_query_results",
        service_error_code="InvalidRequestException",
        service_message="Query has not yet finished.",
    )
    with pytest.raises(AthenaQueryError, match="could not read the results") as caught:
        runner_for(client).run("SELECT 1")
    assert caught.value.execution_id == "q-1"


class _FailingForOne:
    """A runner double: one query FAILED on Athena, the others return no rows."""

    def __init__(self, failing_fragment: str) -> None:
        self.failing_fragment = failing_fragment

    def run(self, sql: str) -> AthenaResult:
        if self.failing_fragment in sql:
            raise AthenaQueryError("query FAILED: <Access Denied> & more", state="FAILED")
        return AthenaResult("q", ["n"], ["bigint"], [], 10)


def test_a_failed_athena_query_shows_its_error_in_its_panel(tmp_path: Path) -> None:
    path, results = dashboard.athena_dashboard(
        _FailingForOne("UNNEST(hashtags)"), tmp_path / "p.html", QueryParameters(), "Athena"
    )
    failed = [r for r in results if r.error is not None]
    assert [r.name for r in failed] == ["top_hashtags"]
    page = path.read_text()
    assert "query FAILED: &lt;Access Denied&gt; &amp; more" in page
    assert "<Access Denied>" not in page


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("12", "integer", 12),
        ("-1001234567890", "bigint", -1001234567890),
        ("2.5", "real", 2.5),
        ("Infinity", "double", math.inf),
        ("10.25", "decimal(10,2)", decimal.Decimal("10.25")),
        ("[#a, #b]", "array", "[#a, #b]"),
        ("2026-01-02 03:04:05.000 UTC", "timestamp with time zone", "2026-01-02 03:04:05.000 UTC"),
        (None, "bigint", None),
    ],
)
def test_typed_value(text: str | None, kind: str, value: Any) -> None:
    assert typed_value(text, kind) == value
