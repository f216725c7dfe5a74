"""Watch every call a client makes: an observer that logs how each call ended.

Runs offline against the Dify emulator (``pip install "difykit[testing]"``):
    uv run python examples/observe_calls.py
"""

from __future__ import annotations

from difykit import CallEnd, CallInfo, Dify, Observer, call_context
from difykit_testing import DifyEmulator


class PrintCalls(Observer):
    """Prints one line per call; asks for no stream events, so chunks cost it nothing."""

    event_kinds = frozenset[str]()

    def on_end(self, call: CallInfo, end: CallEnd) -> None:
        first = end.time_to_first_event
        ttfe = f", first event after {first * 1000:.1f} ms" if first is not None else ""
        print(f"{call.operation} ok: HTTP {end.status_code} in {end.elapsed * 1000:.1f} ms{ttfe}")
        print(f"  context={dict(call.context)} app={call.app}")

    def on_error(self, call: CallInfo, error: Exception, end: CallEnd) -> None:
        print(f"{call.operation} failed after {end.attempts} attempt(s): {error}")

    def on_cancel(self, call: CallInfo, reason: str, end: CallEnd) -> None:
        print(f"{call.operation} cancelled ({reason}) after {end.events} event(s)")


def main() -> None:
    """Make a blocking call, a stream read to its end, and a stream closed early."""
    emulator = DifyEmulator()
    app = emulator.add_app(mode="chat", reply="Dify runs LLM apps.")
    with (
        emulator.serve() as base_url,
        Dify(api_key=app.api_key, base_url=base_url, observers=[PrintCalls()]) as dify,
    ):
        with call_context(tenant="acme"):
            dify.chat.send(query="What is Dify?", user="u1")
        print(dify.chat.stream(query="Again", user="u1").collect().answer)
        with dify.chat.stream(query="Once more", user="u1") as stream:
            next(iter(stream))  # read one event, then leave: the call is cancelled


if __name__ == "__main__":
    main()
