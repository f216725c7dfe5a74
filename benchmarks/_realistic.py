"""The realistic bodies of issue 8: a chatflow stream and a blocking answer with metadata.

The stream is built from recordings 06 and 182 (``packages/core/tests/data``): the loop
section of 182 (``loop_*`` and assigner ``node_*`` events carrying inputs, outputs,
process_data and execution_metadata) alternates with LLM nodes streaming ``message`` deltas,
whose ``node_finished`` carries the prompt and the generated text, as Dify sends them. About
15 % of the events are node/loop events and they carry about 45 % of the bytes.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from _common import ROOT

DATA = ROOT / "packages/core/tests/data"
CHATFLOW = DATA / "06-chat-messages-streaming-continue.sse"
LOOP = DATA / "182-chat-messages-loop-streaming.sse"
BLOCKING = (
    ROOT / "packages/async/tests/data/recordings/05-chat-messages-blocking-new-conversation.json"
)
EVENTS = 10_000
DELTAS_PER_LLM = 22
"""message deltas between an LLM node's node_started and node_finished."""
LOOP_PER_LLM = 2
"""Frames of 182's loop section after each LLM node."""
TOKENS = ["The", " answer", " is", " forty", "-two", ",", " café", " naïve", " —", " 你好", " 🙂"]
SYSTEM_PROMPT = (
    "You are a helpful assistant for the ACME knowledge base. Answer from the retrieved context "
    "only, cite the documents you used, keep answers short, and say so when you do not know. "
)
CONTEXT = 7 * (
    "Warranty: every ACME device is covered against manufacturing defects for 24 months from "
    "the delivery date. Batteries and chargers are covered for 12 months. "
)
"""The retrieved context an LLM node's prompt carries (in its inputs and process_data)."""


def _frames(path: Any) -> list[dict[str, Any]]:
    return [
        json.loads(frame[5:])
        for frame in path.read_bytes().split(b"\n\n")
        if frame.startswith(b"data:")
    ]


def _frame(obj: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


def _llm_finished(template: dict[str, Any], n: int, text: str) -> dict[str, Any]:
    data = dict(template["data"])
    data.update(
        node_id=f"llm{n}",
        node_type="llm",
        title=f"LLM {n}",
        inputs={"sys.query": "Hello Dify", "context": CONTEXT},
        process_data={
            "model_mode": "chat",
            "prompts": [
                {"role": "system", "text": SYSTEM_PROMPT + CONTEXT, "files": []},
                {"role": "user", "text": "Hello Dify", "files": []},
            ],
            "model_provider": "langgenius/openai/openai",
            "model_name": "gpt-4o-mini",
        },
        outputs={"text": text, "usage": {"prompt_tokens": 96, "completion_tokens": 34}},
        execution_metadata={
            "total_tokens": 130,
            "total_price": "0.0000348",
            "currency": "USD",
        },
    )
    return {**template, "data": data}


@cache
def stream(events: int = EVENTS) -> tuple[bytes, int]:
    """The realistic stream (a ping first, about ``events`` data events); (body, events)."""
    chatflow, loop = _frames(CHATFLOW), _frames(LOOP)
    by_name = {f["event"]: f for f in chatflow}
    loop_section = [f for f in loop if f["event"].startswith(("loop_", "node_"))][2:-4]
    out = [b"event: ping\n\n", _frame(by_name["workflow_started"])]
    count, n, token = 1, 0, 0
    tail = [by_name["message_end"], by_name["workflow_finished"]]
    while count < events - len(tail):
        started = {**by_name["node_started"], "data": {**by_name["node_started"]["data"]}}
        started["data"].update(node_id=f"llm{n}", node_type="llm", title=f"LLM {n}")
        out.append(_frame(started))
        text = ""
        for _ in range(DELTAS_PER_LLM):
            delta = TOKENS[token % len(TOKENS)]
            token += 1
            text += delta
            out.append(_frame({**by_name["message"], "answer": delta}))
        out.append(_frame(_llm_finished(by_name["node_finished"], n, text)))
        for i in range(LOOP_PER_LLM):
            out.append(_frame(loop_section[(n * LOOP_PER_LLM + i) % len(loop_section)]))
        count += DELTAS_PER_LLM + 2 + LOOP_PER_LLM
        n += 1
    out += [_frame(f) for f in tail]
    body = b"".join(out)
    return body, body.count(b"\ndata: ") + body.startswith(b"data: ")


def stream_shape() -> str:
    """How the stream is made up, for the notes."""
    body, events = stream()
    frames = [f for f in body.split(b"\n\n") if f.startswith(b"data: ")]
    kinds = (b'data: {"event":"node_', b'data: {"event":"loop_')
    graph = [f for f in frames if f.startswith(kinds)]
    return (
        f"{events:,} events in {len(body) / 1e6:.1f} MB; node/loop events "
        f"{len(graph) / events:.0%} of the events and {sum(map(len, graph)) / len(body):.0%} "
        "of the bytes"
    )


@cache
def blocking_answer() -> bytes:
    """Recording 05's answer with a real ``metadata.usage`` and three retriever resources."""
    body = json.loads(BLOCKING.read_text("utf-8"))["response_body"]
    body["answer"] = (
        "The warranty covers manufacturing defects for 24 months from delivery; batteries are "
        "covered for 12 months. Send the serial number and the invoice to support to open a claim."
    )
    body["metadata"]["usage"].update(
        prompt_tokens=812,
        completion_tokens=46,
        total_tokens=858,
        prompt_price="0.0001218",
        completion_price="0.0000276",
        total_price="0.0001494",
        latency=1.832,
    )
    body["metadata"]["retriever_resources"] = [
        {
            "position": i + 1,
            "dataset_id": "3f1c8a2e-5b7d-4e21-9a6f-0c2b8d4e7f10",
            "dataset_name": "ACME product handbook",
            "document_id": f"9a7e{i}c1d-2b3f-4a5e-8d6c-7f1e2a3b4c5d",
            "document_name": f"warranty-{i + 1}.md",
            "segment_id": f"5c2e{i}a9b-8d7f-4e6a-b1c3-2d4f6a8b0c1e",
            "score": 0.87 - i / 10,
            "content": (
                "Warranty: every ACME device is covered against manufacturing defects for 24 "
                "months from the delivery date. Batteries and chargers are covered for 12 "
                "months. Claims need the serial number and a proof of purchase."
            ),
        }
        for i in range(3)
    ]
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
