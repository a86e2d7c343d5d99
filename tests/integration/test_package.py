"""`tgpipe package`: the Lambda zip holds what the functions import and runs on its own.

Wheels come from the wheelhouse `make install` fills (.venv/wheels): no network here.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scripts import package as packaging
from scripts.cli import main

#: The Powertools layer's libraries, and what the Lambda Python runtime itself provides.
LAYER_MODULES = ("aws_lambda_powertools", "typing_extensions", "jmespath")
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "dateutil", "urllib3", "six")
LOCAL_ONLY = ("local/", "scripts/", "tests/", "benchmarks/", "infra/", "duckdb", "pyarrow")

SERVE_ONE_REQUEST = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from functions import jsoncodec
from functions.webhook.handler import lambda_handler
import functions.archiver.handler
update = {"update_id": 1, "message": {"message_id": 1, "date": 1767254600,
          "chat": {"id": -1009876543210, "type": "supergroup"}, "text": "oi"}}
event = {"version": "2.0", "headers": {"x-telegram-bot-api-secret-token": "s"},
         "requestContext": {"http": {"method": "POST", "sourceIp": "127.0.0.1"}},
         "body": json.dumps(update), "isBase64Encoded": False}
class Context:
    function_name = "webhook"; memory_limit_in_mb = 256; aws_request_id = "r"
    invoked_function_arn = "arn:aws:lambda:us-east-1:1:function:webhook"
response = lambda_handler(event, Context())
print(json.dumps({"status": response["statusCode"], "orjson": jsoncodec._orjson is not None,
                  "site": [p for p in sys.path if "site-packages" in p]}))
"""


def _unzipped(package: packaging.Package, destination: Path) -> Path:
    with zipfile.ZipFile(__import__("io").BytesIO(package.body)) as archive:
        archive.extractall(destination)
    return destination


def _layer(destination: Path) -> Path:
    """A folder holding only the layer's and the runtime's libraries (links to installed ones)."""
    destination.mkdir()
    for module in (*LAYER_MODULES, *RUNTIME_MODULES):
        spec = importlib.util.find_spec(module)
        assert spec is not None, module
        assert spec.origin is not None, module
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (destination / source.name).symlink_to(source)
    return destination


def _serve(package_dir: Path, layer: Path) -> dict[str, object]:
    env = {"ALLOWED_CHAT_IDS": "-1001234567890", "DELIVERY_STREAM_NAME": "s",
           "WEBHOOK_SECRET": "s", "AWS_DEFAULT_REGION": "us-east-1",
           "POWERTOOLS_METRICS_NAMESPACE": "T", "POWERTOOLS_LOG_LEVEL": "WARN"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", SERVE_ONE_REQUEST, str(package_dir), str(layer)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    decoded: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return decoded


@pytest.fixture(scope="module")
def lambda_zip() -> packaging.Package:
    return packaging.lambda_package(fetch=False)


def test_the_lambda_package_holds_the_code_and_arm64_orjson_and_nothing_local(
    lambda_zip: packaging.Package,
) -> None:
    with zipfile.ZipFile(__import__("io").BytesIO(lambda_zip.body)) as archive:
        names = archive.namelist()
    assert {name.split("/")[0] for name in names} == {"functions", "glue_schema", "orjson"}
    (shared,) = [name for name in names if name.endswith(".so")]
    assert shared.startswith("orjson/")
    assert "cpython-312-aarch64-linux-gnu" in shared
    assert not [name for name in names if name.startswith(LOCAL_ONLY) or ".dist-info" in name]


def test_the_package_is_the_same_bytes_every_time(lambda_zip: packaging.Package) -> None:
    assert packaging.lambda_package(fetch=False).body == lambda_zip.body


def test_package_command_writes_the_zip_deploy_uploads(
    tmp_path: Path, lambda_zip: packaging.Package, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "function.zip"
    assert main(["package", "-o", str(target)]) == 0
    assert target.read_bytes() == lambda_zip.body
    assert main(["package", "-o", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert main(["package", "-o", str(tmp_path / "missing" / "f.zip")]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"tgpipe package: cannot write {tmp_path / 'missing' / 'f.zip'}: No such file or directory\n"
    )


def test_the_package_serves_a_request_with_only_the_layer_on_the_path(tmp_path: Path) -> None:
    # The same package built for this machine, so its orjson loads here as it does on Lambda.
    host = packaging.build_package(
        wheel=packaging.orjson_wheel(packaging.host_platform(), fetch=False)
    )
    served = _serve(_unzipped(host, tmp_path / "package"), _layer(tmp_path / "layer"))
    assert served == {"status": 200, "orjson": True, "site": []}


def test_the_arm64_package_still_serves_here_on_the_stdlib_codec(
    tmp_path: Path, lambda_zip: packaging.Package
) -> None:
    served = _serve(_unzipped(lambda_zip, tmp_path / "package"), _layer(tmp_path / "layer"))
    assert served["status"] == 200
    if packaging.host_platform().pip_platform != packaging.LAMBDA_PLATFORM.pip_platform:
        assert served["orjson"] is False  # another architecture's library cannot load here
