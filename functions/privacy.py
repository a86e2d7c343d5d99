"""Pseudonymisation of rows (`messages`, `member_events`, `reactions`) (PSEUDONYMIZE_USERS; docs/privacy.md).

User ids become keyed pseudonyms: the first 63 bits of HMAC-SHA256(key, id), a
non-negative bigint, so the same user keeps the same pseudonym across rows,
days and replays (counts per user still work) while nobody without the key can
go back from pseudonym to id. Names and usernames are dropped. Only rows are
touched: the raw archive keeps the updates as Telegram sent them.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Final

#: Columns holding a Telegram user id (scalar or list).
USER_ID_COLUMNS: Final = (
    "user_id",
    "left_chat_member_id",
    "actor_user_id",
    "added_by_user_id",
    "invite_link_creator_id",
)
USER_ID_LIST_COLUMNS: Final = ("new_chat_member_ids", "mentioned_user_ids")
#: Columns naming a user: set to null.
USER_NAME_COLUMNS: Final = ("user_first_name", "user_username")
_MASK_63_BITS: Final = (1 << 63) - 1


def pseudonym(user_id: int, key: bytes) -> int:
    """The user's pseudonym: HMAC-SHA256 of the decimal id, first 8 bytes, top bit cleared."""
    digest = hmac.new(key, str(user_id).encode("ascii"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") & _MASK_63_BITS


def _pseudonym_or_none(value: Any, key: bytes) -> Any:
    return pseudonym(value, key) if isinstance(value, int) and not isinstance(value, bool) else None


def pseudonymize_row(row: dict[str, Any], key: bytes) -> dict[str, Any]:
    """A copy of the row with user ids replaced by pseudonyms and names dropped."""
    hidden = dict(row)
    for column in USER_ID_COLUMNS:
        if column in hidden:
            hidden[column] = _pseudonym_or_none(hidden[column], key)
    for column in USER_ID_LIST_COLUMNS:
        if isinstance(hidden.get(column), list):
            hidden[column] = [
                p for p in (_pseudonym_or_none(v, key) for v in hidden[column]) if p is not None
            ]
    for column in USER_NAME_COLUMNS:
        if column in hidden:
            hidden[column] = None
    return hidden
