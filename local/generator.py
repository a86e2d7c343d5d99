"""Realistic Telegram updates for a Brazilian sales group, deterministic from a seed.

What "realistic" means here: the Bot API shapes of the fixtures in tests/events/,
message kinds in the proportions a busy group shows (mostly text, then photos,
stickers, voice...), replies, edits of earlier messages, albums, joins and
leaves, forum topics, forwards, Portuguese text with emoji whose entity offsets
and lengths are UTF-16 code units exactly as Telegram computes them, send times
over São Paulo days, a share of updates from a chat the pipeline must ignore and
a share of redeliveries (Telegram retries an update when the webhook did not
answer 2xx, byte for byte).

Pure: stdlib only plus the project's JSON codec; the same seed gives the same
bytes on every platform. `iter_updates` streams (bounded memory for any count).
"""

from __future__ import annotations

import base64
import random
import unicodedata
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from functions import jsoncodec

DEFAULT_CHAT_ID: Final = -1001234567890
DEFAULT_FOREIGN_CHAT_ID: Final = -1009876543210
DEFAULT_START_UPDATE_ID: Final = 800_000_000
#: 2026-01-01 00:00 in São Paulo (03:00 UTC).
DEFAULT_START_TIME: Final = 1_767_236_400
#: Brazil has had no daylight saving time since 2019, so a fixed offset is exact
#: for these dates and needs no tz database.
SAO_PAULO_UTC_OFFSET_SECONDS: Final = -3 * 3600

DEFAULT_DUPLICATE_SHARE: Final = 0.03
DEFAULT_FOREIGN_SHARE: Final = 0.05
DEFAULT_EDIT_SHARE: Final = 0.05
DEFAULT_REPLY_SHARE: Final = 0.20

#: Relative frequency of what a new message is. Roughly what busy Brazilian
#: buy-and-sell groups show: text dominates, photos next, stickers and voice
#: notes common, the rest rare. Service messages are named by their Bot API field.
MESSAGE_TYPE_WEIGHTS: Final[dict[str, float]] = {
    "text": 0.600,
    "photo": 0.120,
    "sticker": 0.070,
    "voice": 0.045,
    "video": 0.030,
    "animation": 0.030,
    "document": 0.020,
    "video_note": 0.010,
    "audio": 0.008,
    "poll": 0.006,
    "location": 0.006,
    "dice": 0.006,
    "contact": 0.004,
    "new_chat_members": 0.030,
    "left_chat_member": 0.012,
    "pinned_message": 0.002,
    "forum_topic_created": 0.002,
}
_TYPES: Final = tuple(MESSAGE_TYPE_WEIGHTS)
_CUM_WEIGHTS: Final = tuple(
    sum(list(MESSAGE_TYPE_WEIGHTS.values())[: i + 1]) for i in range(len(_TYPES))
)
_SERVICE_TYPES: Final = frozenset(
    {"new_chat_members", "left_chat_member", "pinned_message", "forum_topic_created"}
)
#: Types whose message carries a caption (share of them that do).
_CAPTION_SHARE: Final = {"photo": 0.7, "video": 0.6, "document": 0.5, "animation": 0.3}
_FORWARDABLE: Final = frozenset({"text", "photo", "video", "document", "animation"})
_FORWARD_SHARE: Final = 0.05
_ALBUM_SHARE: Final = 0.12
_TOPIC_SHARE: Final = 0.12

#: Hour-of-day activity in São Paulo (0-23), 1.0 = the busiest hours.
_HOURLY_ACTIVITY: Final = (
    0.15, 0.06, 0.02, 0.02, 0.02, 0.02, 0.10, 0.30, 0.60, 0.80, 0.90, 0.95,
    1.00, 0.90, 0.80, 0.80, 0.80, 0.85, 0.90, 1.00, 1.00, 0.90, 0.60, 0.35,
)  # fmt: skip
_WEEKEND_ACTIVITY: Final = 0.75
#: Mean seconds between messages at the busiest hour (~900 messages a day).
_PEAK_MEAN_GAP_SECONDS: Final = 60.0

_FIRST_NAMES: Final = (
    "Ana", "João", "Maria", "José", "Antônio", "Francisca", "Luíza", "Márcia", "Sérgio",
    "Fábio", "Letícia", "Gabriel", "Júlia", "Lucas", "Beatriz", "Rafael", "Camila",
    "Thiago", "Patrícia", "Rodrigo", "Fernanda", "Paulo", "Aline", "Vinícius", "Bruna",
    "Caio", "Larissa", "Mônica", "Renato", "Cecília", "Otávio", "Débora", "Vitória",
    "Raimundo", "Conceição", "Édson", "Iara", "Tainá", "Cauã", "Heloísa",
)  # fmt: skip
_LAST_NAMES: Final = (
    "Silva", "Santos", "Oliveira", "Souza", "Pereira", "Lima", "Carvalho", "Gonçalves",
    "Araújo", "Ribeiro", "Almeida", "Nascimento", "Conceição", "Assunção", "Magalhães",
    "Brandão", "Simões", "Falcão", "Barros", "Teixeira",
)  # fmt: skip
#: Telegram's language_code is the client's IETF tag; Brazilian clients send pt-br.
_LANGUAGE_CODES: Final = (("pt-br", 0.80), ("en", 0.08), ("es", 0.06), (None, 0.06))

#: Sentences with emoji of every UTF-16 width: BMP symbols (☀️ with a variation
#: selector), astral emoji (2 units), skin tones, ZWJ sequences and flags (4 units).
_PHRASES: Final = (
    "Bom dia, pessoal! ☀️",
    "Chegou estoque novo 📦🔥",
    "Alguém sabe se ainda tem no tamanho M? 🤔",
    "Promoção válida até sexta 🇧🇷",
    "Valeu! 👍🏽",
    "Quanto custa o frete pra Recife? 🚚",
    "Obrigada pela ajuda ❤️",
    "Kkkkkk 😂😂",
    "Fiz o pedido ontem e já chegou 🙌",
    "Aceita Pix? 💸",
    "Parcela em 10x sem juros? 💳",
    "Corre que acaba hoje 🏃‍♀️",
    "Preço: R$ 149,90 💰",
    "Alguém tem cupom de desconto? 🎟️",
    "A entrega pra Manaus demora quanto? 🤷‍♂️",
    "Produto original, com nota fiscal ✅",
    "Boa noite a todos 🌙",
    "Top demais 🔝",
    "Vou querer 2 unidades 🙋🏻‍♀️",
    "Vendido! 🤝",
    "Tem na cor azul? 💙",
    "Frete grátis acima de R$ 199 🇧🇷🚚",
    "Qual o prazo pra São Paulo?",
    "Chegou certinho, recomendo 👏",
    "Ainda disponível?",
    "Me chama no privado 📲",
    "Última unidade!! ⚠️",
    "Olha que lindo 😍",
    "Tô precisando de um notebook usado 💻",
    "Faz entrega em Belo Horizonte? 🏔️",
    "Bom demais, obrigado 🙏",
    "Hoje tem live às 20h 🎥",
    "Desconto de 15% no Pix 🤑",
    "Troca só com nota, tá? 📄",
    "Esgotou em 10 minutos 😱",
    "Boa tarde, galera 👋🏾",
    "Que preço bom 😮",
    "Sábado tem feirinha na praça ⛱️",
    "Pagamento confirmado ✔️",
    "Açaí em dobro no combo 🍧🇧🇷",
)
_OPENING_EMOJI: Final = ("🔥", "📢", "🚨", "✨", "🇧🇷", "👉🏼", "🛍️", "💥")
_HASHTAGS: Final = (
    "#oferta", "#promoção", "#frete", "#fretegrátis", "#desconto", "#cupom",
    "#liquidação", "#verão2026", "#novidade", "#blackfriday", "#eletrônicos",
    "#moda", "#dúvida", "#pix", "#sãopaulo",
)  # fmt: skip
_URLS: Final = (
    "https://loja.example.com.br/produto?id={n}",
    "https://www.exemplo.com.br/ofertas/semana-{n}",
    "http://promo.example.com/cupom/VERAO{n}",
)
#: Edits append a correction; pieces are (text, entity type or None).
_EDIT_SUFFIXES: Final[tuple[tuple[tuple[str, str | None], ...], ...]] = (
    ((" (editado: promoção até sexta!)", None),),
    ((" ✏️ corrigindo: R$ 129,90", None),),
    ((" — esgotou! ❌ ", None), ("#esgotado", "hashtag")),
    ((" 🔄 atualizado", None),),
    ((" ", None), ("#atualizado", "hashtag"), (" 👆", None)),
)
_POLLS: Final = (
    ("Qual horário vocês preferem para a live de ofertas? 🕖", ("Manhã ☀️", "Tarde 🌤️", "Noite 🌙")),
    ("Qual forma de pagamento vocês usam mais? 💳", ("Pix", "Cartão", "Boleto")),
    ("Próxima promoção: qual categoria? 🛒", ("Eletrônicos 📱", "Moda 👗", "Casa 🏠", "Beleza 💄")),
)  # fmt: skip
_TOPIC_NAMES: Final = (
    "Frete e Entregas 📦", "Dúvidas ❓", "Trocas 🔁", "Avisos 📢", "Achados 🇧🇷",
    "Pix e Pagamentos 💸", "Classificados 🏷️", "Off-topic ☕",
)  # fmt: skip
_DICE: Final = (("🎲", 6), ("🎯", 6), ("🏀", 5), ("⚽", 5), ("🎳", 6), ("🎰", 64))
_CITIES: Final = ((-23.5505, -46.6333), (-22.9068, -43.1729), (-19.9167, -43.9345), (-8.0476, -34.8770), (-3.1190, -60.0217), (-30.0346, -51.2177))  # fmt: skip
_STICKER_EMOJI: Final = ("😀", "😂", "👍", "❤️", "🔥", "🙏", "😎", "🤝")
_MAIN_CHAT_TITLE: Final = "Vendas Brasil 🇧🇷"
_FOREIGN_CHAT_TITLE: Final = "Achados e Promoções"
#: How far back edits, replies and redeliveries reach; bounds memory.
_RECENT_MESSAGES: Final = 200
_RECENT_BODIES: Final = 100
_MAX_EDITS_PER_MESSAGE: Final = 2
_MAX_TOPICS: Final = len(_TOPIC_NAMES)


@dataclass(frozen=True, slots=True)
class GeneratedUpdate:
    """One generated update: the bytes to send plus what the test oracle needs."""

    update_id: int
    body: bytes
    chat_id: int
    kind: str
    message_type: str
    message_id: int
    date: int
    user_id: int
    is_duplicate: bool = False
    is_foreign: bool = False
    is_reply: bool = False
    reply_to_message_id: int | None = None
    message_thread_id: int | None = None
    media_group_id: str | None = None
    edit_date: int | None = None
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()

    @property
    def is_edit(self) -> bool:
        """True for an edited_message update."""
        return self.kind == "edited_message"


@dataclass(frozen=True, slots=True)
class _Text:
    text: str
    entities: list[dict[str, Any]]
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    urls: tuple[str, ...]


Pieces = tuple[tuple[str, str | None], ...]


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def compose_text(pieces: Sequence[tuple[str, str | None]]) -> _Text:
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
    return _Text(
        "".join(parts),
        entities,
        tuple(found["hashtag"]),
        tuple(found["mention"]),
        tuple(found["url"]),
    )


def _ascii_slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


@dataclass(slots=True)
class _Posted:
    """A message already sent, kept so later updates can reply to or edit it."""

    message: dict[str, Any]
    message_type: str
    pieces: Pieces
    text_key: str | None
    thread_id: int | None
    edits: int = 0


@dataclass(slots=True)
class _ChatState:
    chat: dict[str, Any]
    is_foreign: bool
    next_message_id: int
    recent: deque[_Posted] = field(default_factory=lambda: deque(maxlen=_RECENT_MESSAGES))
    topics: list[_Posted] = field(default_factory=list)


class _Generator:
    """The stateful walk behind iter_updates: one instance per call."""

    def __init__(
        self,
        *,
        chat_id: int,
        seed: int,
        foreign_chat_id: int,
        start_update_id: int,
        start_time: int,
        duplicate_share: float,
        foreign_share: float,
        edit_share: float,
        reply_share: float,
    ) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.next_update_id = start_update_id
        self.clock = start_time
        self.duplicate_share = duplicate_share
        self.foreign_share = foreign_share
        self.edit_share = edit_share
        self.reply_share = reply_share
        self.users = self._make_users(50)
        self.usernames = [u["username"] for u in self.users if "username" in u]
        # A few members post most of the messages, as in any group.
        self.user_weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(self.users))]
        main_chat = {"id": chat_id, "title": _MAIN_CHAT_TITLE, "type": "supergroup"}
        # The main group is a forum: Telegram then marks every message's chat.
        main_chat["is_forum"] = True
        self.main = _ChatState(main_chat, is_foreign=False, next_message_id=10_001)
        self.foreign = _ChatState(
            {"id": foreign_chat_id, "title": _FOREIGN_CHAT_TITLE, "type": "supergroup"},
            is_foreign=True,
            next_message_id=50_001,
        )
        self.recent_updates: deque[GeneratedUpdate] = deque(maxlen=_RECENT_BODIES)
        self.pending: deque[GeneratedUpdate] = deque()

    # -- people and time ---------------------------------------------------

    def _make_users(self, count: int) -> list[dict[str, Any]]:
        rng = self.rng
        ids = rng.sample(range(100_000_000, 7_999_999_999), count)
        codes = [code for code, _ in _LANGUAGE_CODES]
        code_weights = [weight for _, weight in _LANGUAGE_CODES]
        users: list[dict[str, Any]] = []
        for user_id in ids:
            first = rng.choice(_FIRST_NAMES)
            user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first}
            last = rng.choice(_LAST_NAMES)
            if rng.random() < 0.7:
                user["last_name"] = last
            if rng.random() < 0.6:
                user["username"] = f"{_ascii_slug(first)}_{_ascii_slug(last)}{rng.randint(1, 99)}"
            code = rng.choices(codes, weights=code_weights)[0]
            if code is not None:
                user["language_code"] = code
            users.append(user)
        return users

    def _user(self) -> dict[str, Any]:
        return self.rng.choices(self.users, weights=self.user_weights)[0]

    def _activity(self, moment: int) -> float:
        local = moment + SAO_PAULO_UTC_OFFSET_SECONDS
        hour = local // 3600 % 24
        weekday = (local // 86400 + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        return _HOURLY_ACTIVITY[hour] * (_WEEKEND_ACTIVITY if weekday >= 5 else 1.0)

    def _tick(self) -> int:
        # Thinning of a Poisson process: propose gaps at the peak rate, keep a
        # moment with the probability of that hour's activity.
        moment = self.clock
        while True:
            moment += max(1, round(self.rng.expovariate(1.0 / _PEAK_MEAN_GAP_SECONDS)))
            if self.rng.random() < self._activity(moment):
                self.clock = moment
                return moment

    # -- text ---------------------------------------------------------------

    def _url(self) -> str:
        return self.rng.choice(_URLS).format(n=self.rng.randint(1, 9999))

    def _text_pieces(self, *, caption: bool) -> Pieces:
        rng = self.rng
        pieces: list[tuple[str, str | None]] = []
        if self.usernames and rng.random() < (0.08 if caption else 0.20):
            pieces += [("@" + rng.choice(self.usernames), "mention"), (" ", None)]
        if rng.random() < 0.15:
            pieces.append((rng.choice(_OPENING_EMOJI) + " ", None))
        phrases = 1 if caption or rng.random() < 0.6 else 2
        pieces.append((" ".join(rng.sample(_PHRASES, phrases)), None))
        if rng.random() < (0.05 if caption else 0.10):
            pieces += [(" 👉 ", None), (self._url(), "url")]
        if rng.random() < (0.40 if caption else 0.20):
            for tag in rng.sample(_HASHTAGS, rng.randint(1, 3)):
                pieces += [(" ", None), (tag, "hashtag")]
        return tuple(pieces)

    # -- media payloads -------------------------------------------------------

    def _file(self, prefix: str) -> dict[str, Any]:
        token = base64.urlsafe_b64encode(self.rng.randbytes(42)).decode("ascii")
        unique = base64.urlsafe_b64encode(self.rng.randbytes(9)).decode("ascii")
        return {"file_id": prefix + token, "file_unique_id": "AQAD" + unique}

    def _thumbnail(self, width: int, height: int) -> dict[str, Any]:
        size = self.rng.randint(2_000, 12_000)
        return {**self._file("AAMCAQADGQEAA"), "file_size": size, "width": width, "height": height}

    def _photo_sizes(self) -> list[dict[str, Any]]:
        sizes = []
        for width, height in ((90, 68), (320, 240), (800, 600), (1280, 960)):
            size = self.rng.randint(width * height // 8, width * height // 6)
            sizes.append(
                {
                    **self._file("AgACAgEAAxkBAAI"),
                    "file_size": size,
                    "width": width,
                    "height": height,
                }
            )
        return sizes

    def _media(self, message_type: str) -> dict[str, Any]:
        rng = self.rng
        if message_type == "photo":
            return {"photo": self._photo_sizes()}
        if message_type == "sticker":
            sticker = {
                "width": 512,
                "height": 512,
                "emoji": rng.choice(_STICKER_EMOJI),
                "set_name": "VendasBrasilPack",
                "is_animated": False,
                "is_video": False,
                "type": "regular",
                "thumbnail": self._thumbnail(128, 128),
                **self._file("CAACAgIAAxkBAAI"),
                "file_size": rng.randint(8_000, 60_000),
            }
            return {"sticker": sticker}
        if message_type == "voice":
            voice = {
                "duration": rng.randint(2, 90),
                "mime_type": "audio/ogg",
                **self._file("AwACAgEAAxkBAAI"),
                "file_size": rng.randint(5_000, 400_000),
            }
            return {"voice": voice}
        if message_type == "video_note":
            note = {
                "duration": rng.randint(3, 60),
                "length": 384,
                "thumbnail": self._thumbnail(240, 240),
                **self._file("DQACAgEAAxkBAAI"),
                "file_size": rng.randint(100_000, 3_000_000),
            }
            return {"video_note": note}
        if message_type == "video":
            video = {
                "duration": rng.randint(5, 300),
                "width": 1280,
                "height": 720,
                "file_name": f"video_{rng.randint(1, 999)}.mp4",
                "mime_type": "video/mp4",
                "thumbnail": self._thumbnail(320, 180),
                **self._file("BAACAgEAAxkBAAI"),
                "file_size": rng.randint(500_000, 40_000_000),
            }
            return {"video": video}
        if message_type == "animation":
            file = {**self._file("CgACAgQAAxkBAAI"), "file_size": rng.randint(50_000, 900_000)}
            thumbnail = self._thumbnail(320, 240)
            name = f"gif_{rng.randint(1, 999)}.mp4"
            animation = {"file_name": name, "mime_type": "video/mp4", "duration": rng.randint(1, 8),
                         "width": 480, "height": 360, "thumbnail": thumbnail, **file}  # fmt: skip
            # Telegram sends an animation's file under `document` as well.
            document = {"file_name": name, "mime_type": "video/mp4", "thumbnail": thumbnail, **file}
            return {"animation": animation, "document": document}
        if message_type == "document":
            document = {
                "file_name": rng.choice(("catálogo_2026.pdf", "tabela_preços.xlsx", "nota.pdf")),
                "mime_type": "application/pdf",
                **self._file("BQACAgEAAxkBAAI"),
                "file_size": rng.randint(20_000, 5_000_000),
            }
            return {"document": document}
        if message_type == "audio":
            audio = {
                "duration": rng.randint(60, 400),
                "file_name": "samba_da_promoção.mp3",
                "mime_type": "audio/mpeg",
                "title": "Samba da Promoção",
                "performer": "Banda Exemplo",
                **self._file("CQACAgEAAxkBAAI"),
                "file_size": rng.randint(1_000_000, 9_000_000),
            }
            return {"audio": audio}
        if message_type == "poll":
            question, options = rng.choice(_POLLS)
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
            latitude, longitude = rng.choice(_CITIES)
            return {
                "location": {
                    "latitude": round(latitude + rng.uniform(-0.05, 0.05), 6),
                    "longitude": round(longitude + rng.uniform(-0.05, 0.05), 6),
                }
            }
        if message_type == "contact":
            person = self._user()
            contact = {
                "phone_number": f"+55{rng.choice((11, 21, 31, 81, 92))}9{rng.randint(10**7, 10**8 - 1)}",
                "first_name": person["first_name"],
                "user_id": person["id"],
            }
            return {"contact": contact}
        if message_type == "dice":
            emoji, faces = rng.choice(_DICE)
            return {"dice": {"emoji": emoji, "value": rng.randint(1, faces)}}
        raise AssertionError(message_type)  # pragma: no cover - _TYPES is closed

    # -- updates ------------------------------------------------------------

    def _emit(self, update: dict[str, Any], meta: dict[str, Any]) -> GeneratedUpdate:
        generated = GeneratedUpdate(
            update_id=self.next_update_id, body=jsoncodec.dumps(update), **meta
        )
        self.next_update_id += 1
        self.recent_updates.append(generated)
        return generated

    def _header(self, state: _ChatState, sender: dict[str, Any], date: int) -> dict[str, Any]:
        message_id = state.next_message_id
        state.next_message_id += 1
        return {"message_id": message_id, "from": sender, "chat": state.chat, "date": date}

    def _reply_target(self, state: _ChatState, thread_id: int | None) -> _Posted | None:
        # A topic's creation message is not replied to: it is every topic message's
        # implicit reply_to_message already, which the shaper does not count as a reply.
        candidates = [
            p
            for p in list(state.recent)[-30:]
            if p.thread_id == thread_id and "forum_topic_created" not in p.message
        ]
        return self.rng.choice(candidates) if candidates else None

    def _new_message(self, state: _ChatState) -> list[GeneratedUpdate]:
        rng = self.rng
        message_type = rng.choices(_TYPES, cum_weights=_CUM_WEIGHTS)[0]
        if message_type == "pinned_message" and not state.recent:
            message_type = "text"
        if message_type == "forum_topic_created" and (
            state.is_foreign or len(state.topics) >= _MAX_TOPICS
        ):
            message_type = "text"  # only the main group is a forum, with a handful of topics
        date = self._tick()
        sender = self._user()
        if message_type in _SERVICE_TYPES:
            return [self._service_message(state, message_type, sender, date)]
        thread: _Posted | None = None
        if state.topics and rng.random() < _TOPIC_SHARE:
            thread = rng.choice(state.topics)
        thread_id = thread.message["message_id"] if thread else None
        album = 1
        if message_type == "photo" and rng.random() < _ALBUM_SHARE:
            album = rng.randint(2, 4)
        group_id = str(rng.randint(10**17, 10**18 - 1)) if album > 1 else None
        forward = message_type in _FORWARDABLE and rng.random() < _FORWARD_SHARE
        reply = None
        if not forward and rng.random() < self.reply_share:
            reply = self._reply_target(state, thread_id)
        has_text = message_type == "text" or rng.random() < _CAPTION_SHARE.get(message_type, 0.0)
        pieces = self._text_pieces(caption=message_type != "text") if has_text else ()
        # Telegram sets a topic's root message as the reply target of topic messages.
        target = reply or thread
        reply_payload = None
        if target is not None:
            reply_payload = {k: v for k, v in target.message.items() if k != "reply_to_message"}
        updates = []
        for index in range(album):
            message = self._header(state, sender, date)
            meta: dict[str, Any] = {
                "chat_id": state.chat["id"],
                "kind": "message",
                "message_type": message_type,
                "message_id": message["message_id"],
                "date": date,
                "user_id": sender["id"],
                "is_foreign": state.is_foreign,
                "is_reply": reply is not None,
                "media_group_id": group_id,
            }
            if thread_id is not None:
                message["message_thread_id"] = thread_id
                meta["message_thread_id"] = thread_id
            if group_id is not None:
                message["media_group_id"] = group_id
            if forward:
                message["forward_origin"] = self._forward_origin(date)
            if target is not None:
                message["reply_to_message"] = reply_payload
            if reply is not None:
                meta["reply_to_message_id"] = reply.message["message_id"]
            if thread is not None:
                message["is_topic_message"] = True
            if message_type != "text":
                message.update(self._media(message_type))
            text_key = None
            if pieces and index == 0:  # an album's caption is on its first item only
                text_key = "text" if message_type == "text" else "caption"
                self._set_text(message, text_key, pieces, meta)
            state.recent.append(
                _Posted(message, message_type, pieces if text_key else (), text_key, thread_id)
            )
            updates.append(self._emit({"update_id": self.next_update_id, "message": message}, meta))
        return updates

    def _set_text(
        self, message: dict[str, Any], text_key: str, pieces: Pieces, meta: dict[str, Any]
    ) -> None:
        composed = compose_text(pieces)
        message[text_key] = composed.text
        if composed.entities:
            entities_key = "entities" if text_key == "text" else "caption_entities"
            message[entities_key] = composed.entities
        meta.update(hashtags=composed.hashtags, mentions=composed.mentions, urls=composed.urls)

    def _forward_origin(self, date: int) -> dict[str, Any]:
        rng = self.rng
        origin_date = date - rng.randint(60, 7 * 86400)
        kind = rng.choices(("user", "hidden_user", "channel", "chat"), weights=(5, 2, 4, 1))[0]
        if kind == "user":
            return {"type": "user", "sender_user": self._user(), "date": origin_date}
        if kind == "hidden_user":
            name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
            return {"type": "hidden_user", "sender_user_name": name, "date": origin_date}
        if kind == "channel":
            channel = {"id": -1001111111111, "title": "Canal de Ofertas", "type": "channel"}
            return {"type": "channel", "chat": channel, "message_id": rng.randint(100, 5000),
                    "date": origin_date}  # fmt: skip
        chat = {"id": -1002222222222, "title": "Grupo de Revenda", "type": "supergroup"}
        return {"type": "chat", "sender_chat": chat, "date": origin_date}

    def _service_message(
        self, state: _ChatState, message_type: str, sender: dict[str, Any], date: int
    ) -> GeneratedUpdate:
        message = self._header(state, sender, date)
        meta: dict[str, Any] = {
            "chat_id": state.chat["id"],
            "kind": "message",
            "message_type": message_type,
            "message_id": message["message_id"],
            "date": date,
            "user_id": sender["id"],
            "is_foreign": state.is_foreign,
        }
        posted = _Posted(message, meta["message_type"], (), None, None)
        if message_type == "new_chat_members":
            # Mostly people joining by link (sender = the member); sometimes added by someone.
            members = [sender] if self.rng.random() < 0.8 else [self._user(), self._user()]
            message["new_chat_members"] = list({m["id"]: m for m in members}.values())
        elif message_type == "left_chat_member":
            message["left_chat_member"] = sender
        elif message_type == "pinned_message":
            pinned = self.rng.choice(list(state.recent)[-30:])
            message["pinned_message"] = {
                k: v for k, v in pinned.message.items() if k != "reply_to_message"
            }
        else:  # forum_topic_created: the topic's id is this service message's id
            message["message_thread_id"] = message["message_id"]
            name = _TOPIC_NAMES[len(state.topics)]
            color = self.rng.choice((7322096, 16766590, 13338331, 9367192))
            message["forum_topic_created"] = {"name": name, "icon_color": color}
            message["is_topic_message"] = True
            meta["message_thread_id"] = message["message_id"]
            state.topics.append(posted)
            posted.thread_id = message["message_id"]
        state.recent.append(posted)
        return self._emit({"update_id": self.next_update_id, "message": message}, meta)

    def _edit(self, state: _ChatState) -> GeneratedUpdate | None:
        editable = [
            p for p in state.recent if p.text_key is not None and p.edits < _MAX_EDITS_PER_MESSAGE
        ]
        if not editable:
            return None
        posted = self.rng.choice(editable[-50:])
        edit_date = self._tick()
        posted.pieces = posted.pieces + self.rng.choice(_EDIT_SUFFIXES)
        posted.edits += 1
        message = {**posted.message}
        assert posted.text_key is not None
        meta: dict[str, Any] = {
            "chat_id": state.chat["id"],
            "kind": "edited_message",
            "message_type": posted.message_type,
            "message_id": message["message_id"],
            "date": message["date"],
            "user_id": message["from"]["id"],
            "is_foreign": state.is_foreign,
            "edit_date": edit_date,
            "message_thread_id": message.get("message_thread_id"),
            "media_group_id": message.get("media_group_id"),
        }
        message.pop("entities", None)
        message.pop("caption_entities", None)
        self._set_text(message, posted.text_key, posted.pieces, meta)
        message["edit_date"] = edit_date
        replied = message.get("reply_to_message")
        if replied is not None and "forum_topic_created" not in replied:
            meta["reply_to_message_id"] = replied["message_id"]
        posted.message = message
        return self._emit({"update_id": self.next_update_id, "edited_message": message}, meta)

    def _duplicate(self) -> GeneratedUpdate:
        original = self.rng.choice(self.recent_updates)
        return GeneratedUpdate(
            **{
                name: getattr(original, name)
                for name in GeneratedUpdate.__dataclass_fields__
                if name != "is_duplicate"
            },
            is_duplicate=True,
        )

    def next(self) -> GeneratedUpdate:
        """The next update of the walk."""
        if self.pending:
            return self.pending.popleft()
        rng = self.rng
        if self.recent_updates and rng.random() < self.duplicate_share:
            return self._duplicate()
        state = self.foreign if rng.random() < self.foreign_share else self.main
        if rng.random() < self.edit_share:
            edited = self._edit(state)
            if edited is not None:
                return edited
        first, *rest = self._new_message(state)
        self.pending.extend(rest)
        return first


def iter_updates(
    count: int,
    *,
    chat_id: int = DEFAULT_CHAT_ID,
    seed: int = 0,
    foreign_chat_id: int = DEFAULT_FOREIGN_CHAT_ID,
    start_update_id: int = DEFAULT_START_UPDATE_ID,
    start_time: int = DEFAULT_START_TIME,
    duplicate_share: float = DEFAULT_DUPLICATE_SHARE,
    foreign_share: float = DEFAULT_FOREIGN_SHARE,
    edit_share: float = DEFAULT_EDIT_SHARE,
    reply_share: float = DEFAULT_REPLY_SHARE,
) -> Iterator[GeneratedUpdate]:
    """Stream `count` realistic updates; memory stays bounded for any count."""
    if count < 0:
        raise ValueError("count must not be negative")
    for name, share in (
        ("duplicate_share", duplicate_share),
        ("foreign_share", foreign_share),
        ("edit_share", edit_share),
        ("reply_share", reply_share),
    ):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1")
    generator = _Generator(
        chat_id=chat_id,
        seed=seed,
        foreign_chat_id=foreign_chat_id,
        start_update_id=start_update_id,
        start_time=start_time,
        duplicate_share=duplicate_share,
        foreign_share=foreign_share,
        edit_share=edit_share,
        reply_share=reply_share,
    )
    # Not a generator function itself, so bad arguments fail at the call, not later.
    return (generator.next() for _ in range(count))


def generate_updates(
    count: int,
    *,
    chat_id: int = DEFAULT_CHAT_ID,
    seed: int = 0,
    foreign_chat_id: int = DEFAULT_FOREIGN_CHAT_ID,
    start_update_id: int = DEFAULT_START_UPDATE_ID,
    start_time: int = DEFAULT_START_TIME,
    duplicate_share: float = DEFAULT_DUPLICATE_SHARE,
    foreign_share: float = DEFAULT_FOREIGN_SHARE,
    edit_share: float = DEFAULT_EDIT_SHARE,
    reply_share: float = DEFAULT_REPLY_SHARE,
) -> list[GeneratedUpdate]:
    """`count` realistic updates as a list (use iter_updates for large counts)."""
    return list(
        iter_updates(
            count,
            chat_id=chat_id,
            seed=seed,
            foreign_chat_id=foreign_chat_id,
            start_update_id=start_update_id,
            start_time=start_time,
            duplicate_share=duplicate_share,
            foreign_share=foreign_share,
            edit_share=edit_share,
            reply_share=reply_share,
        )
    )


def write_ndjson(path: Path | str, updates: Iterable[GeneratedUpdate]) -> int:
    """Write the updates' bodies as NDJSON (one per line); returns how many."""
    written = 0
    with Path(path).open("wb") as sink:
        for update in updates:
            sink.write(update.body + b"\n")
            written += 1
    return written
