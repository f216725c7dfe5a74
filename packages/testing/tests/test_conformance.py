"""Conformance with real Dify: every shared recording replayed against the emulator.

``data/conformance.json`` (built by ``data/make_conformance.py`` from the real Dify 1.13.2
recordings kept with the SDK's tests, in ``packages/async/tests/data/recordings``) holds each
recorded request and the shape of its answer. The replay builds the recorded apps (scripted
where a graph needs it), creates the state each request needs (setup steps stand in for the
recordings the shared set leaves out), maps recorded ids to the emulator's (roles), sends every
request with raw httpx, and compares status, error ``code`` and the recursive JSON key set
(ids, times and values may differ); streams compare their event names and each event's key
set, other bodies their content type. ``EXCLUDED`` lists, with reasons, where the emulator
differs on purpose.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from difykit_testing import DifyEmulator, EmulatedApp, InputVariable
from difykit_testing._state import Conversation, Variable

DATA = json.loads((Path(__file__).parent / "data" / "conformance.json").read_text("utf-8"))
RECORDS: list[dict[str, Any]] = DATA["recordings"]
BY_NUMBER: dict[int, dict[str, Any]] = {record["n"]: record for record in RECORDS}
BASE_URL = "http://127.0.0.1:5001"

Event = dict[str, Any]
Script = list[Event]

EXCLUDED: dict[int, str] = {
    19: (
        "Dify bug not copied: `variable_name` on conversation variables is a 500 on PostgreSQL "
        "(json_extract_path_text(text, unknown) does not exist); the emulator filters by name"
    ),
    54: (
        "Dify worker error not copied: a streaming chat on an unknown conversation answers 200 "
        "with one ping and then stalls forever; the emulator answers 404 not_found at once, as "
        "blocking mode does (53) (Faults.stall_next_stream() reproduces the stall)"
    ),
    90: (
        "Dify worker error not copied: a streaming run missing a required input answers 200 with "
        "one ping and then stalls forever; the emulator answers 400 invalid_param at once, as "
        "blocking mode does (89) (Faults.stall_next_stream() reproduces the stall)"
    ),
    101: (
        "deployment artifact: no plugin daemon was reachable, so Dify answered 400 'Failed to "
        "request plugin daemon'; the emulator lists datasets (as 132, with the daemon stand-in)"
    ),
    102: "deployment artifact: as 101 (no plugin daemon reachable), with a keyword",
    135: (
        "Dify bug not copied: tag create answers 400 invalid_param because its response model "
        "fails (binding_count); the tag is created all the same. The emulator answers the tag"
    ),
    138: "Dify bug not copied: tag list is a 400 for the same response-model failure as 135",
    139: "Dify bug not copied: tag rename is a 400 for the same response-model failure as 135",
    142: (
        "Dify bug not copied: `tag_ids` on the dataset list is a 400 'Input should be a valid "
        "list' in every form; the emulator filters by tag"
    ),
    168: "Dify bug not copied: as 142, with the parameter repeated",
    172: (
        "deployment artifact: deleting a child chunk needs a default text-embedding model, which "
        "the deployment lacked (400 'Default model not found'); the emulator deletes it (204)"
    ),
    192: (
        "Dify bug not copied: a float into a number variable that holds an integer is a 400 "
        "'not supported value type integer' (its stored segment type is integer); the emulator "
        "accepts any number, as the variable's declared type says"
    ),
    214: (
        "newer Dify route: the emulator serves GET /v1/workflow/{id}/events (the resume stream "
        "of later Dify releases, difykit's workflows.resume; here 400 as `user` is left out); "
        "Dify 1.13.2 answers an HTML 404"
    ),
    215: "web-app API route (/api/passport), not the Service API",
    216: "web-app API route (/api/workflow/{id}/events), not the Service API",
    218: "web-app API route (/api/form/human_input); the emulator serves /v1/form/human_input",
    219: "web-app API route (/api/form/human_input); the emulator serves /v1/form/human_input",
    220: "web-app API route (/api/form/human_input); the emulator serves /v1/form/human_input",
    222: "web-app API route (/api/form/human_input); the emulator serves /v1/form/human_input",
    224: "web-app API route (/api/workflow/{id}/events), not the Service API",
    226: "web-app API route (/api/workflow/{id}/events); the emulator serves /v1/workflow/…",
    229: "web-app API route (/api/workflow/{id}/events); the emulator serves /v1/workflow/…",
}
"""Recordings the emulator does not reproduce on purpose, with the reason."""

# --- the recorded apps (README of the recordings) -------------------------------------------

OPENING = "Hello! I echo what you say."
CONNECTION_REFUSED = "[Errno 111] Connection refused"
HTTP_REQUEST = "GET / HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n"
LOOP_COUNT = 100000


def _retry_config() -> dict[str, Any]:
    return {"max_retries": 0, "retry_interval": 0, "retry_enabled": False}


def _assigner_inputs(title: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A Variable Assigner v2 node's ``inputs`` (its configuration, as Dify reports it)."""
    return {
        "type": "assigner",
        "title": title,
        "desc": None,
        "version": "2",
        "error_strategy": None,
        "default_value": None,
        "retry_config": _retry_config(),
        "items": items,
    }


def _assigned(name: str, selector: list[str], value_type: str, value: Any) -> dict[str, Any]:
    """An assigner's ``process_data``: the new value and ``__updated_variables``."""
    update = {"name": name, "selector": selector, "value_type": value_type, "new_value": value}
    return {name: value, "__updated_variables": [update]}


def started(node_id: str, node_type: str, title: str, **extra: Any) -> Event:
    """A scripted ``node_started`` (the emulator fills the rest of its payload)."""
    return {
        "event": "node_started",
        "data": {"node_id": node_id, "node_type": node_type, "title": title, **extra},
    }


def finished(node_id: str, **data: Any) -> Event:
    """A scripted ``node_finished`` of a node started before."""
    return {"event": "node_finished", "data": {"node_id": node_id, **data}}


def message(answer: str, selector: list[str]) -> Event:
    """A chatflow answer piece."""
    return {"event": "message", "answer": answer, "from_variable_selector": selector}


def text_chunk(text: str, selector: list[str]) -> Event:
    """A workflow text piece."""
    return {"event": "text_chunk", "data": {"text": text, "from_variable_selector": selector}}


def echo_chatflow(query: Any, conversation: Conversation | None) -> Script:
    """echo-chatflow: Start, Variable Assigner (``last_query`` := query), Answer ``Echo: …``."""
    items = [
        {
            "variable_selector": ["conversation", "last_query"],
            "input_type": "variable",
            "operation": "over-write",
            "value": ["sys", "query"],
        }
    ]
    title = "Remember last query"
    return [
        {"event": "workflow_started"},
        started("start", "start", "Start"),
        message("Echo: ", ["answer", "answer"]),
        message(str(query), ["sys", "query"]),
        finished("start"),
        started("assign", "assigner", title),
        finished(
            "assign",
            inputs=_assigner_inputs(title, items),
            process_data=_assigned("last_query", ["conversation", "last_query"], "string", query),
        ),
        started("answer", "answer", "Answer"),
        finished("answer", outputs={"answer": f"Echo: {query}", "files": []}),
    ]


def echo_workflow(inputs: Any, conversation: Conversation | None) -> Script:
    """echo-workflow: Start (``text``, ``count``) streaming both, End (``result``, ``count``)."""
    outputs = {"result": inputs.get("text"), "count": inputs.get("count")}
    return [
        {"event": "workflow_started"},
        started("start", "start", "Start"),
        text_chunk(str(inputs.get("text") or ""), ["start", "text"]),
        text_chunk("\n", ["end", "answer"]),
        text_chunk(str(inputs.get("count") or ""), ["start", "count"]),
        finished("start"),
        started("end", "end", "End"),
        finished("end", inputs=outputs, outputs=outputs),
        {"event": "workflow_finished", "data": {"outputs": outputs}},
    ]


def _loop(rounds: int) -> Script:
    """The Loop node ``loop``: ``num += 1`` until ``num >= rounds`` (recordings 177-188)."""
    title = "Increment"
    items = [
        {
            "variable_selector": ["loop", "num"],
            "input_type": "constant",
            "operation": "+=",
            "value": 1,
        }
    ]
    loop_inputs = {"loop_count": LOOP_COUNT, "num": 0}
    events: Script = [
        {
            "event": "loop_started",
            "data": {
                "node_id": "loop",
                "metadata": {"loop_length": LOOP_COUNT},
                "inputs": loop_inputs,
            },
        }
    ]
    for index in range(rounds):
        if index:
            events.append({"event": "loop_next", "data": {"node_id": "loop"}})
        events.append(started("inc", "assigner", title, loop_id="loop"))
        events.append(
            finished(
                "inc",
                loop_id="loop",
                inputs=_assigner_inputs(title, items),
                process_data=_assigned("num", ["loop", "num"], "integer", index + 1),
                execution_metadata={"loop_id": "loop", "loop_index": index},
            )
        )
    events.append(
        {"event": "loop_completed", "data": {"node_id": "loop", "outputs": {"num": rounds}}}
    )
    return events


def loop_workflow(inputs: Any, conversation: Conversation | None) -> Script:
    """loop-workflow: Start (``rounds``), Loop, End (``num``)."""
    rounds = int(inputs.get("rounds") or 0)
    outputs = {"num": rounds}
    return [
        *_loop(rounds),
        started("end", "end", "End"),
        finished("end", inputs=outputs, outputs=outputs),
        {"event": "workflow_finished", "data": {"outputs": outputs}},
    ]


ROUNDS_BY_QUERY = {"count please": 20, "again": 10, "count to 2000": 2000}
"""The ``rounds`` input of each recorded loop-chatflow turn (a chat reply sees only the query)."""


def loop_chatflow(query: Any, conversation: Conversation | None) -> Script:
    """loop-chatflow: Start, Loop, Assigner (``counter`` := ``num``), Answer ``Counted to N``."""
    rounds = ROUNDS_BY_QUERY.get(str(query).removesuffix(" again"), 1)
    title = "Save counter"
    items = [
        {
            "variable_selector": ["conversation", "counter"],
            "input_type": "variable",
            "operation": "over-write",
            "value": ["loop", "num"],
        }
    ]
    answer = f"Counted to {rounds}"
    return [
        *_loop(rounds),
        message("Counted to ", ["answer", "answer"]),
        message(str(rounds), ["loop", "num"]),
        started("assign", "assigner", title),
        finished(
            "assign",
            inputs=_assigner_inputs(title, items),
            process_data=_assigned("counter", ["conversation", "counter"], "number", rounds),
        ),
        started("answer", "answer", "Answer"),
        finished("answer", outputs={"answer": answer, "files": []}),
    ]


def http_fail(strategy: str) -> Script:
    """http-fail-*: Start, an HTTP Request to a closed port, End(s) (recordings 203-210)."""
    node = started("http", "http-request", "HTTP Request")
    failure = {"inputs": {}, "process_data": {"request": HTTP_REQUEST}, "error": CONNECTION_REFUSED}
    retry = {"event": "node_retry", "data": {"node_id": "http", **failure}}
    if strategy == "plain":
        return [node, finished("http", status="failed", **failure)]
    if strategy == "retry":
        return [node, retry, retry, finished("http", status="failed", **failure)]
    if strategy == "branch":
        outputs = {"error_message": CONNECTION_REFUSED, "error_type": "HttpRequestNodeError"}
        return [
            node,
            retry,
            text_chunk(CONNECTION_REFUSED, ["http", "error_message"]),
            text_chunk("\n", ["end_fail", "answer"]),
            text_chunk("HttpRequestNodeError", ["http", "error_type"]),
            finished(
                "http",
                **(failure | {"error": "Unknown error"}),
                status="exception",
                outputs=outputs,
                execution_metadata={"error_strategy": "fail-branch"},
            ),
            started("end_fail", "end", "End (fail branch)"),
            finished("end_fail", inputs=outputs, outputs=outputs),
            {"event": "workflow_finished", "data": {"outputs": outputs}},
        ]
    fallback: dict[str, Any] = {"status_code": 599, "body": "fallback body"}
    return [
        node,
        finished(
            "http",
            **(failure | {"error": "Unknown error"}),
            status="exception",
            outputs={
                **fallback,
                "headers": {},
                "error_message": CONNECTION_REFUSED,
                "error_type": "HttpRequestNodeError",
            },
            execution_metadata={"error_strategy": "default-value"},
        ),
        started("end", "end", "End"),
        text_chunk("599", ["http", "status_code"]),
        text_chunk("\n", ["end", "answer"]),
        text_chunk("fallback body", ["http", "body"]),
        finished("end", inputs=fallback, outputs=fallback),
        {"event": "workflow_finished", "data": {"outputs": fallback}},
    ]


def human_input(inputs: Any, conversation: Conversation | None) -> Script:
    """human-input-workflow: Start (``topic``), Human Input ``review``, End per action."""
    form: dict[str, Any] = {
        "node_id": "review",
        "node_title": "Review",
        "form_content": f"Please review: {inputs.get('topic')}\n\n{{{{#$output.comment#}}}}",
        "inputs": [
            {
                "type": "paragraph",
                "output_variable_name": "comment",
                "default": {"type": "constant", "selector": [], "value": "looks good"},
            }
        ],
        "actions": [
            {"id": "approve", "title": "Approve", "button_style": "primary"},
            {"id": "reject", "title": "Reject", "button_style": "default"},
        ],
    }
    approved, rejected = {"if_action": "approve"}, {"if_action": "reject"}
    action = {"action": "reject"}
    return [
        {"event": "human_input_required", "data": form},
        started("end_ok", "end", "End approved") | approved,
        finished("end_ok") | approved,
        started("end_no", "end", "End rejected") | rejected,
        finished("end_no", inputs=action, outputs=action) | rejected,
        {"event": "workflow_finished", "data": {"outputs": action}} | rejected,
    ]


def add_apps(emu: DifyEmulator) -> dict[str, EmulatedApp]:
    """The apps of the recorded deployment, by the name in their redacted key placeholder."""
    text = InputVariable("text", required=True, max_length=256)
    rounds = InputVariable("rounds", type="number", required=True)
    apps = {
        "chatflow": emu.add_app(
            mode="advanced-chat",
            name="echo-chatflow",
            reply=echo_chatflow,
            inputs=[InputVariable("name", max_length=64)],
            opening_statement=OPENING,
            suggested_questions=["ping", "hello"],
        ),
        "workflow": emu.add_app(
            mode="workflow",
            name="echo-workflow",
            reply=echo_workflow,
            inputs=[text, InputVariable("count", type="number")],
            outputs=["result", "count"],
        ),
        "loop-workflow": emu.add_app(
            mode="workflow", name="loop-workflow", reply=loop_workflow, inputs=[rounds]
        ),
        "loop-chatflow": emu.add_app(
            mode="advanced-chat", name="loop-chatflow", reply=loop_chatflow, inputs=[rounds]
        ),
        "human-input": emu.add_app(
            mode="workflow", name="human-input-workflow", reply=human_input, inputs=["topic"]
        ),
    }
    for strategy, key in (
        ("plain", "http-fail-plain"),
        ("retry", "http-fail-retry"),
        ("branch", "http-fail-branch"),
        ("default", "http-fail-default"),
    ):
        apps[key] = emu.add_app(mode="workflow", name=key, reply=http_fail(strategy))
    return apps


# --- shapes ---------------------------------------------------------------------------------


def _key_paths(value: Any, prefix: str, keys: set[str], open_lists: set[str]) -> None:
    if isinstance(value, dict):
        obj = cast("dict[str, Any]", value)  # a JSON object: its keys are strings
        for key, item in obj.items():
            name = "#" if key.isdigit() else key
            path = f"{prefix}/{name}" if prefix else name
            keys.add(path)
            _key_paths(item, path, keys, open_lists)
    elif isinstance(value, list):
        path = f"{prefix}/[]" if prefix else "[]"
        items = cast("list[object]", value)  # a JSON array
        if not items:
            open_lists.add(path)
        for item in items:
            _key_paths(item, path, keys, open_lists)


def key_paths(value: Any) -> set[str]:
    """Every dict key path of a JSON value (as ``make_conformance.structure`` writes them)."""
    keys: set[str] = set()
    _key_paths(value, "", keys, set())
    return keys


def key_problems(where: str, expected: Mapping[str, Any], value: Any) -> list[str]:
    """How ``value``'s key set differs from the recorded one (under empty lists: no matter)."""
    wanted = set(expected["keys"])
    open_lists = [f"{path}/" for path in expected["open"]]
    got = {k for k in key_paths(value) if not any(k.startswith(o) for o in open_lists)}
    problems: list[str] = []
    if missing := sorted(wanted - got):
        problems.append(f"{where}missing keys {missing}")
    if extra := sorted(got - wanted):
        problems.append(f"{where}extra keys {extra}")
    return problems


def in_loop_round(event: Mapping[str, Any]) -> bool:
    """Whether a stream event belongs to a loop round."""
    data = event.get("data")
    inner = isinstance(data, dict) and bool(cast("dict[str, Any]", data).get("loop_id"))
    return inner or event.get("event") == "loop_next"


@dataclass
class Step:
    """One event of a stream, or a run of loop rounds (whose count is not compared)."""

    name: str
    shapes: dict[str, list[Any]] = field(default_factory=dict)
    """The recorded shapes (or the emulator's events) of each event name in the step."""


def _steps(items: Sequence[tuple[str, bool, Any]]) -> list[Step]:
    steps: list[Step] = []
    for name, loop_round, shape in items:
        if loop_round:
            if not steps or steps[-1].name != "(loop rounds)":
                steps.append(Step("(loop rounds)"))
            steps[-1].shapes.setdefault(name, []).append(shape)
        else:
            steps.append(Step(name, {name: [shape]}))
    return steps


def stream_problems(expected: Mapping[str, Any], events: list[Event]) -> list[str]:
    """Event names in order (loop rounds folded) and each event's key set."""
    shapes = expected["shapes"]
    recorded = _steps(
        [
            (shapes[i]["event"], bool(shapes[i].get("loop_round")), shapes[i])
            for i in expected["sequence"]
        ]
    )
    actual = _steps([(str(e.get("event")), in_loop_round(e), e) for e in events])
    names = [s.name for s in recorded]
    got = [s.name for s in actual]
    if names != got:
        return [f"events {got} != recorded {names}"]
    problems: list[str] = []
    for index, (want, have) in enumerate(zip(recorded, actual, strict=True)):
        if set(want.shapes) != set(have.shapes):
            problems.append(f"event {index}: {sorted(have.shapes)} != {sorted(want.shapes)}")
            continue
        for name, wanted in want.shapes.items():
            keys = {k for shape in wanted for k in shape["keys"]}
            filled = {k.rsplit("/", 1)[0] for k in keys}
            open_lists = {o for shape in wanted for o in shape["open"]} - filled
            merged = {"keys": sorted(keys), "open": sorted(open_lists)}
            for value in have.shapes[name]:
                problems.extend(key_problems(f"event {index} ({name}): ", merged, value))
    return problems


# --- the replay -----------------------------------------------------------------------------


@dataclass
class Answer:
    """What the emulator answered one request."""

    status: int
    content_type: str
    body: Any = None
    events: list[Event] | None = None
    raw: bytes = b""

    def summary(self) -> str:
        """Status and error code (or content type), for the report."""
        body = self.body
        code = cast("dict[str, Any]", body).get("code") if isinstance(body, dict) else None
        return f"{self.status} {code or self.content_type or 'no body'}"


@dataclass
class Outcome:
    """The comparison of one recording."""

    number: int
    name: str
    problems: list[str]
    excluded: str | None = None
    answered: str = ""
    """What the emulator answered: status (and ``code``) or content type."""

    @property
    def matched(self) -> bool:
        """Whether status, code and keys all match."""
        return not self.problems


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def file_bytes(spec: Mapping[str, Any]) -> bytes:
    """A file rebuilt from its description: the preview repeated up to the recorded size."""
    size = int(spec["size_bytes"])
    preview = str(spec["content_preview"])
    if preview == "<binary>":
        seed = PNG if spec["content_type"] == "image/png" else bytes(range(256))
    else:
        seed = preview.encode()
    return (seed * (size // max(len(seed), 1) + 1))[:size] if seed else b""


def select(value: Any, path: Sequence[Any]) -> Any:
    """The value at a bind path (keys, ``{"event": …}``, ``{"index": …}`` or field matches)."""
    for step in path:
        if isinstance(step, str):
            value = value[step]
        elif "event" in step:
            value = next(e for e in value if e.get("event") == step["event"])
        elif "index" in step:
            value = value[step["index"]]
        else:
            value = next(i for i in value if all(i.get(k) == v for k, v in step.items()))
    return value


StreamHook = Callable[["Replay", list[Event]], bool]


class Replay:
    """The recorded session, replayed in order against one emulator."""

    def __init__(self, emu: DifyEmulator) -> None:
        self.emu = emu
        self.http = httpx.Client(transport=emu.transport(), base_url=BASE_URL, timeout=30)
        self.apps = add_apps(emu)
        self.roles: dict[str, str] = {}
        self.outcomes: dict[int, Outcome] = {}

    # --- helpers for setup steps ---------------------------------------------------------

    def key(self, name: str) -> str:
        """The API key of a recorded key placeholder (``dataset`` is the knowledge key)."""
        return self.emu.dataset_key if name == "dataset" else self.apps[name].api_key

    def call(self, method: str, path: str, key: str, **kwargs: Any) -> Any:
        """A setup request (not compared); its JSON answer."""
        headers = {"Authorization": f"Bearer {self.key(key)}"}
        response = self.http.request(method, path, headers=headers, **kwargs)
        assert response.status_code < 300, (path, response.status_code, response.text)
        return response.json() if response.content else None

    def bind(self, role: str, value: Any) -> None:
        """Map a recorded id (role) to the emulator's id."""
        self.roles.setdefault(role, str(value))

    def role(self, name: str) -> str:
        """The emulator id of a role."""
        return self.roles[name]

    # --- one recording -------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """A recorded value with its roles replaced by the emulator's ids."""
        if isinstance(value, dict):
            obj = cast("dict[str, Any]", value)  # a JSON object: its keys are strings
            if set(obj) == {"$role"}:
                return self.roles[obj["$role"]]
            return {k: self.resolve(v) for k, v in obj.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in cast("list[object]", value)]
        return value

    def request(self, record: Mapping[str, Any]) -> httpx.Request:
        """The recorded request, for the emulator."""
        path = record["endpoint"]
        for name, value in record["path_params"].items():
            path = path.replace("{" + name + "}", str(self.resolve(value)))
        headers: dict[str, str] = {}
        auth = record["auth"]
        if auth is not None:
            headers["Authorization"] = auth.get("raw") or f"Bearer {self.key(auth['key'])}"
        params = {k: str(v) for k, v in self.resolve(record["query"]).items()}
        kwargs: dict[str, Any] = {"params": params, "headers": headers}
        if "multipart" in record:
            fields = record["multipart"]
            kwargs["data"] = {k: v for k, v in fields.items() if isinstance(v, str)}
            specs = {n: cast("dict[str, Any]", v) for n, v in fields.items() if isinstance(v, dict)}
            kwargs["files"] = [
                (name, (spec["filename"], file_bytes(spec), spec["content_type"]))
                for name, spec in specs.items()
            ]
        elif "json" in record:
            kwargs["json"] = self.resolve(record["json"])
        return self.http.build_request(record["method"], path, **kwargs)

    def send(self, record: Mapping[str, Any], hook: StreamHook | None = None) -> Answer:
        """Send a recorded request; read a stream event by event (``hook`` may act between)."""
        response = self.http.send(self.request(record), stream=True)
        try:
            content_type = response.headers.get("content-type", "").split(";")[0].strip()
            answer = Answer(response.status_code, content_type)
            if content_type == "text/event-stream":
                answer.events = []
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        answer.events.append(json.loads(line[len("data: ") :]))
                        if hook is not None:
                            self._bind(record, answer, [])
                            if hook(self, answer.events):
                                hook = None
                return answer
            answer.raw = response.read()
            if content_type == "application/json" and answer.raw:
                answer.body = json.loads(answer.raw)
            return answer
        finally:
            response.close()

    def play(self, record: Mapping[str, Any]) -> Outcome:
        """Replay one recording and compare the answer with it."""
        number = record["n"]
        if number in self.outcomes:
            return self.outcomes[number]
        hook = STREAM_HOOKS.get(number)
        if hook is not None:  # paced, so that a stop lands while the run is looping
            self.emu.faults.token_delay = 0.002
        summary = ""
        try:
            answer = self.send(record, hook)
            summary = answer.summary()
            problems = compare(record, answer)
            self._bind(record, answer, problems)
        except (KeyError, StopIteration) as exc:
            problems = [f"could not replay: {exc!r}"]
        finally:
            self.emu.faults.token_delay = 0.0
        outcome = Outcome(number, record["name"], problems, EXCLUDED.get(number), summary)
        self.outcomes[number] = outcome
        return outcome

    def _bind(self, record: Mapping[str, Any], answer: Answer, problems: list[str]) -> None:
        source = answer.events if answer.events is not None else answer.body
        for bind in record.get("binds", []):
            if bind["role"] in self.roles:
                continue
            try:
                self.bind(bind["role"], select(source, bind["at"]))
            except (KeyError, IndexError, TypeError, StopIteration):
                problems.append(f"no {bind['role']} at {bind['at']} to bind")

    def run(self) -> dict[int, Outcome]:
        """Replay every recording in order, with the setup steps that stand in for the rest."""
        for record in RECORDS:
            setup = SETUP.get(record["n"])
            try:
                if setup is not None:
                    setup(self)
            except (KeyError, AssertionError, StopIteration) as exc:
                problems = [f"setup failed: {exc!r}"]
                self.outcomes[record["n"]] = Outcome(record["n"], record["name"], problems)
            self.play(record)
        return self.outcomes


def recorded_summary(record: Mapping[str, Any]) -> str:
    """Status and error code (or the kind of body) of a recording, for the report."""
    response = record["response"]
    kinds = {"sse": "text/event-stream", "empty": "no body", "json": "application/json"}
    kind = record["code"] or response.get("content_type") or kinds[response["kind"]]
    return f"{record['status']} {kind}"


def compare(record: Mapping[str, Any], answer: Answer) -> list[str]:
    """Status, ``code`` and key structure of an answer against its recording."""
    problems: list[str] = []
    if answer.status != record["status"]:
        problems.append(f"status {answer.status} != recorded {record['status']}")
    expected = record["response"]
    kind = expected["kind"]
    if kind == "sse":
        if answer.events is None:
            return [*problems, f"{answer.content_type} instead of a stream"]
        return problems + stream_problems(expected, answer.events)
    if kind == "bytes":
        if answer.content_type != expected["content_type"]:
            problems.append(f"content type {answer.content_type} != {expected['content_type']}")
        return problems
    if kind == "empty":
        if answer.raw:
            problems.append(f"body {answer.raw[:80]!r} instead of none")
        return problems
    if answer.content_type != "application/json" or answer.body is None:
        return [*problems, f"{answer.content_type} {answer.raw[:80]!r} instead of JSON"]
    body = answer.body
    code = cast("dict[str, Any]", body).get("code") if isinstance(body, dict) else None
    if code != record["code"]:
        problems.append(f"code {code!r} != recorded {record['code']!r}")
    return problems + key_problems("", expected, body)


# --- setup steps: the state the left-out recordings created ---------------------------------

INTRO = (
    "Dify is an open-source platform for building LLM applications.\n\n"
    "It offers workflows, chatflows, agents and knowledge bases.\n\n"
    "Knowledge bases can be indexed with economy keyword indexing, which needs no embedding "
    "model.\n\nThe Service API lets developers call apps and manage datasets with API keys."
)


def before_14(replay: Replay) -> None:
    """13: a second conversation, with a unicode first query."""
    body = {
        "inputs": {"name": "Bob"},
        "query": "新しい会話 \u2013 unicode ✓",
        "response_mode": "blocking",
        "user": "user-abc-123",
    }
    replay.call("POST", "/v1/chat-messages", "chatflow", json=body)


def before_24(replay: Replay) -> None:
    """23: a dislike on the streamed message (24 lists it, 25 revokes it)."""
    path = f"/v1/messages/{replay.role('message_id:af58d899')}/feedbacks"
    body = {"rating": "dislike", "user": "user-abc-123", "content": "meh"}
    replay.call("POST", path, "chatflow", json=body)


def before_98(replay: Replay) -> None:
    """97: the economy dataset ``recorder-kb`` that 98-175 work on."""
    body = {"name": "recorder-kb", "indexing_technique": "economy"}
    dataset = replay.call("POST", "/v1/datasets", "dataset", json=body)
    replay.bind("dataset_id:ab042b05", dataset["id"])


def before_108(replay: Replay) -> None:
    """107: the text document ``intro.txt``, split on blank lines."""
    rules = {
        "pre_processing_rules": [
            {"id": "remove_extra_spaces", "enabled": True},
            {"id": "remove_urls_emails", "enabled": False},
        ],
        "segmentation": {"separator": "\n\n", "max_tokens": 200, "chunk_overlap": 0},
    }
    body = {
        "name": "intro.txt",
        "text": INTRO,
        "indexing_technique": "economy",
        "process_rule": {"mode": "custom", "rules": rules},
    }
    path = f"/v1/datasets/{replay.role('dataset_id:ab042b05')}/document/create-by-text"
    created = replay.call("POST", path, "dataset", json=body)
    replay.bind("batch:39797938", created["batch"])
    replay.bind("document_id:9734ef2f", created["document"]["id"])


def _indexed(batch_role: str) -> Callable[[Replay], None]:
    """The recorder's polls until a batch finished indexing (one poll moves it one step)."""

    def poll(replay: Replay) -> None:
        dataset = replay.role("dataset_id:ab042b05")
        path = f"/v1/datasets/{dataset}/documents/{replay.role(batch_role)}/indexing-status"
        for _ in range(10):
            status = replay.call("GET", path, "dataset")
            if all(d["indexing_status"] == "completed" for d in status["data"]):
                return
        raise AssertionError(f"{batch_role} never finished indexing")

    return poll


def before_139(replay: Replay) -> None:
    """The tag 135 created (Dify made it despite its 400)."""
    tags = replay.call("GET", "/v1/datasets/tags", "dataset")
    replay.bind("tag_id:7af455e8", next(t["id"] for t in tags if t["name"] == "recorded"))


def before_140(replay: Replay) -> None:
    """137: a second tag, ``temp-tag``."""
    tag = replay.call("POST", "/v1/datasets/tags", "dataset", json={"name": "temp-tag"})
    replay.bind("tag_ids:ff045034", tag["id"])


def before_148(replay: Replay) -> None:
    """147: a second metadata field, ``year`` (a number)."""
    path = f"/v1/datasets/{replay.role('dataset_id:ab042b05')}/metadata"
    replay.call("POST", path, "dataset", json={"type": "number", "name": "year"})


def before_164(replay: Replay) -> None:
    """163: the manual segment is deleted (164 deletes it again)."""
    dataset, document = replay.role("dataset_id:ab042b05"), replay.role("document_id:9734ef2f")
    segment = replay.role("segment_id:d7a35bfd")
    path = f"/v1/datasets/{dataset}/documents/{document}/segments/{segment}"
    replay.call("DELETE", path, "dataset")


def before_184(replay: Replay) -> None:
    """183: a second finished loop-chatflow turn (10 rounds) in the same conversation."""
    body = {
        "inputs": {"rounds": 10},
        "query": "again",
        "response_mode": "blocking",
        "user": "chat-loop-user",
        "conversation_id": replay.role("conversation_id:bfdd89b8"),
    }
    replay.call("POST", "/v1/chat-messages", "loop-chatflow", json=body)


def before_190(replay: Replay) -> None:
    """The loop-chatflow's typed conversation variables (an app setting the emulator lacks)."""
    app = replay.apps["loop-chatflow"]
    conversation = app.conversations[replay.role("conversation_id:bfdd89b8")]
    for name, value_type, value, description in (
        ("profile", "object", {"name": "anon", "level": 1}, "an object"),
        ("tags", "array[string]", ["a", "b"], "string array"),
        ("scores", "array[number]", [1, 2.5], "number array"),
        ("counter", "number", 10, "last loop result"),
    ):
        conversation.variables[name] = Variable(name, value_type, value, description)


def _answer_form(replay: Replay, run_role: str, action: str, comment: str) -> None:
    """The Service API twin of the web app's form submission (220, and 227 left out)."""
    app = replay.apps["human-input"]
    run_id = replay.role(run_role)
    token = next(t for t, form in app.forms.items() if form.run_id == run_id)
    body = {"inputs": {"comment": comment}, "action": action, "user": "hi-user"}
    replay.call("POST", f"/v1/form/human_input/{token}", "human-input", json=body)


SETUP: dict[int, Callable[[Replay], None]] = {
    14: before_14,
    24: before_24,
    98: before_98,
    108: before_108,
    109: _indexed("batch:39797938"),
    112: _indexed("batch:45827527"),
    119: _indexed("batch:39797938"),
    139: before_139,
    140: before_140,
    148: before_148,
    164: before_164,
    184: before_184,
    190: before_190,
    221: lambda replay: _answer_form(replay, "workflow_run_id:69436820", "approve", "ship it"),
    228: lambda replay: _answer_form(replay, "task_id:eef3727d", "reject", "not yet"),
}
"""Setup steps run before a recording: the state made by recordings the shared set leaves out."""


# --- streams stopped while they run (179-188) -----------------------------------------------


def _stop_when_looping(action: Callable[[Replay, str], None]) -> StreamHook:
    """Once the stream is three loop rounds in, stop its task (``action`` gets the task id)."""

    def hook(replay: Replay, events: list[Event]) -> bool:
        if sum(e.get("event") == "loop_next" for e in events) < 3:
            return False
        action(replay, str(events[0]["task_id"]))
        return True

    return hook


def _wrong_user_stop(replay: Replay, task_id: str) -> None:
    """187: another user stops the chatflow task (it stops all the same)."""
    path = f"/v1/chat-messages/{task_id}/stop"
    replay.call("POST", path, "loop-chatflow", json={"user": "someone-else"})


def _recorded_stop(number: int) -> Callable[[Replay, str], None]:
    """The recorded stop request (180, 185), replayed and compared while its run streams."""

    def stop(replay: Replay, task_id: str) -> None:
        replay.play(BY_NUMBER[number])

    return stop


STREAM_HOOKS: dict[int, StreamHook] = {
    179: _stop_when_looping(_recorded_stop(180)),
    184: _stop_when_looping(_recorded_stop(185)),
    186: _stop_when_looping(_wrong_user_stop),
}
"""Streams stopped while they run: the stop request is sent between two events."""


# --- tests ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def outcomes() -> Iterator[dict[int, Outcome]]:
    """The whole recorded session replayed once against one emulator (recording order)."""
    with DifyEmulator() as emu:
        replay = Replay(emu)
        try:
            yield replay.run()
        finally:
            replay.http.close()


def test_conformance_data_matches_the_recordings() -> None:
    """``data/conformance.json`` is what ``make_conformance.py`` builds from the recordings."""
    script = Path(__file__).parent / "data" / "make_conformance.py"
    spec = importlib.util.spec_from_file_location("make_conformance", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not module.RECORDINGS.is_dir():
        pytest.skip("the recordings are not in this checkout")
    assert module.build() == DATA, "re-run tests/data/make_conformance.py"


@pytest.mark.parametrize("number", list(BY_NUMBER), ids=[r["name"] for r in RECORDS])
def test_recording_conforms(number: int, outcomes: dict[int, Outcome]) -> None:
    """The emulator answers the recorded request with the recorded status, code and keys."""
    outcome = outcomes[number]
    if outcome.excluded is not None:
        pytest.skip(f"excluded: {outcome.excluded}")
    assert outcome.matched, "\n".join(outcome.problems)


def test_conformance_summary(outcomes: dict[int, Outcome], request: pytest.FixtureRequest) -> None:
    """Every recording not deliberately excluded conforms; the percentage goes in the report."""
    compared = [o for o in outcomes.values() if o.excluded is None]
    matched = [o for o in compared if o.matched]
    excluded = [o for o in outcomes.values() if o.excluded is not None]
    percent = 100.0 * len(matched) / len(compared)
    line = (
        f"conformance: {percent:.1f}% ({len(matched)}/{len(compared)} recordings match); "
        f"{len(excluded)} excluded"
    )
    table = [line]
    for outcome in excluded:
        recorded = recorded_summary(BY_NUMBER[outcome.number])
        got = f"Dify {recorded}, emulator {outcome.answered}"
        status = "would match" if outcome.matched else got
        table.append(f"  excluded {outcome.name} ({status}): {outcome.excluded}")
    for outcome in compared:
        if not outcome.matched:
            table.append(f"  MISMATCH {outcome.name}: {'; '.join(outcome.problems)}")
    print("\n".join(table))
    request.node.user_properties.append(("conformance", "\n".join(table)))
    assert len(matched) == len(compared), "\n".join(table)
    stale = [o.name for o in excluded if o.matched]
    assert not stale, f"excluded, yet they match (drop them from EXCLUDED): {stale}"
