"""`ernie-aiml emulator`: serve the loopback AI/ML API until Ctrl-C."""

from __future__ import annotations

import argparse
import errno
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
    parser.add_argument(
        "--no-validate",
        dest="validate",
        action="store_false",
        help="answer without checking request bodies against AIML's schemas (needs no jsonschema)",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; the first line printed is the base URL.

    What stops it from starting (no `jsonschema`, a taken port) is one line with the fix, exit 2.
    """
    from ernie_aiml.emulator import serve_forever

    problem = _missing_validator(args)
    if problem:
        print(f"ernie-aiml emulator: {problem}", file=sys.stderr)
        return 2

    def announce(emulator: object) -> None:
        print(emulator.base_url, flush=True)  # type: ignore[attr-defined]
        print(
            "AI/ML API emulator: any non-empty key works. Ctrl-C to stop.",
            file=sys.stderr,
            flush=True,
        )

    try:
        serve_forever(
            args.port,
            args.host,
            on_ready=announce,
            status=args.status,
            done=args.done,
            allow_deprecated=args.allow_deprecated,
            validate=args.validate,
        )
    except BrokenPipeError:
        raise  # stdout's reader left: not a binding problem (the CLI ends quietly)
    except OSError as exc:  # binding failed: the port is taken, or the address is not ours
        taken = exc.errno == errno.EADDRINUSE
        reason = "the port is already in use" if taken else (exc.strerror or str(exc))
        print(
            f"ernie-aiml emulator: cannot listen on {args.host}:{args.port}: {reason} "
            "(choose another --port, or --port 0 for a free one)",
            file=sys.stderr,
        )
        return 2
    return 0


def _missing_validator(args: argparse.Namespace) -> str | None:
    """Why the emulator cannot validate bodies here (jsonschema missing), with the fix; or None."""
    from ernie_aiml.integration import install_command, missing_modules

    if not args.validate or not missing_modules("jsonschema"):
        return None
    return (
        "checking request bodies needs jsonschema, which is not installed; "
        f"install it with: {install_command('emulator')} "
        "(or serve without checks: ernie-aiml emulator --no-validate)"
    )
