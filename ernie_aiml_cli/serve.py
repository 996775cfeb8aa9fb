"""`ernie-aiml emulator`: serve the loopback AI/ML API until Ctrl-C."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `ernie-aiml emulator`."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument(
        "--status",
        type=int,
        choices=(200, 201),
        default=201,
        help="success status of chats (default 201, as AIML answers)",
    )
    parser.add_argument(
        "--done",
        action="store_true",
        help="end streams with `data: [DONE]` (AIML's streams end without it)",
    )
    parser.add_argument(
        "--allow-deprecated", action="store_true", help="answer deprecated models too"
    )


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; the first line printed is the base URL."""
    from ernie_aiml.emulator import serve_forever

    def announce(emulator: object) -> None:
        print(emulator.base_url, flush=True)  # type: ignore[attr-defined]
        print(
            "AI/ML API emulator: any non-empty key works. Ctrl-C to stop.",
            file=sys.stderr,
            flush=True,
        )

    serve_forever(
        args.port,
        args.host,
        on_ready=announce,
        status=args.status,
        done=args.done,
        allow_deprecated=args.allow_deprecated,
    )
    return 0
