"""`tgpipe package -o FILE.zip`: the exact Lambda zip `tgpipe deploy` uploads.

The zip holds `functions/` and `glue_schema/` (what the handlers import) and
orjson built for the functions' platform (arm64 manylinux, Python of the Lambda
runtime), taken from its wheel on PyPI: pip downloads the wheel for that platform,
no Docker and no compiler. Nothing local-only goes in (no duckdb, pyarrow,
`local/`, `scripts/`, tests); boto3 comes with the runtime and Powertools from its
layer. The zip is deterministic: the same code and wheel give the same bytes.

Wheels are kept in a wheelhouse (`.venv/wheels` by default): `make install`
fills it, so tests and later packages work offline.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from infra import names as n
from scripts.cli import CliError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: What the Lambda package holds of this project: the handlers and the schema they import.
PACKAGE_ROOTS = ("functions", "glue_schema")
#: The earliest date a zip entry can carry: same files, same bytes, whatever their mtimes.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
WHEELHOUSE = PROJECT_ROOT / ".venv" / "wheels"


@dataclass(frozen=True)
class Platform:
    """A wheel platform: pip's --platform and the CPython version (e.g. 3.12)."""

    pip_platform: str
    python_version: str

    @property
    def abi(self) -> str:
        """The CPython ABI tag, cp312 for 3.12."""
        return "cp" + self.python_version.replace(".", "")


#: The functions' platform, from the template's runtime and architecture.
LAMBDA_PLATFORM = Platform(
    {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}[n.LAMBDA_ARCHITECTURE],
    n.LAMBDA_RUNTIME.removeprefix("python"),
)


def host_platform() -> Platform:
    """This machine's platform (for running the package here in tests)."""
    import platform

    machine = {"x86_64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}[platform.machine()]
    return Platform(f"manylinux2014_{machine}", f"{sys.version_info[0]}.{sys.version_info[1]}")


@dataclass(frozen=True)
class Package:
    """The zipped function code and the content hash it is stored under."""

    body: bytes

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the zip bytes."""
        return hashlib.sha256(self.body).hexdigest()

    @property
    def key(self) -> str:
        """The artifacts-bucket key: the same code always lands on the same key."""
        return f"functions/{self.sha256}.zip"


def orjson_version() -> str:
    """The orjson version this project runs locally: the package ships the same one."""
    return metadata.version("orjson")


def orjson_wheel(
    platform: Platform = LAMBDA_PLATFORM, wheelhouse: Path = WHEELHOUSE, *, fetch: bool = True
) -> Path:
    """orjson's wheel for `platform`, from the wheelhouse or downloaded into it by pip."""
    version = orjson_version()
    pattern = f"orjson-{version}-{platform.abi}-{platform.abi}-*{platform.pip_platform.split('_', 1)[1]}*.whl"
    found = sorted(wheelhouse.glob(pattern))
    if found:
        return found[-1]
    if not fetch:
        raise CliError(f"no orjson {version} wheel for {platform.pip_platform} in {wheelhouse}")
    wheelhouse.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "pip", "download", f"orjson=={version}", "--only-binary=:all:",
        "--platform", platform.pip_platform, "--python-version", platform.python_version,
        "--implementation", "cp", "--abi", platform.abi, "--no-deps", "--quiet",
        "--dest", str(wheelhouse),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
    found = sorted(wheelhouse.glob(pattern))
    if result.returncode != 0 or not found:
        reason = (result.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise CliError(f"could not fetch orjson {version} for {platform.pip_platform}: {reason}")
    return found[-1]


def package_files(root: Path = PROJECT_ROOT) -> list[tuple[str, Path]]:
    """(name in the zip, file) for every project file the package holds, in name order."""
    files = []
    for top in PACKAGE_ROOTS:
        for path in (root / top).rglob("*"):
            relative = path.relative_to(root)
            if not path.is_file() or path.suffix in (".pyc", ".pyo"):
                continue
            if any(part == "__pycache__" or part.startswith(".") for part in relative.parts):
                continue
            files.append((relative.as_posix(), path))
    return sorted(files)


def _wheel_entries(wheel: Path) -> list[tuple[str, bytes]]:
    """The wheel's importable files (its package and .libs), not its metadata."""
    with zipfile.ZipFile(wheel) as archive:
        return sorted(
            (name, archive.read(name))
            for name in archive.namelist()
            if not name.endswith("/") and ".dist-info/" not in name
        )


def build_package(root: Path = PROJECT_ROOT, wheel: Path | None = None) -> Package:
    """The deterministic zip: sorted entries, fixed dates and modes, fixed compression."""
    entries = [(name, path.read_bytes()) for name, path in package_files(root)]
    if wheel is not None:
        entries += _wheel_entries(wheel)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            executable = name.endswith(".so")
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.create_system = 3  # Unix, whatever machine builds it.
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    return Package(buffer.getvalue())


def lambda_package(wheelhouse: Path = WHEELHOUSE, *, fetch: bool = True) -> Package:
    """The package deploy uploads: the code and orjson for the functions' platform."""
    return build_package(PROJECT_ROOT, orjson_wheel(LAMBDA_PLATFORM, wheelhouse, fetch=fetch))


def run(args: argparse.Namespace) -> int:
    """Write the zip (or only fetch the wheels, for `make install`)."""
    if args.fetch_wheels:
        for platform in (LAMBDA_PLATFORM, host_platform()):
            print(f"wheel: {orjson_wheel(platform, args.wheelhouse).name}")
        return 0
    if args.output is None:
        raise CliError("where to? pass -o FILE.zip")
    if args.output.is_dir():
        raise CliError(f"-o {args.output} is a directory; name the zip file")
    package = lambda_package(args.wheelhouse)
    try:
        args.output.write_bytes(package.body)
    except OSError as error:
        raise CliError(f"cannot write {args.output}: {error.strerror}") from None
    print(f"wrote {args.output} ({len(package.body):,} bytes, sha256 {package.sha256[:16]}…)")
    return 0


def register(subparsers: Any) -> None:
    """Add `package`."""
    parser = subparsers.add_parser(
        "package",
        help="write the exact Lambda zip deploy uploads (orjson for arm64 included)",
        description=__doc__,
    )
    parser.add_argument("-o", "--output", type=Path, metavar="FILE.zip")
    parser.add_argument("--wheelhouse", type=Path, default=WHEELHOUSE, metavar="DIR")
    parser.add_argument(
        "--fetch-wheels", action="store_true", help="only fetch orjson's wheels (make install)"
    )
    parser.set_defaults(func=run)
