"""The JSON codec gives the same verdicts with orjson and with the stdlib fallback."""

from __future__ import annotations

import pytest

from functions import jsoncodec


@pytest.fixture(params=["orjson", "stdlib"])
def codec(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "stdlib":
        monkeypatch.setattr(jsoncodec, "_orjson", None)
    elif jsoncodec._orjson is None:
        pytest.skip("orjson is not installed on this platform")
    return str(request.param)


@pytest.mark.parametrize(
    "raw",
    [
        b"NaN",
        b'{"a": Infinity}',
        b"[1e999]",
        b"\xff\xfe{}",
        b"\xef\xbb\xbf{}",
        b"[" * 2000 + b"]" * 2000,
        b"",
        b"{",
        b'{"a": "\xc3"}',
    ],
)
def test_rejected_everywhere(codec: str, raw: bytes) -> None:
    with pytest.raises(jsoncodec.InvalidJson):
        jsoncodec.loads(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"a": 1, "a": 2}', {"a": 2}),
        (b'{"t": "ol\xc3\xa1 \xf0\x9f\x98\x80"}', {"t": "olá 😀"}),
        (b"18446744073709551615", 18446744073709551615),
        (b"-9223372036854775808", -9223372036854775808),
    ],
)
def test_accepted_everywhere(codec: str, raw: bytes, expected: object) -> None:
    assert jsoncodec.loads(raw) == expected


def test_moderate_nesting_is_accepted(codec: str) -> None:
    value = jsoncodec.loads(b"[" * 500 + b"]" * 500)
    for _ in range(499):
        value = value[0]
    assert value == []


def test_integers_beyond_64_bits_become_floats(codec: str) -> None:
    assert isinstance(jsoncodec.loads(b"18446744073709551616"), float)


def test_dumps_round_trips_unicode(codec: str) -> None:
    value = {"text": "Promoção 🇧🇷", "n": [1, None, True]}
    assert jsoncodec.loads(jsoncodec.dumps(value)) == value
    assert "🇧🇷".encode() in jsoncodec.dumps(value)


def test_dumps_refuses_lone_surrogates(codec: str) -> None:
    with pytest.raises(jsoncodec.InvalidJson):
        jsoncodec.dumps({"text": "\ud800"})
