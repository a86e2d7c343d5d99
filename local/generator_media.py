"""Media payloads for the generator: photos, stickers, voice notes, polls, places ...

Each message type's Bot API object as Telegram sends it (file ids, thumbnails,
sizes, durations), drawn from the walk's random generator so the same seed gives
the same bytes. Only the payload: the message around it is the walk's.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from typing import Any

from local.generator_words import CITIES, DICE, POLLS, STICKER_EMOJI


def file_ids(rng: random.Random, prefix: str) -> dict[str, Any]:
    """A file_id (with Telegram's per-type prefix) and a file_unique_id."""
    token = base64.urlsafe_b64encode(rng.randbytes(42)).decode("ascii")
    unique = base64.urlsafe_b64encode(rng.randbytes(9)).decode("ascii")
    return {"file_id": prefix + token, "file_unique_id": "AQAD" + unique}


def stored_file(rng: random.Random, prefix: str, smallest: int, largest: int) -> dict[str, Any]:
    """A file's ids and its size in bytes, drawn between `smallest` and `largest`."""
    return {**file_ids(rng, prefix), "file_size": rng.randint(smallest, largest)}


def thumbnail(rng: random.Random, width: int, height: int) -> dict[str, Any]:
    """A thumbnail PhotoSize."""
    size = rng.randint(2_000, 12_000)
    return {**file_ids(rng, "AAMCAQADGQEAA"), "file_size": size, "width": width, "height": height}


def photo_sizes(rng: random.Random) -> list[dict[str, Any]]:
    """A photo's four sizes, smallest first, as Telegram lists them."""
    sizes = []
    for width, height in ((90, 68), (320, 240), (800, 600), (1280, 960)):
        size = rng.randint(width * height // 8, width * height // 6)
        sizes.append(
            {
                **file_ids(rng, "AgACAgEAAxkBAAI"),
                "file_size": size,
                "width": width,
                "height": height,
            }
        )
    return sizes


def media(
    rng: random.Random, message_type: str, member: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """The message fields of a media type (`member` picks the person a contact shares)."""
    if message_type == "photo":
        return {"photo": photo_sizes(rng)}
    if message_type == "sticker":
        sticker = {
            "width": 512,
            "height": 512,
            "emoji": rng.choice(STICKER_EMOJI),
            "set_name": "VendasBrasilPack",
            "is_animated": False,
            "is_video": False,
            "type": "regular",
            "thumbnail": thumbnail(rng, 128, 128),
            **stored_file(rng, "CAACAgIAAxkBAAI", 8_000, 60_000),
        }
        return {"sticker": sticker}
    if message_type == "voice":
        voice = {
            "duration": rng.randint(2, 90),
            "mime_type": "audio/ogg",
            **stored_file(rng, "AwACAgEAAxkBAAI", 5_000, 400_000),
        }
        return {"voice": voice}
    if message_type == "video_note":
        note = {
            "duration": rng.randint(3, 60),
            "length": 384,
            "thumbnail": thumbnail(rng, 240, 240),
            **stored_file(rng, "DQACAgEAAxkBAAI", 100_000, 3_000_000),
        }
        return {"video_note": note}
    if message_type == "video":
        video = {
            "duration": rng.randint(5, 300),
            "width": 1280,
            "height": 720,
            "file_name": f"video_{rng.randint(1, 999)}.mp4",
            "mime_type": "video/mp4",
            "thumbnail": thumbnail(rng, 320, 180),
            **stored_file(rng, "BAACAgEAAxkBAAI", 500_000, 40_000_000),
        }
        return {"video": video}
    if message_type == "animation":
        file = stored_file(rng, "CgACAgQAAxkBAAI", 50_000, 900_000)
        preview = thumbnail(rng, 320, 240)
        name = f"gif_{rng.randint(1, 999)}.mp4"
        animation = {"file_name": name, "mime_type": "video/mp4", "duration": rng.randint(1, 8),
                     "width": 480, "height": 360, "thumbnail": preview, **file}  # fmt: skip
        # Telegram sends an animation's file under `document` as well.
        document = {"file_name": name, "mime_type": "video/mp4", "thumbnail": preview, **file}
        return {"animation": animation, "document": document}
    if message_type == "document":
        document = {
            "file_name": rng.choice(("catálogo_2026.pdf", "tabela_preços.xlsx", "nota.pdf")),
            "mime_type": "application/pdf",
            **stored_file(rng, "BQACAgEAAxkBAAI", 20_000, 5_000_000),
        }
        return {"document": document}
    if message_type == "audio":
        audio = {
            "duration": rng.randint(60, 400),
            "file_name": "samba_da_promoção.mp3",
            "mime_type": "audio/mpeg",
            "title": "Samba da Promoção",
            "performer": "Banda Exemplo",
            **stored_file(rng, "CQACAgEAAxkBAAI", 1_000_000, 9_000_000),
        }
        return {"audio": audio}
    if message_type == "poll":
        question, options = rng.choice(POLLS)
        poll = {
            "id": str(rng.randint(10**18, 10**19 - 1)),
            "question": question,
            "options": [{"text": option, "voter_count": 0} for option in options],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": rng.random() < 0.5,
            "type": "regular",
            "allows_multiple_answers": False,
        }
        return {"poll": poll}
    if message_type == "location":
        latitude, longitude = rng.choice(CITIES)
        return {
            "location": {
                "latitude": round(latitude + rng.uniform(-0.05, 0.05), 6),
                "longitude": round(longitude + rng.uniform(-0.05, 0.05), 6),
            }
        }
    if message_type == "contact":
        person = member()
        contact = {
            "phone_number": f"+55{rng.choice((11, 21, 31, 81, 92))}9{rng.randint(10**7, 10**8 - 1)}",
            "first_name": person["first_name"],
            "user_id": person["id"],
        }
        return {"contact": contact}
    if message_type == "dice":
        emoji, faces = rng.choice(DICE)
        return {"dice": {"emoji": emoji, "value": rng.randint(1, faces)}}
    raise AssertionError(message_type)  # pragma: no cover - the walk's types are closed
