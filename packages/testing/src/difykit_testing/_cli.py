"""``difykit-emulator``: serve an emulated Dify with demo apps and print their keys."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._emulator import DifyEmulator

__all__ = ["demo_emulator", "main"]


def demo_emulator() -> DifyEmulator:
    """An emulator with one app of every mode (echo replies) and a knowledge key."""
    emulator = DifyEmulator()
    emulator.add_app(mode="chat", name="Demo Chatbot", opening_statement="Hello! I echo.")
    emulator.add_app(mode="agent-chat", name="Demo Agent")
    emulator.add_app(mode="advanced-chat", name="Demo Chatflow", inputs=["name"])
    emulator.add_app(mode="completion", name="Demo Text Generator", inputs=["topic"])
    emulator.add_app(mode="workflow", name="Demo Workflow", inputs=["text"], outputs=["text"])
    return emulator


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until interrupted."""
    parser = argparse.ArgumentParser(
        prog="difykit-emulator", description="Serve an in-memory Dify Service API with demo apps."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5001, help="port (default 5001; 0 = random)")
    args = parser.parse_args(argv)
    emulator = demo_emulator()
    try:
        with emulator.serve(host=args.host, port=args.port) as base_url:
            print(f"Dify emulator at {base_url}", flush=True)
            for app in emulator.apps_by_key.values():
                print(f"  {app.mode:<14} {app.name:<20} {app.api_key}", flush=True)
            print(f"  {'knowledge':<14} {'(dataset key)':<20} {emulator.dataset_key}", flush=True)
            print("Ctrl-C to stop.", flush=True)
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
