"""One JSON codec for the whole project, with the same rules on every platform.

orjson is used where it is installed (local stack, replay); the Lambda package
falls back to the stdlib with the same strictness: NaN/Infinity rejected,
integers beyond 64 bits read as floats, a BOM rejected, nesting limited, so a
body accepted in one place is accepted everywhere.
"""

from __future__ import annotations

import json
import math
from typing import Any

_orjson: Any
try:  # pragma: no cover - which branch runs depends on the platform
    import orjson as _orjson
except ImportError:  # pragma: no cover
    _orjson = None

#: orjson's fixed recursion limit; the stdlib fallback enforces the same.
MAX_DEPTH = 1024
_INT_MIN = -(2**63)
_UINT_MAX = 2**64 - 1


class InvalidJson(ValueError):
    """The bytes are not one JSON document this project accepts."""


def _reject_constant(name: str) -> Any:
    raise InvalidJson(f"{name} is not valid JSON")


def _bounded_int(text: str) -> int | float:
    # As orjson: integers beyond 64 bits become floats (never a valid id).
    value = int(text)
    if not _INT_MIN <= value <= _UINT_MAX:
        return float(value)
    return value


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise InvalidJson("number is infinity when parsed as double")
    return value


def _depth_exceeds(raw: bytes, limit: int) -> bool:
    """True when brackets nest deeper than `limit` (strings are skipped)."""
    depth = 0
    in_string = False
    escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def loads(raw: bytes | str) -> Any:
    """Parse one JSON document; raise InvalidJson for anything not accepted."""
    if _orjson is not None:
        try:
            return _orjson.loads(raw)
        except _orjson.JSONDecodeError as error:
            raise InvalidJson(str(error)) from None
    data = raw.encode() if isinstance(raw, str) else raw
    # The byte-by-byte depth scan runs only when there are enough brackets to nest
    # that deep (C-speed counts); an ordinary update has a few dozen.
    if data.count(b"[") + data.count(b"{") > MAX_DEPTH and _depth_exceeds(data, MAX_DEPTH):
        raise InvalidJson("nesting too deep")
    try:
        text = data.decode("utf-8")
        return json.loads(
            text, parse_constant=_reject_constant, parse_int=_bounded_int, parse_float=_finite_float
        )
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise InvalidJson(str(error)) from None


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON bytes; InvalidJson when a value cannot be encoded (lone surrogates)."""
    try:
        if _orjson is not None:
            return bytes(_orjson.dumps(value))
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise InvalidJson(str(error)) from None
