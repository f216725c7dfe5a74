"""The transport contract: everything a transport (or the proxy, or an exporter) needs.

A transport owns the I/O: it builds a :class:`ClientConfig` with :func:`client_config`, makes an
:class:`Exchange` (or :class:`StreamExchange`) per call, sends :attr:`Exchange.request`, reports
what happened (:meth:`Exchange.receive`, :meth:`Exchange.fail`), and carries out the decision
(:class:`Result`, :class:`Raise`, :class:`RetryAfter`). It never maps errors, decides retries
or calls observers itself. See ``ARCHITECTURE.md`` for the flow of a call.
"""

from __future__ import annotations

from ._call import Call, StreamCall
from ._config import (
    DEFAULT_BASE_URL,
    DEFAULT_STREAM_IDLE_TIMEOUT,
    DEFAULT_TIMEOUTS,
    ClientConfig,
    Timeouts,
    client_config,
    key_fingerprint,
)
from ._context import call_context, current_call_context
from ._exchange import Exchange, Raise, Result, RetryAfter, StreamExchange, TransportFailure
from ._http import FilePart, HttpRequest, HttpResponse
from ._observer import AppIdentity, CallEnd, CallInfo, Observer
from ._observers import ObserverSet
from ._retry import RetryPolicy

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_STREAM_IDLE_TIMEOUT",
    "DEFAULT_TIMEOUTS",
    "AppIdentity",
    "Call",
    "CallEnd",
    "CallInfo",
    "ClientConfig",
    "Exchange",
    "FilePart",
    "HttpRequest",
    "HttpResponse",
    "Observer",
    "ObserverSet",
    "Raise",
    "Result",
    "RetryAfter",
    "RetryPolicy",
    "StreamCall",
    "StreamExchange",
    "Timeouts",
    "TransportFailure",
    "call_context",
    "client_config",
    "current_call_context",
    "key_fingerprint",
]
