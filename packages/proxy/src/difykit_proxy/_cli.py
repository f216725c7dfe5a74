"""``difykit-proxy``: serve the proxy; ``--demo`` serves it in front of an embedded emulator."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Generator, Sequence
from typing import Any

from ._app import create_app
from ._server import bind, server_for
from ._settings import ProxySettings, SettingsError, load_settings

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="difykit-proxy",
        description="An OpenAI-compatible endpoint in front of Dify apps.",
    )
    parser.add_argument("--host", help="address to bind (default SERVER_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default SERVER_PORT or 8000; 0 = any)")
    parser.add_argument("--config", metavar="FILE", help="a TOML settings file")
    parser.add_argument(
        "--demo", action="store_true", help="serve in front of an embedded Dify emulator"
    )
    parser.add_argument(
        "--log-level", choices=["debug", "info", "warning", "error"], help="default: info"
    )
    return parser


@contextlib.contextmanager
def _demo(overrides: dict[str, Any]) -> Generator[dict[str, str], None, None]:
    """Start the emulator; fill the settings overrides for it; yield model → mode."""
    from ._demo import DEMO_KEY, demo_emulator

    emulator, keys = demo_emulator()
    with emulator.serve() as dify_url:
        overrides.update(
            proxy_keys=[DEMO_KEY],
            apps={name: {"key": key} for name, key in keys.items()},
            dify_api_keys=[],
            dify_base_url=dify_url,
        )
        overrides.setdefault("show_nodes", True)  # the chatflow's node events are part of the show
        yield {name: emulator.apps_by_key[key].mode for name, key in keys.items()}


def _banner(base_url: str, key: str, models: dict[str, str]) -> str:
    names = ", ".join(f"{name} ({mode})" for name, mode in models.items())
    first = next(iter(models))
    body = f'{{"model": "{first}", "messages": [{{"role": "user", "content": "Hello"}}]}}'
    return "\n".join(
        [
            "difykit-proxy demo: an OpenAI-compatible endpoint in front of an emulated Dify",
            "",
            f"  Base URL  {base_url}",
            f"  API key   {key}",
            f"  Models    {names}",
            "",
            "Try it:",
            f"  curl {base_url}/chat/completions -H 'Authorization: Bearer {key}' "
            f"-H 'Content-Type: application/json' -d '{body}'",
            "",
            "  from openai import OpenAI",
            f'  client = OpenAI(base_url="{base_url}", api_key="{key}")',
            f'  reply = client.chat.completions.create(model="{first}", '
            'messages=[{"role": "user", "content": "Hello"}])',
            "  print(reply.choices[0].message.content)",
            "",
            "Ctrl-C to stop.",
        ]
    )


def _serve(settings: ProxySettings, *, demo_models: dict[str, str] | None, any_port: bool) -> int:
    try:
        sock = bind(settings.host, settings.port)
    except OSError as exc:
        if not any_port:
            print(
                f"difykit-proxy: cannot listen on {settings.host}:{settings.port}: {exc}",
                file=sys.stderr,
            )
            return 1
        sock = bind(settings.host, 0)
    base_url = f"http://{settings.host}:{sock.getsockname()[1]}/v1"
    if demo_models is not None:
        print(_banner(base_url, settings.proxy_keys[0], demo_models), flush=True)
    else:
        print(f"difykit-proxy at {base_url} (Ctrl-C to stop)", flush=True)
    server = server_for(create_app(settings), log_level=settings.log_level)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the proxy until interrupted.

    Returns 0 after Ctrl-C, 2 for bad settings (one line on stderr), 1 if it cannot listen.
    """
    args = _parser().parse_args(argv)
    overrides: dict[str, Any] = {}
    if args.host is not None:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    if args.log_level is not None:
        overrides["log_level"] = args.log_level
    try:
        with contextlib.ExitStack() as stack:
            demo_models = stack.enter_context(_demo(overrides)) if args.demo else None
            try:
                settings = load_settings(
                    args.config, env_file=None if args.demo else ".env", **overrides
                )
            except SettingsError as exc:
                print(f"difykit-proxy: {exc}", file=sys.stderr)
                return 2
            logging.basicConfig(
                level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
            )
            if settings.log_level != "debug":  # httpx logs every request at INFO
                logging.getLogger("httpx").setLevel(logging.WARNING)
            return _serve(
                settings, demo_models=demo_models, any_port=args.demo and args.port is None
            )
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
