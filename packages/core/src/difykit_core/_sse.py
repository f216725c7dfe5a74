"""An incremental Server-Sent Events decoder: bytes in, events out (h11 style, no I/O).

It follows the WHATWG event-stream rules: lines end in ``\\n``, ``\\r\\n`` or ``\\r`` (a
``\\r\\n`` may be split across chunks), ``data:`` lines of one event are joined with ``\\n``,
``:`` starts a comment, and a frame with no ``data:`` (Dify's ``event: ping``) dispatches
nothing. Lines are split on bytes, which is safe inside UTF-8 (no multi-byte sequence holds
``\\r`` or ``\\n``), so a chunk cut inside a character needs no special care. Data stays bytes
so the event parser can validate JSON straight from it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SSEDecoder", "ServerSentEvent"]


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event of an SSE stream."""

    data: bytes
    """The joined ``data:`` lines, as UTF-8 bytes."""
    event: str | None = None
    """The ``event:`` field, if the frame had one."""
    id: str | None = None
    """The last event id seen so far."""
    retry: int | None = None
    """The ``retry:`` field of this frame, in milliseconds."""


class SSEDecoder:
    """Turns the byte chunks of an event stream into :class:`ServerSentEvent` objects.

    Feed chunks as they arrive with :meth:`feed`. At the end of the body nothing more is
    dispatched: an event whose blank line never came is discarded, as the SSE rules say.
    """

    __slots__ = ("_data", "_event", "_id", "_retry", "_skip_lf", "_tail")

    def __init__(self) -> None:
        self._tail = b""
        self._skip_lf = False
        self._data: list[bytes] = []
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode one chunk and return the events it completed."""
        return [ServerSentEvent(*frame) for frame in self.frames(chunk)]

    def frames(self, chunk: bytes) -> list[tuple[bytes, str | None, str | None, int | None]]:
        """Like :meth:`feed`, as ``(data, event, id, retry)`` tuples (no object per frame)."""
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        buffer = self._tail + chunk if self._tail else chunk
        if b"\r" in buffer:
            # A trailing CR ends its line now; a LF at the start of the next chunk is its pair.
            self._skip_lf = buffer[-1:] == b"\r"
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buffer.split(b"\n")
        self._tail = lines.pop()
        events: list[tuple[bytes, str | None, str | None, int | None]] = []
        for line in lines:
            if line.startswith(b"data:"):
                self._data.append(line[6:] if line[5:6] == b" " else line[5:])
            elif not line:
                if self._data:
                    events.append(self._dispatch())
                else:
                    self._event = None
                    self._retry = None
            elif line[:1] != b":":
                self._field(line)
        return events

    def _dispatch(self) -> tuple[bytes, str | None, str | None, int | None]:
        data = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
        event = (data, self._event, self._id, self._retry)
        self._data = []
        self._event = None
        self._retry = None
        return event

    def _field(self, line: bytes) -> None:
        name, sep, value = line.partition(b":")
        if sep and value[:1] == b" ":
            value = value[1:]
        if name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"data":  # "data" with no colon: an empty data line
            self._data.append(b"")
        elif name == b"id":
            if b"\0" not in value:
                self._id = value.decode("utf-8", "replace")
        elif name == b"retry" and value.isdigit():
            self._retry = int(value)
