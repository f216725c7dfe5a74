"""``difykit-emulator``: serve an emulated Dify with demo apps and print their keys."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._emulator import DifyEmulator
from ._ids import seeded_key

__all__ = ["DEFAULT_PORT", "banner", "demo_emulator", "main"]


DEFAULT_PORT = 8401
"""``difykit-emulator``'s port: not Dify's own 5001, so both can run on one machine."""


def demo_emulator(seed: str | None = None) -> DifyEmulator:
    """An emulator with one app of every mode (echo replies) and a knowledge key.

    With a ``seed``, every key is derived from it, so the same seed gives the same keys on
    every run (they can live in a shell profile or a ``.env`` file).
    """

    def key(prefix: str, name: str) -> str | None:
        return seeded_key(prefix, seed, name) if seed is not None else None

    emulator = DifyEmulator(dataset_key=key("dataset-", "knowledge"))
    emulator.add_app(
        mode="chat",
        name="Demo Chatbot",
        opening_statement="Hello! I echo.",
        api_key=key("app-", "chat"),
    )
    emulator.add_app(mode="agent-chat", name="Demo Agent", api_key=key("app-", "agent-chat"))
    emulator.add_app(
        mode="advanced-chat",
        name="Demo Chatflow",
        inputs=["name"],
        api_key=key("app-", "advanced-chat"),
    )
    emulator.add_app(
        mode="completion",
        name="Demo Text Generator",
        inputs=["topic"],
        api_key=key("app-", "completion"),
    )
    emulator.add_app(
        mode="workflow",
        name="Demo Workflow",
        inputs=["text"],
        outputs=["text"],
        api_key=key("app-", "workflow"),
    )
    return emulator


def banner(emulator: DifyEmulator, base_url: str) -> str:
    """What ``difykit-emulator`` prints once it listens: the base URL and every key."""
    lines = [f"Dify emulator at {base_url}"]
    for app in emulator.apps_by_key.values():
        lines.append(f"  {app.mode:<14} {app.name:<20} {app.api_key}")
    lines.append(f"  {'knowledge':<14} {'(dataset key)':<20} {emulator.dataset_key}")
    lines.append("Ctrl-C to stop.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until interrupted."""
    parser = argparse.ArgumentParser(
        prog="difykit-emulator", description="Serve an in-memory Dify Service API with demo apps."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; Dify's own is 5001; 0 = random)",
    )
    parser.add_argument(
        "--seed",
        help="derive every key from SEED: the same seed gives the same keys on every run",
    )
    args = parser.parse_args(argv)
    emulator = demo_emulator(args.seed)
    try:
        with emulator.serve(host=args.host, port=args.port) as base_url:
            print(banner(emulator, base_url), flush=True)
            _wait_forever()
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:
        print(f"difykit-emulator: {exc}", file=sys.stderr)
        return 1
    return 0


def _wait_forever() -> None:
    import threading

    threading.Event().wait()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
