"""Message text for the generator: what members write, with entities at UTF-16 offsets.

Telegram measures entity offsets and lengths in UTF-16 code units, so an emoji
outside the BMP counts two and a flag four. Text is built as pieces (a fragment
and the entity type it is, or None) and composed here into the text, its
entities, and the hashtags, mentions and links the test oracle expects.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from local.generator_words import HASHTAGS, OPENING_EMOJI, PHRASES, URLS

#: Text as (fragment, entity type or None) pairs.
Pieces = tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, slots=True)
class ComposedText:
    """Composed pieces: the text, its entities, and the entity values by type."""

    text: str
    entities: list[dict[str, Any]]
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    urls: tuple[str, ...]


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def compose_text(pieces: Sequence[tuple[str, str | None]]) -> ComposedText:
    """Join text pieces; pieces with an entity type become entities at UTF-16 offsets."""
    parts: list[str] = []
    entities: list[dict[str, Any]] = []
    found: dict[str, list[str]] = {"hashtag": [], "mention": [], "url": []}
    offset = 0
    for fragment, entity_type in pieces:
        length = utf16_length(fragment)
        if entity_type is not None:
            entities.append({"offset": offset, "length": length, "type": entity_type})
            found[entity_type].append(fragment)
        parts.append(fragment)
        offset += length
    return ComposedText(
        "".join(parts),
        entities,
        tuple(found["hashtag"]),
        tuple(found["mention"]),
        tuple(found["url"]),
    )


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits of a name, accents dropped (for usernames)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


def text_pieces(rng: random.Random, usernames: Sequence[str], *, caption: bool) -> Pieces:
    """A message's text or a media caption: maybe a mention, phrases, a link, hashtags."""
    pieces: list[tuple[str, str | None]] = []
    if usernames and rng.random() < (0.08 if caption else 0.20):
        pieces += [("@" + rng.choice(usernames), "mention"), (" ", None)]
    if rng.random() < 0.15:
        pieces.append((rng.choice(OPENING_EMOJI) + " ", None))
    phrases = 1 if caption or rng.random() < 0.6 else 2
    pieces.append((" ".join(rng.sample(PHRASES, phrases)), None))
    if rng.random() < (0.05 if caption else 0.10):
        url = rng.choice(URLS).format(n=rng.randint(1, 9999))
        pieces += [(" 👉 ", None), (url, "url")]
    if rng.random() < (0.40 if caption else 0.20):
        for tag in rng.sample(HASHTAGS, rng.randint(1, 3)):
            pieces += [(" ", None), (tag, "hashtag")]
    return tuple(pieces)


def set_text(message: dict[str, Any], text_key: str, pieces: Pieces) -> dict[str, Any]:
    """Put the composed pieces into the message (`text` or `caption`, with their entities).

    Returns the oracle's view of them: hashtags, mentions and urls.
    """
    composed = compose_text(pieces)
    message[text_key] = composed.text
    if composed.entities:
        entities_key = "entities" if text_key == "text" else "caption_entities"
        message[entities_key] = composed.entities
    return {"hashtags": composed.hashtags, "mentions": composed.mentions, "urls": composed.urls}
