"""The ``completion`` resource of ``AsyncDify``, its builders bound."""

from __future__ import annotations

from difykit_core.operations import completion

from difykit_async._binding import Resource, endpoint, stream_endpoint

__all__ = ["Completion"]


class Completion(Resource):
    """Completion apps (text generators): ``send``, ``stream``, ``stop``."""

    send = endpoint(completion.send_message)
    stream = stream_endpoint(completion.stream_message)
    stop = endpoint(completion.stop_message)
