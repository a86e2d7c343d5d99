"""import_export_throughput, import_export_memory: `tgpipe import-export` on generated exports.

Two exports of one supergroup are generated in Telegram Desktop's layout (result.json,
pretty-printed as tdesktop writes it: text as a string or as parts, text_entities,
date and date_unixtime, replies, edits, photos, stickers, joins, reactions), one
five times the other. Each is imported into a fresh local lake in a fresh process
(`python -m benchmarks.import_export --child FILE LAKE`), which reports the messages
per second of the import and its own peak RSS (ru_maxrss): the import streams the
file, so the peak must not grow with its size. Both sizes are imported RUNS times,
alternating (this machine is shared: a burst of load spreads over both); the figures
are the median messages/s and the highest peak RSS, each run's load average beside it.

    python -m benchmarks.import_export
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final, TextIO

from benchmarks.common import CACHE_DIR, ROOT, main, progress, rounded, scaled
from benchmarks.results import Figure

SMALL: Final = scaled(200_000)
LARGE: Final = scaled(1_000_000)
GOAL_PER_SECOND: Final = 50_000
#: Imports of each size; the throughput is their median.
RUNS: Final = 3
#: Peak RSS at the large size over the small one: flat memory is ~1.
GOAL_MEMORY_RATIO: Final = 1.25
CHAT_ID: Final = 1234567890
_START: Final = 1_700_000_000
#: Words of the generated texts (Portuguese, as the generator's), emoji included.
_WORDS: Final = (
    *("bom", "dia", "pessoal", "alguém", "sabe", "como", "configurar", "o", "servidor"),
    *("hoje", "amanhã", "obrigado", "valeu", "legal", "ótimo", "problema", "erro"),
    *("versão", "nova", "atualização", "grupo", "reunião", "🎉", "😂", "👍"),
)


def _message(index: int, rng: random.Random) -> dict[str, Any]:
    """One exported message, shaped as tdesktop writes it (keys in its order)."""
    date = _START + index * 7
    user = 700_000_000 + rng.randrange(400)
    message: dict[str, Any] = {
        "id": index + 1,
        "type": "message",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(date)),
        "date_unixtime": str(date),
    }
    roll = rng.random()
    if roll < 0.02:
        return {
            **message,
            "type": "service",
            "actor": f"User {user}",
            "actor_id": f"user{user}",
            "action": "join_group_by_link",
            "inviter": "Group",
            "text": "",
            "text_entities": [],
        }
    if rng.random() < 0.05:
        message["edited"] = message["date"]
        message["edited_unixtime"] = str(date + 60)
    message["from"] = f"User {user}"
    message["from_id"] = f"user{user}"
    if index and rng.random() < 0.3:
        message["reply_to_message_id"] = index - rng.randrange(min(index, 50))
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(3, 25)))
    if roll < 0.10:
        message.update(photo="(File not included. Change data exporting settings to download.)")
        message.update(width=1280, height=960)
    elif roll < 0.15:
        message.update(file="(File not included. Change data exporting settings to download.)")
        message.update(media_type="sticker", sticker_emoji="👍", width=512, height=512)
        words = ""
    if roll > 0.8:
        parts: list[Any] = [
            words + " ",
            {"type": "hashtag", "text": "#ajuda"},
            " ",
            {"type": "link", "text": "https://example.com/x"},
        ]
        message["text"] = parts
        message["text_entities"] = [
            {"type": "plain", "text": parts[0]},
            parts[1],
            {"type": "plain", "text": " "},
            parts[3],
        ]
    else:
        message["text"] = words
        message["text_entities"] = [{"type": "plain", "text": words}] if words else []
    if rng.random() < 0.1:
        message["reactions"] = [
            {"type": "emoji", "count": rng.randrange(1, 9), "emoji": "👍"},
            {"type": "emoji", "count": 1, "emoji": "🔥"},
        ]
    return message


def write_export(path: Path, count: int, seed: int = 0) -> None:
    """A single chat's export of `count` messages, written message by message."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible corpus, not crypto
    partial = path.with_suffix(f".{os.getpid()}.partial")
    with partial.open("w", encoding="utf-8") as out:
        out.write('{\n "name": "Benchmark group",\n "type": "private_supergroup",\n')
        out.write(f' "id": {CHAT_ID},\n "messages": [\n')
        for index in range(count):
            _write_message(out, _message(index, rng), last=index == count - 1)
        out.write(" ]\n}\n")
    partial.replace(path)


def _write_message(out: TextIO, message: dict[str, Any], *, last: bool) -> None:
    body = json.dumps(message, ensure_ascii=False, indent=1)
    out.write("  " + body.replace("\n", "\n  ") + ("\n" if last else ",\n"))


def export_file(count: int) -> Path:
    """The generated export of `count` messages, cached between runs."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"export-{count}.json"
    if not path.exists():
        write_export(path, count)
    return path


def child(export: Path, lake: Path) -> None:
    """Import `export` into `lake` and print messages, seconds and this process's peak RSS."""
    from local.export_format import ExportChat
    from local.export_import import LakeTarget, import_chat
    from local.export_reader import SINGLE, MessageStream

    chat = ExportChat(CHAT_ID, "private_supergroup", "Benchmark group")
    report = import_chat(MessageStream(export, chat, SINGLE), LakeTarget(lake))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "messages": report.messages,
                "seconds": report.seconds,
                "peak_rss_mib": peak_kib / 1024,
                "bytes": report.bytes_read,
                "rows": report.rows,
                "files": report.files,
            }
        )
    )


def _run(export: Path) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="tgpipe-bench-import-") as lake:
        result = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "benchmarks.import_export", "--child", str(export), lake],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
    measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    measured["per_second"] = measured["messages"] / measured["seconds"]
    measured["load"] = (load_before, os.getloadavg()[0])
    return measured


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One size's runs: median messages/s and seconds, highest peak RSS, every run."""
    last = runs[-1]
    return {
        "messages_per_second": rounded(statistics.median(r["per_second"] for r in runs)),
        "seconds": rounded(statistics.median(r["seconds"] for r in runs)),
        "peak_rss_mib": rounded(max(r["peak_rss_mib"] for r in runs)),
        "runs": [
            {
                "messages_per_second": rounded(r["per_second"]),
                "peak_rss_mib": rounded(r["peak_rss_mib"]),
                "load_average_1min": [round(value, 2) for value in r["load"]],
            }
            for r in runs
        ],
        "export_bytes": last["bytes"],
        "rows": last["rows"],
        "files": last["files"],
    }


def measure() -> list[Figure]:
    """Messages per second and peak RSS at two export sizes, RUNS imports of each."""
    paths = {}
    for count in (SMALL, LARGE):
        progress(f"import-export: generating an export of {count:,} messages (cached)")
        paths[count] = export_file(count)
    runs: dict[int, list[dict[str, Any]]] = {SMALL: [], LARGE: []}
    for number in range(1, RUNS + 1):
        for count, path in paths.items():
            progress(
                f"import-export: run {number}/{RUNS}, {count:,} messages "
                f"({path.stat().st_size:,} bytes)"
            )
            runs[count].append(_run(path))
    detail: dict[str, Any] = {str(count): _summary(r) for count, r in runs.items()}
    small, large = detail[str(SMALL)], detail[str(LARGE)]
    per_second = large["messages_per_second"]
    memory_ratio = large["peak_rss_mib"] / small["peak_rss_mib"]
    return [
        Figure(
            name="import_export_throughput",
            value=rounded(per_second),
            unit=f"messages/s (one core, parse + shape + Parquet, at the larger size, "
            f"median of {RUNS} runs)",
            goal=f">= {GOAL_PER_SECOND:,}/s",
            met=per_second >= GOAL_PER_SECOND,
            detail=detail,
        ),
        Figure(
            name="import_export_memory",
            value=rounded(large["peak_rss_mib"]),
            unit=f"MiB peak RSS importing {LARGE:,} messages (highest of {RUNS} runs)",
            goal=f"<= {GOAL_MEMORY_RATIO} × the peak at {SMALL:,} messages (flat in the size)",
            met=memory_ratio <= GOAL_MEMORY_RATIO,
            baseline={
                "name": f"peak RSS importing {SMALL:,} messages",
                "value": rounded(small["peak_rss_mib"]),
                "unit": "MiB",
                "ratio": rounded(memory_ratio, 3),
            },
            detail=detail,
        ),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        main(measure)
