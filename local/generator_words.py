"""The generator's vocabulary: the names, phrases and emoji of a Brazilian sales group.

Data only, no logic: who the members are called, what they write (Portuguese
with emoji of every UTF-16 width, so entity offsets are exercised), the hashtags,
links, polls, forum topics, dice and places they share. Change this module to
make the generated group talk differently; how the words are put together and
how often each kind of message comes lives elsewhere (local/generator_text.py,
local/generator_walk.py).
"""

from __future__ import annotations

from typing import Final

MAIN_CHAT_TITLE: Final = "Vendas Brasil 🇧🇷"
FOREIGN_CHAT_TITLE: Final = "Achados e Promoções"

FIRST_NAMES: Final = (
    "Ana", "João", "Maria", "José", "Antônio", "Francisca", "Luíza", "Márcia", "Sérgio",
    "Fábio", "Letícia", "Gabriel", "Júlia", "Lucas", "Beatriz", "Rafael", "Camila",
    "Thiago", "Patrícia", "Rodrigo", "Fernanda", "Paulo", "Aline", "Vinícius", "Bruna",
    "Caio", "Larissa", "Mônica", "Renato", "Cecília", "Otávio", "Débora", "Vitória",
    "Raimundo", "Conceição", "Édson", "Iara", "Tainá", "Cauã", "Heloísa",
)  # fmt: skip
LAST_NAMES: Final = (
    "Silva", "Santos", "Oliveira", "Souza", "Pereira", "Lima", "Carvalho", "Gonçalves",
    "Araújo", "Ribeiro", "Almeida", "Nascimento", "Conceição", "Assunção", "Magalhães",
    "Brandão", "Simões", "Falcão", "Barros", "Teixeira",
)  # fmt: skip
#: Telegram's language_code is the client's IETF tag; Brazilian clients send pt-br.
LANGUAGE_CODES: Final = (("pt-br", 0.80), ("en", 0.08), ("es", 0.06), (None, 0.06))

#: Sentences with emoji of every UTF-16 width: BMP symbols (☀️ with a variation
#: selector), astral emoji (2 units), skin tones, ZWJ sequences and flags (4 units).
PHRASES: Final = (
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
OPENING_EMOJI: Final = ("🔥", "📢", "🚨", "✨", "🇧🇷", "👉🏼", "🛍️", "💥")
HASHTAGS: Final = (
    "#oferta", "#promoção", "#frete", "#fretegrátis", "#desconto", "#cupom",
    "#liquidação", "#verão2026", "#novidade", "#blackfriday", "#eletrônicos",
    "#moda", "#dúvida", "#pix", "#sãopaulo",
)  # fmt: skip
URLS: Final = (
    "https://loja.example.com.br/produto?id={n}",
    "https://www.exemplo.com.br/ofertas/semana-{n}",
    "http://promo.example.com/cupom/VERAO{n}",
)
#: Edits append a correction; pieces are (text, entity type or None).
EDIT_SUFFIXES: Final[tuple[tuple[tuple[str, str | None], ...], ...]] = (
    ((" (editado: promoção até sexta!)", None),),
    ((" ✏️ corrigindo: R$ 129,90", None),),
    ((" — esgotou! ❌ ", None), ("#esgotado", "hashtag")),
    ((" 🔄 atualizado", None),),
    ((" ", None), ("#atualizado", "hashtag"), (" 👆", None)),
)
POLLS: Final = (
    ("Qual horário vocês preferem para a live de ofertas? 🕖", ("Manhã ☀️", "Tarde 🌤️", "Noite 🌙")),
    ("Qual forma de pagamento vocês usam mais? 💳", ("Pix", "Cartão", "Boleto")),
    ("Próxima promoção: qual categoria? 🛒", ("Eletrônicos 📱", "Moda 👗", "Casa 🏠", "Beleza 💄")),
)  # fmt: skip
TOPIC_NAMES: Final = (
    "Frete e Entregas 📦", "Dúvidas ❓", "Trocas 🔁", "Avisos 📢", "Achados 🇧🇷",
    "Pix e Pagamentos 💸", "Classificados 🏷️", "Off-topic ☕",
)  # fmt: skip
DICE: Final = (("🎲", 6), ("🎯", 6), ("🏀", 5), ("⚽", 5), ("🎳", 6), ("🎰", 64))
CITIES: Final = ((-23.5505, -46.6333), (-22.9068, -43.1729), (-19.9167, -43.9345), (-8.0476, -34.8770), (-3.1190, -60.0217), (-30.0346, -51.2177))  # fmt: skip
STICKER_EMOJI: Final = ("😀", "😂", "👍", "❤️", "🔥", "🙏", "😎", "🤝")

#: The bot the pipeline runs as, as Telegram describes it in its own membership updates.
BOT_FIRST_NAME: Final = "Estatísticas do Grupo"
BOT_USERNAME: Final = "estatisticas_vendas_bot"
#: The group's linked channel: its posts reach the group as automatic forwards.
LINKED_CHANNEL_TITLE: Final = "Canal de Ofertas"
#: Names admins give their invite links (Telegram shows them with each join).
INVITE_LINK_NAMES: Final = ("Instagram", "Site", "WhatsApp", "Indicação de amigos", "TikTok")
#: Titles the owner gives the members promoted to admin (sometimes none).
ADMIN_TITLES: Final = ("Moderador", "Moderadora", "Suporte", "Vendas")
#: Reaction emoji and how often each is chosen. Telegram's reaction emoji are its own
#: list (❤ without the variation selector); 👍 and ❤ dominate in any group.
REACTION_EMOJI: Final = (
    ("👍", 0.30), ("❤", 0.20), ("🔥", 0.14), ("😂", 0.10), ("🙏", 0.07), ("🎉", 0.06),
    ("😍", 0.04), ("👏", 0.04), ("🤩", 0.02), ("😢", 0.015), ("🤔", 0.015),
)  # fmt: skip
#: Custom emoji ids of one sticker pack (Premium members only react with these).
CUSTOM_EMOJI_IDS: Final = (
    "5368324170671202286", "5373141891321699086", "5420323339723881652", "5456140674028019486",
)  # fmt: skip
