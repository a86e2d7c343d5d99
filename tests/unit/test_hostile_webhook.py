"""The webhook's decisions on the hostile corpus: a documented 200 or 4xx, never a crash.

Only a delivery failure may give a 5xx (tests/integration/test_hostile_stack.py runs
the corpus through the handler and a real delivery stream).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from functions import constants as c
from functions.webhook.logic import Outcome, WebhookRequest, decide, response
from tests.events.hostile import make_corpus
from tests.events.hostile.make_corpus import GROUP_ID, HostileCase, corpus, full_update

SECRET = "hostile-secret_0123456789"
ALLOWED = frozenset({GROUP_ID})
CASES = corpus()
#: Statuses the webhook may answer for a body, whatever it holds (503 only on delivery).
BODY_STATUSES = {200, 400, 413}
#: Bodies small enough to corrupt and print when a property fails.
SMALL_BODIES = [case.body for case in CASES if len(case.body) < 4096]


def request(body: bytes, *, base64_encoded: bool = True) -> WebhookRequest:
    """A POST with the right secret; API Gateway base64-encodes bodies that are not text."""
    text = base64.b64encode(body).decode("ascii") if base64_encoded else body.decode("utf-8")
    return WebhookRequest("POST", SECRET, text, base64_encoded, "149.154.167.220")


def test_committed_corpus_matches_its_generator() -> None:
    assert make_corpus.drift() == []


def test_corpus_covers_what_the_issue_lists() -> None:
    names = {case.name for case in CASES}
    sizes = {case.name: len(case.body) for case in CASES}
    assert sizes["empty"] == 0
    assert sizes["body_1_mib_plus_1"] == 1024 * 1024 + 1
    assert sizes["nested_arrays_100000"] == 200_000
    assert {"invalid_utf8", "utf16_with_bom", "duplicate_keys_last_chat_allowed"} <= names
    assert {"nan_update_id", "infinity_date", "update_id_2_pow_63"} <= names
    assert {"strings_where_objects_belong", "entities_10000_out_of_range"} <= names
    wrong_type_paths = {case.name.split("__")[1] for case in CASES if "__" in case.name}
    assert len(wrong_type_paths) == len(make_corpus.SHAPER_PATHS) + len(make_corpus.CAPTION_PATHS)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_hostile_body_gets_its_documented_answer(case: HostileCase) -> None:
    decision = decide(request(case.body), ALLOWED, SECRET)
    assert decision.outcome.name == case.webhook
    assert response(decision.outcome)["statusCode"] in BODY_STATUSES
    assert response(decision.outcome)["body"] == ""
    if decision.outcome is Outcome.ACCEPTED:
        # Forwarded byte for byte: the raw archive keeps exactly what Telegram sent.
        assert decision.record == case.body + b"\n"
    else:
        assert decision.record is None


def _utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize(
    "case", [case for case in CASES if _utf8(case.body)], ids=lambda case: case.name
)
def test_text_body_gets_the_same_answer_as_its_base64_form(case: HostileCase) -> None:
    as_text = decide(request(case.body, base64_encoded=False), ALLOWED, SECRET)
    assert as_text.outcome.name == case.webhook


def test_body_one_byte_over_the_cap_is_413_and_the_cap_fits_a_firehose_record() -> None:
    at_cap = next(case for case in CASES if case.name == "body_at_the_cap")
    assert len(at_cap.body) + 1 == c.FIREHOSE_MAX_RECORD_BYTES
    assert decide(request(at_cap.body), ALLOWED, SECRET).outcome is Outcome.ACCEPTED


def test_wrong_secret_is_401_whatever_the_body() -> None:
    for case in CASES[:60]:
        forged = WebhookRequest("POST", SECRET[:-1], case.body.decode("latin-1"), False)
        assert decide(forged, ALLOWED, SECRET).outcome is Outcome.REJECTED_SECRET


# ----------------------------------------------------------------- property tests

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated_updates(draw: st.DrawFn) -> bytes:
    """A complete update with one value anywhere replaced by any JSON value."""
    update = full_update()
    path = draw(st.sampled_from(_paths(update)))
    node: Any = update
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = draw(json_values)
    return json.dumps(update, ensure_ascii=False).encode("utf-8", "surrogatepass")


@st.composite
def corrupted_bodies(draw: st.DrawFn) -> bytes:
    """A corpus body with a few bytes overwritten, inserted or cut."""
    body = bytearray(draw(st.sampled_from(SMALL_BODIES)))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(body)))
        byte = draw(st.integers(0, 255))
        action = draw(st.sampled_from(["set", "insert", "cut"]))
        if action == "insert" or not body:
            body.insert(position, byte)
        elif action == "set":
            body[min(position, len(body) - 1)] = byte
        else:
            del body[position:]
    return bytes(body)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=mutated_updates() | corrupted_bodies() | st.binary(max_size=300))
@example(body=b"\xff" * 10)
def test_any_body_is_accepted_ignored_or_refused_never_raises(body: bytes) -> None:
    decision = decide(request(body), ALLOWED, SECRET)
    assert response(decision.outcome)["statusCode"] in BODY_STATUSES
    assert (decision.record is not None) == (decision.outcome is Outcome.ACCEPTED)
