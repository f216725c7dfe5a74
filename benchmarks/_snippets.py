"""What each contender's user writes, as code for a fresh interpreter (``python -c``).

Used where a fresh process is the point: cold start (import + client + first call + first
event) and peak memory of a long stream. ``{url}`` is the loopback server's ``/v1`` URL and
``{query}`` the query; every snippet defines ``call()`` (one blocking call), ``stream(q)``
(an iterator of what the caller gets per event) and imports only what its user would.
"""

from __future__ import annotations

from dataclasses import dataclass

from _common import API_KEY, USER


@dataclass(frozen=True)
class Snippet:
    """One contender's code; ``dist`` names the peer whose folder goes on PYTHONPATH."""

    name: str
    code: str
    dist: str = ""


_RAW = """
import httpx, json
from pydantic import BaseModel
class Answer(BaseModel):
    answer: str
client = httpx.Client()
H = {{"Authorization": "Bearer KEY"}}
B = {{"query": "{query}", "user": "USER", "inputs": {{}}, "response_mode": "blocking"}}
def call():
    return Answer.model_validate_json(client.post("{url}/chat-messages", headers=H, json=B).content)
def stream(q):
    with client.stream("POST", "{url}/chat-messages", headers=H,
            json={{"query": q, "user": "USER", "inputs": {{}}, "response_mode": "streaming"}}) as r:
        for line in r.iter_lines():
            if line.startswith("data:"):
                yield json.loads(line[5:])
"""
_DIFYKIT = """
from difykit import Dify
dify = Dify(api_key="KEY", base_url="{url}")
def call():
    return dify.chat.send(query="{query}", user="USER")
def stream(q):
    with dify.chat.stream(query=q, user="USER") as events:
        yield from events
"""
_CLIENT_PYTHON = """
from dify_client import Client, models
client = Client(api_key="KEY", api_base="{url}")
def call():
    return client.chat_messages(models.ChatRequest(query="{query}", user="USER",
        response_mode=models.ResponseMode.BLOCKING))
def stream(q):
    return client.chat_messages(models.ChatRequest(query=q, user="USER",
        response_mode=models.ResponseMode.STREAMING))
"""
_PYTHON_SDK = """
import json
from dify_client import ChatClient
client = ChatClient(api_key="KEY", base_url="{url}")
def call():
    return client.create_chat_message(inputs={{}}, query="{query}", user="USER").json()
def stream(q):
    r = client.create_chat_message(inputs={{}}, query=q, user="USER", response_mode="streaming")
    for line in r.iter_lines():
        if line.startswith("data:"):
            yield json.loads(line[5:])
"""
_OFFICIAL = """
import json
from dify_client import ChatClient
client = ChatClient("KEY")
client.base_url = "{url}"
def call():
    return client.create_chat_message(inputs={{}}, query="{query}", user="USER").json()
def stream(q):
    r = client.create_chat_message(inputs={{}}, query=q, user="USER", response_mode="streaming")
    for line in r.iter_lines():
        if line.startswith(b"data:"):
            yield json.loads(line[5:])
"""
_OAPI = """
import json
from dify_oapi.client import Client
from dify_oapi.api.chat.v1.model.chat_request import ChatRequest
from dify_oapi.api.chat.v1.model.chat_request_body import ChatRequestBody
from dify_oapi.core.model.request_option import RequestOption
client = Client.builder().domain("{url}".removesuffix("/v1")).build()
option = RequestOption.builder().api_key("KEY").build()
def request(q, mode):
    body = ChatRequestBody.builder().query(q).user("USER").inputs({{}}).response_mode(mode).build()
    return ChatRequest.builder().request_body(body).build()
def call():
    return client.chat.v1.chat.chat(request("{query}", "blocking"), option)
def stream(q):
    buffer = b""
    for chunk in client.chat.v1.chat.chat(request(q, "streaming"), option, stream=True):
        frames = (buffer + chunk).split(b"\\n\\n")
        buffer = frames.pop()
        for frame in frames:
            for line in frame.split(b"\\n"):
                if line.startswith(b"data:"):
                    yield json.loads(line[5:])
"""


def snippets(url: str, query: str) -> list[Snippet]:
    """The limit (raw httpx, the answer validated into a one-field pydantic model), difykit,
    then the peers.

    The limit is the floor a typed SDK cannot go under: pydantic loaded and one model built.
    ``import pydantic`` alone is lazy, and even ``from pydantic import BaseModel`` loads none of
    what the first model definition does (``pydantic.fields``, the schema generator, the
    plugin scan: about 50 ms); :func:`lighter_limits` gives both for reference.
    """

    def fill(code: str) -> str:
        code = code.format(url=url, query=query)
        return code.replace("KEY", API_KEY).replace("USER", USER)

    return [
        Snippet(
            "raw httpx, answer validated into a one-field pydantic model (the limit)", fill(_RAW)
        ),
        Snippet("difykit sync (typed)", fill(_DIFYKIT)),
        Snippet("dify-client-python (typed)", fill(_CLIENT_PYTHON), "dify-client-python"),
        Snippet("dify-python-sdk (dicts)", fill(_PYTHON_SDK), "dify-python-sdk"),
        Snippet("dify-client (dicts)", fill(_OFFICIAL), "dify-client"),
        Snippet("dify-oapi2 (bytes → dicts)", fill(_OAPI), "dify-oapi2"),
    ]


def lighter_limits(url: str, query: str) -> list[Snippet]:
    """The limit without its model: ``BaseModel`` imported only, and ``import pydantic`` only."""
    untyped = _RAW.replace("class Answer(BaseModel):\n    answer: str\n", "").replace(
        "Answer.model_validate_json(", "json.loads("
    )
    lazy = untyped.replace("from pydantic import BaseModel", "import pydantic")
    return [
        Snippet(
            "raw httpx + `json.loads`, `from pydantic import BaseModel` (no model)",
            untyped.format(url=url, query=query).replace("KEY", API_KEY).replace("USER", USER),
        ),
        Snippet(
            "raw httpx + `json.loads`, `import pydantic` only (no model)",
            lazy.format(url=url, query=query).replace("KEY", API_KEY).replace("USER", USER),
        ),
    ]
