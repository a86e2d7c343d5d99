"""Firehose's record format conversion, locally: JSON rows → Arrow → Parquet (SNAPPY).

Reads each transformed record as Firehose's OpenX JSON SerDe deserializer does
(defaults: `case.insensitive` true, dots in keys kept) against a Glue table from
`glue_schema`, and reports every record whose values do not fit their columns,
so that record alone goes to `errors/format-conversion-failed/`. The rules, and
the AWS pages they follow, are listed in docs/local-stack.md.

Columns are converted whole: one Python list per column, one `pa.array` per
column; only a column whose fast conversion fails is walked value by value.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from functions import jsoncodec
from glue_schema import MESSAGES, Table
from glue_schema.tables import arrow_schema

#: The error code Firehose writes for a record that does not fit the schema (seen in
#: real format-conversion-failed records; the docs list the field, not its values).
MALFORMED_DATA: Final = "DataFormatConversion.MalformedData"
EMPTY_RECORD_MESSAGE: Final = "The record was empty or contained only whitespace."
PARQUET_COMPRESSION: Final = "snappy"

INT64_RANGE: Final = (-(2**63), 2**63 - 1)
INT32_RANGE: Final = (-(2**31), 2**31 - 1)
#: Timestamps Athena and Python can both hold: 0001-01-01 .. 9999-12-31 23:59:59.999 UTC.
TIMESTAMP_MS_RANGE: Final = (-62135596800000, 253402300799999)
#: OpenX's rule: an integer epoch with at least as many digits as "1454612111000" is millis.
EPOCH_MILLIS_MIN_DIGITS: Final = 13

#: Records converted at a time; `read` joins the slices into one table.
READ_CHUNK_RECORDS: Final = 16_384

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NONE = type(None)
#: `yyyy-[M]M-[d]d HH:mm:ss[.S]` (java.sql.Timestamp.valueOf), fraction up to 9 digits.
_SQL_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?", re.ASCII
)
#: `yyyy-MM-dd'T'HH:mm:ss[.S]'Z'`, fraction up to 9 digits.
_ISO_UTC_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z", re.ASCII
)
_DECIMAL_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_HEX_INTEGER = re.compile(r"0[xX]([0-9a-fA-F]+)", re.ASCII)
_DECIMAL_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
#: What the row shaper writes (the fast path); anything else takes the exact path.
_CANONICAL_TIMESTAMP_RE2 = (
    r"^([1-9]\d{3}|0[1-9]\d{2}|00[1-9]\d|000[1-9])-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,3})?$"
)


class ValueMismatch(ValueError):
    """A JSON value that does not fit its column (the message names no value)."""


@dataclass(frozen=True)
class ConversionFailure:
    """One input record that goes to format-conversion-failed, and why."""

    index: int
    code: str
    message: str


@dataclass(frozen=True)
class Conversion:
    """The rows of the records that fit, and the records that did not."""

    table: pa.Table
    row_records: list[int]
    failures: list[ConversionFailure]


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if isinstance(value, float):
        return "a fractional number"
    if isinstance(value, int) and not isinstance(value, bool):
        return "an integer"
    return names.get(type(value), type(value).__name__)


def _integer(value: Any, bounds: tuple[int, int], glue_type: str) -> int | None:
    """OpenX JavaString{Long,Int}ObjectInspector: a JSON integer, or a string parsed as one."""
    if value is None:
        return None
    if type(value) is int:
        number = value
    elif type(value) is str:
        hex_match = _HEX_INTEGER.fullmatch(value)
        if hex_match:
            number = int(hex_match.group(1), 16)
        elif _DECIMAL_INTEGER.fullmatch(value):
            number = _decimal_int(value, glue_type)
        else:
            raise ValueMismatch(
                f"a string that is not a decimal or 0x integer is not a {glue_type}"
            )
    else:
        raise ValueMismatch(f"{_json_type(value)} is not a {glue_type}")
    if not bounds[0] <= number <= bounds[1]:
        raise ValueMismatch(f"an integer out of the {glue_type} range")
    return number


def _decimal_int(text: str, glue_type: str) -> int:
    # Python refuses to parse more than 4300 digits; Java's parseLong fails on them too.
    try:
        return int(text)
    except ValueError:
        raise ValueMismatch(f"an integer out of the {glue_type} range") from None


def _seconds_to_millis(seconds: float) -> int:
    """Java's (long) cast of seconds * 1000; a double too large for that is out of range."""
    try:
        return int(seconds * 1000)
    except (OverflowError, ValueError):
        raise ValueMismatch("a timestamp outside years 0001-9999") from None


def to_bigint(value: Any) -> int | None:
    """A `bigint` column's value (64-bit)."""
    return _integer(value, INT64_RANGE, "bigint")


def to_int(value: Any) -> int | None:
    """An `int` column's value (32-bit)."""
    return _integer(value, INT32_RANGE, "int")


def to_string(value: Any) -> str | None:
    """A `string` column's value: strings as they are, anything else as its JSON text."""
    if value is None or type(value) is str:
        return value
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    try:
        return jsoncodec.dumps(value).decode("utf-8")
    except jsoncodec.InvalidJson:
        # orjson writes no integer beyond 64 bits; such values only come from the
        # several-documents path, whose stdlib decoder keeps them whole.
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def to_boolean(value: Any) -> bool | None:
    """A `boolean` column's value: a JSON boolean, or a string (true when it is "true", any case)."""
    if value is None or type(value) is bool:
        return value
    if type(value) is str:
        # Java's Boolean.parseBoolean, which the OpenX SerDe calls for strings.
        return value.lower() == "true"
    raise ValueMismatch(f"{_json_type(value)} is not a boolean")


def to_double(value: Any) -> float | None:
    """A `double` column's value: a JSON number, or a string holding one."""
    if value is None:
        return None
    try:
        if type(value) in (int, float):
            return float(value)
        if type(value) is str and _DECIMAL_FLOAT.fullmatch(value):
            return float(value)
    except OverflowError:
        raise ValueMismatch("a number beyond the double range") from None
    raise ValueMismatch(f"{_json_type(value)} is not a double")


def _datetime_millis(match: re.Match[str]) -> int:
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise ValueMismatch("a date-time that is not on the calendar") from None
    fraction = (match.group(7) or "").ljust(3, "0")[:3]
    return (moment - _EPOCH) // timedelta(milliseconds=1) + int(fraction)


def _epoch_integer_millis(digits: str, number: int) -> int:
    return number if len(digits) >= EPOCH_MILLIS_MIN_DIGITS else number * 1000


def to_timestamp_millis(value: Any) -> int | None:
    """A `timestamp` column's value, as UTC epoch milliseconds, by the forms Firehose documents.

    `yyyy-MM-dd'T'HH:mm:ss[.S]'Z'`, `yyyy-[M]M-[d]d HH:mm:ss[.S]`, epoch seconds,
    epoch milliseconds (13 digits or more, OpenX's rule) and fractional epoch
    seconds; as a JSON number or a string. Sub-millisecond digits are truncated.
    """
    if value is None:
        return None
    if type(value) is int:
        millis = _epoch_integer_millis(str(value), value)
    elif type(value) is float:
        # Java's (long) cast of seconds * 1000: truncation toward zero.
        millis = _seconds_to_millis(value)
    elif type(value) is str:
        millis = _string_timestamp_millis(value)
    else:
        raise ValueMismatch(f"{_json_type(value)} is not a timestamp")
    if not TIMESTAMP_MS_RANGE[0] <= millis <= TIMESTAMP_MS_RANGE[1]:
        raise ValueMismatch("a timestamp outside years 0001-9999")
    return millis


def _string_timestamp_millis(text: str) -> int:
    # The OpenX SerDe's order: a ':' means a date-time, a '.' a fractional epoch,
    # anything else an integer epoch.
    if text.find(":") > 0:
        match = _ISO_UTC_TIMESTAMP.fullmatch(text) or _SQL_TIMESTAMP.fullmatch(text)
        if match is None:
            raise ValueMismatch("a string in none of the documented timestamp formats")
        return _datetime_millis(match)
    if "." in text:
        if not _DECIMAL_FLOAT.fullmatch(text):
            raise ValueMismatch("a string in none of the documented timestamp formats")
        return _seconds_to_millis(float(text))
    if not _DECIMAL_INTEGER.fullmatch(text):
        raise ValueMismatch("a string in none of the documented timestamp formats")
    return _epoch_integer_millis(text.lstrip("+-"), _decimal_int(text, "timestamp"))


Coercer = Callable[[Any], Any]
_SCALAR_COERCERS: Final[dict[str, Coercer]] = {
    "bigint": to_bigint,
    "int": to_int,
    "string": to_string,
    "boolean": to_boolean,
    "double": to_double,
    "timestamp": to_timestamp_millis,
}
#: Python types a column's values may have for the whole column to go straight to Arrow.
_FAST_TYPES: Final[dict[str, frozenset[type]]] = {
    "bigint": frozenset({int, _NONE}),
    "int": frozenset({int, _NONE}),
    "string": frozenset({str, _NONE}),
    "boolean": frozenset({bool, _NONE}),
    "double": frozenset({float, _NONE}),
    "timestamp": frozenset({str, _NONE}),
}


def _element_type(glue_type: str) -> str | None:
    if glue_type.startswith("array<") and glue_type.endswith(">"):
        return glue_type[len("array<") : -1]
    return None


def coercer(glue_type: str) -> Coercer:
    """The function that turns one JSON value into a column value (ValueMismatch if it can't)."""
    element = _element_type(glue_type)
    if element is None:
        return _SCALAR_COERCERS[glue_type]
    convert_element = coercer(element)

    def to_array(value: Any) -> list[Any] | None:
        if value is None:
            return None
        if type(value) is not list:
            raise ValueMismatch(f"{_json_type(value)} is not an {glue_type}")
        return [convert_element(item) for item in value]

    return to_array


def _fast_array(values: list[Any], glue_type: str, arrow: pa.DataType) -> pa.Array | None:
    """The column straight from Python values when they already have the column's form."""
    element = _element_type(glue_type)
    try:
        if element is None:
            if not set(map(type, values)) <= _FAST_TYPES[glue_type]:
                return None
            if glue_type == "timestamp":
                strings = pa.array(values, pa.string())
                if not pc.all(pc.match_substring_regex(strings, _CANONICAL_TIMESTAMP_RE2)).as_py():
                    return None
                return strings.cast(arrow)
            return pa.array(values, arrow)
        if element == "timestamp" or not set(map(type, values)) <= {list, _NONE}:
            return None
        allowed = _FAST_TYPES[element]
        if not all(type(item) in allowed for value in values if value for item in value):
            return None
        return pa.array(values, arrow)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("number is infinity when parsed as double")
    return value


_MULTI_DOCUMENT_DECODER = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_finite_float
)


def _valid_unicode(document: Any) -> Any:
    """The document, unless a \\u escape left a lone UTF-16 surrogate in one of its strings."""
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError, ValueError):
        raise ValueMismatch("The record holds a lone UTF-16 surrogate, not Unicode.") from None
    return document


def _documents(data: bytes) -> list[Any]:
    """The JSON documents of one record: Firehose accepts several back to back (`{..}{..}`)."""
    try:
        return [jsoncodec.loads(data)]
    except jsoncodec.InvalidJson:
        pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueMismatch("The record is not valid UTF-8 JSON.") from None
    documents: list[Any] = []
    position = 0
    while True:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        if position == len(text):
            return documents
        try:
            document, position = _MULTI_DOCUMENT_DECODER.raw_decode(text, position)
        except (ValueError, RecursionError):
            raise ValueMismatch("The record is not valid JSON.") from None
        # orjson refuses lone surrogates; the stdlib decoder takes them, so check here.
        documents.append(_valid_unicode(document))


class OpenXJsonReader:
    """Reads JSON records into a Glue table's columns as the OpenX JSON SerDe does."""

    def __init__(self, table: Table = MESSAGES, *, case_insensitive: bool = True) -> None:
        self.table = table
        self.case_insensitive = case_insensitive
        self.schema = arrow_schema(table)
        self._names = table.column_names
        self._name_set = frozenset(self._names)
        self._getters = [operator.itemgetter(name) for name in self._names]
        self._coercers = [coercer(column.type) for column in table.columns]

    def _keyed(self, document: dict[str, Any]) -> dict[str, Any]:
        """The document with its keys as the SerDe sees them (lowercased when case-insensitive)."""
        if not self.case_insensitive or document.keys() <= self._name_set:
            return document
        keyed: dict[str, Any] = {}
        for key, value in document.items():
            folded = key.lower()
            if folded in keyed:
                # The OpenX SerDe fails such a row with "Duplicate key" (a known Athena error).
                raise ValueMismatch("Two keys differ only in case (duplicate key).")
            keyed[folded] = value
        return keyed

    def read(self, records: Sequence[bytes]) -> Conversion:
        """Convert records (each one or more JSON objects) into one Arrow table."""
        if len(records) <= READ_CHUNK_RECORDS:
            return self._read_chunk(records, 0)
        # A big batch (a replayed day, a 128 MiB buffer) in slices: holding every record's
        # decoded object at once costs more per row as the batch grows (memory traffic).
        parts = [
            self._read_chunk(records[start : start + READ_CHUNK_RECORDS], start)
            for start in range(0, len(records), READ_CHUNK_RECORDS)
        ]
        return Conversion(
            pa.concat_tables([part.table for part in parts]).combine_chunks(),
            [index for part in parts for index in part.row_records],
            [failure for part in parts for failure in part.failures],
        )

    def _read_chunk(self, records: Sequence[bytes], first_index: int) -> Conversion:
        """`read` for records numbered from `first_index`."""
        failures: dict[int, ConversionFailure] = {}
        documents: list[dict[str, Any]] = []
        row_records: list[int] = []
        names = self._name_set
        for index, data in enumerate(records, start=first_index):
            # Fast path, same outcome: one JSON object whose keys are all column names
            # (what the row shaper writes) is kept as it is. Anything else, including
            # every record that fails, takes the whole way below.
            try:
                document = jsoncodec.loads(data)
            except jsoncodec.InvalidJson:
                document = None
            if type(document) is dict and document.keys() <= names:
                documents.append(document)
                row_records.append(index)
                continue
            if not data.strip():
                failures[index] = ConversionFailure(index, MALFORMED_DATA, EMPTY_RECORD_MESSAGE)
                continue
            try:
                parsed = [self._object(document) for document in _documents(data)]
            except ValueMismatch as error:
                failures[index] = ConversionFailure(index, MALFORMED_DATA, str(error))
                continue
            documents.extend(parsed)
            row_records.extend([index] * len(parsed))
        arrays = []
        for column, convert, field, values in zip(
            self.table.columns, self._coercers, self.schema, self._columns(documents), strict=True
        ):
            array = _fast_array(values, column.type, field.type)
            if array is None:
                array = self._exact_array(
                    column.name, column.type, values, convert, field.type, row_records, failures
                )
            arrays.append(array)
        table = pa.Table.from_arrays(arrays, schema=self.schema)
        if failures:
            keep = [index not in failures for index in row_records]
            table = table.filter(pa.array(keep, pa.bool_()))
            row_records = [index for index in row_records if index not in failures]
        return Conversion(table, row_records, sorted(failures.values(), key=lambda f: f.index))

    def _columns(self, documents: list[dict[str, Any]]) -> list[list[Any]]:
        """One list of values per column (None where a key is missing)."""
        if not documents:
            return [[] for _ in self._names]
        if len(self._names) > 1 and all(d.keys() == self._name_set for d in documents):
            # Every key present (what the row shaper writes): one C-level pass per column.
            return [list(map(getter, documents)) for getter in self._getters]
        # Rows leave null columns out (the archiver does): a missing key reads as None.
        # Filling them in first (one C-level dict merge a row) keeps the column pass fast.
        empty = dict.fromkeys(self._names)
        filled = [{**empty, **document} for document in documents]
        return [list(map(getter, filled)) for getter in self._getters]

    def _object(self, document: Any) -> dict[str, Any]:
        if not isinstance(document, dict):
            raise ValueMismatch(f"The record holds {_json_type(document)}, not a JSON object.")
        return self._keyed(document)

    @staticmethod
    def _exact_array(
        name: str,
        glue_type: str,
        values: list[Any],
        convert: Coercer,
        arrow: pa.DataType,
        row_records: list[int],
        failures: dict[int, ConversionFailure],
    ) -> pa.Array:
        """The column value by value; a value that does not fit fails its record only."""
        converted: list[Any] = []
        for row, value in enumerate(values):
            try:
                converted.append(convert(value))
            except ValueMismatch as error:
                index = row_records[row]
                failures.setdefault(
                    index,
                    ConversionFailure(
                        index, MALFORMED_DATA, f"Column {name} ({glue_type}): {error}."
                    ),
                )
                converted.append(None)
        if glue_type == "timestamp":
            return pa.array(converted, pa.int64()).cast(arrow)
        if _element_type(glue_type) == "timestamp":
            return pa.array(converted, pa.list_(pa.int64())).cast(arrow)
        return pa.array(converted, arrow)


def convert_records(records: Sequence[bytes], table: Table = MESSAGES) -> Conversion:
    """Convert records with the OpenX JSON SerDe's default options."""
    return OpenXJsonReader(table).read(records)


def parquet_bytes(table: pa.Table) -> bytes:
    """The table as one Parquet file (SNAPPY), in memory."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression=PARQUET_COMPRESSION)
    return bytes(sink.getvalue().to_pybytes())
