"""`tgpipe template [-o FILE]`: print or write the CloudFormation template."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from scripts.cli import CliError


def register(subparsers: Any) -> None:
    """Add the `template` subcommand."""
    parser = subparsers.add_parser(
        "template",
        help="print or write the CloudFormation template",
        description="The stack's CloudFormation template (JSON), built from infra/.",
    )
    parser.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here instead of stdout"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the template; print it, or write it to --output."""
    from infra.template import template_json

    text = template_json()
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot write {args.output}: {error.strerror}") from error
    print(f"wrote {args.output} ({len(text.encode('utf-8')):,} bytes)", file=sys.stderr)
    return 0
