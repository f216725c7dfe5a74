"""Build ``conformance.json`` from the real Dify recordings (re-run after they change).

    uv run python packages/testing/tests/data/make_conformance.py

For each recording it keeps only what ``test_conformance.py`` needs:

* the request: ``method``, ``endpoint`` (route template), ``path_params``, ``query``, ``json``
  or ``multipart`` (the recorded description: fields, and files by name, content type, size
  and preview), ``auth`` (``{"key": <app named in the redacted placeholder>}``, or the raw
  header of the bad-auth cases, or ``null``);
* the answer: ``status``, ``code`` (JSON errors) and ``response``: ``json`` with ``keys`` (every
  dict key path, ``a/b``, list items as ``[]``, digit keys as ``#``) and ``open`` (lists that
  were always empty: they impose nothing), ``empty`` (204), ``bytes`` with the content type, or
  ``sse`` with the distinct event ``shapes`` (event name, keys, open, ``loop_round``) and their
  ``sequence``.

Ids become *roles* (``{"$role": "conversation_id:d03f895f"}``): the test binds each role to an
id of its own emulator state, from an emulator answer (``binds``: where the recording first
returned it) or in a setup step. Ids no recording ever returned are the made-up ids of the
404 cases (``UNKNOWN_IDS``) and stay as they are.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, cast

HERE = Path(__file__).resolve().parent
_HOMES = [HERE.parents[2] / sdk / "tests" / "data" / "recordings" for sdk in ("async", "sync")]
RECORDINGS = next((home for home in _HOMES if home.is_dir()), _HOMES[0])
"""The recordings, kept with the SDK's tests (``packages/async``; ``packages/sync`` before)."""
OUTPUT = HERE / "conformance.json"

_ID = re.compile(
    r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{20}|PYvlEaTQp0W8PiWdzd7SI8)$"
)
_KEY = re.compile(r"Bearer (?:app|dataset)-<REDACTED_(\w+?)(?:_APP)?_KEY>")
_DISCRIMINATORS = ("name", "position", "question", "content")

UNKNOWN_IDS = {
    "cc4ce853-17d0-4677-a0b7-fc2f6629ad39": "28: stop of an unknown task",
    "9c2bb130-1410-4260-84db-1d99673f3e49": "39: annotation that does not exist",
    "1fd333d0-6779-4a68-bb78-08c759b550fb": "45: end user that does not exist",
    "9c7ea1ec-a3b8-4ba3-9525-d513b0ee3a5a": "54: conversation that does not exist",
    "2597bae6-ff9e-4fbf-ac2d-750e0aba0619": "56: conversation that does not exist",
    "9cb1db86-851a-4716-9bfc-4b3572d9c394": "58: message that does not exist",
    "c6a1a24e-84b1-445c-8de0-5b8a0f3509be": "69: file that does not exist",
    "a027c8c2-4d2b-4e9d-a6c9-d4f5ff17ef60": "70: upload file id that does not exist",
    "eeef4ed2-05b8-443d-9c9d-43e9b1894e17": "88: workflow version that does not exist",
    "089eda83-6755-4b0b-9645-bc17396c6cda": "105: dataset that does not exist",
    "b44a780a-a1a7-474a-a8d3-7a8d0ec3d07e": "126: segment that does not exist",
}
"""Ids the 404 cases made up; every other id in a request is a role the test binds."""


def _number(path: Path) -> int:
    return int(path.name.split("-", 1)[0])


def _key_paths(value: Any, prefix: str, keys: set[str], open_lists: set[str]) -> None:
    """Every dict key path (``a/b``; list items are ``[]``; digit keys are ``#``)."""
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


def structure(value: Any) -> dict[str, Any]:
    """The key paths of a JSON value, and the paths of lists that were always empty there
    (which impose nothing: the emulator may fill them)."""
    keys: set[str] = set()
    open_lists: set[str] = set()
    _key_paths(value, "", keys, open_lists)
    filled = {key.rsplit("/", 1)[0] for key in keys}
    return {"keys": sorted(keys), "open": sorted(open_lists - filled)}


def sse_events(raw: str) -> list[dict[str, Any]]:
    """The ``data:`` events of a recorded stream (pings left out)."""
    events: list[dict[str, Any]] = []
    for block in raw.split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data: "):
                events.append(json.loads(line[len("data: ") :]))
    return events


def _in_loop_round(event: dict[str, Any]) -> bool:
    """Whether a stream event belongs to a loop round (the rounds' count is timing in a stop)."""
    data = event.get("data")
    inner = isinstance(data, dict) and bool(cast("dict[str, Any]", data).get("loop_id"))
    return inner or event.get("event") == "loop_next"


def _ids_in(value: Any, where: str, found: dict[str, str]) -> None:
    if isinstance(value, str):
        if _ID.match(value):
            found.setdefault(value, where)
    elif isinstance(value, dict):
        for key, item in cast("dict[str, Any]", value).items():  # a JSON object
            _ids_in(item, key, found)
    elif isinstance(value, list):
        for item in cast("list[object]", value):  # a JSON array
            _ids_in(item, where, found)


def _path_params(record: dict[str, Any]) -> dict[str, str]:
    template = record["endpoint"]
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    match = re.fullmatch(pattern, record["path"])
    assert match is not None, (template, record["path"])
    return match.groupdict()


def _replace(value: Any, roles: dict[str, str]) -> Any:
    if isinstance(value, str) and value in roles:
        return {"$role": roles[value]}
    if isinstance(value, dict):
        return {k: _replace(v, roles) for k, v in cast("dict[str, Any]", value).items()}
    if isinstance(value, list):
        return [_replace(v, roles) for v in cast("list[object]", value)]
    return value


def _find(value: Any, target: str) -> list[Any] | None:
    """The selector path to the first occurrence of ``target`` in a response value."""
    if value == target:
        return []
    if isinstance(value, dict):
        for key, item in cast("dict[str, Any]", value).items():  # a JSON object
            found = _find(item, target)
            if found is not None:
                return [key, *found]
    elif isinstance(value, list):
        items = cast("list[object]", value)  # a JSON array
        for index, item in enumerate(items):
            found = _find(item, target)
            if found is not None:
                return [_selector(items, index), *found]
    return None


def _selector(items: list[object], index: int) -> dict[str, Any]:
    item = items[index]
    if isinstance(item, dict):
        entry = cast("dict[str, Any]", item)  # a JSON object
        objects = [cast("dict[str, Any]", i) for i in items if isinstance(i, dict)]
        for key in _DISCRIMINATORS:
            values = [o.get(key) for o in objects]
            if key in entry and values.count(entry[key]) == 1:
                return {key: entry[key]}
    return {"index": index}


def _auth(headers: dict[str, str]) -> dict[str, str] | None:
    header = headers.get("authorization")
    if header is None:
        return None
    match = _KEY.fullmatch(header)
    if match:
        return {"key": match.group(1).lower().replace("_", "-")}
    return {"raw": header}


def _response(record: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """The response's structure, and its parsed JSON (for binding ids)."""
    content_type = record["response_headers"].get("content-type", "")
    family = content_type.split(";", 1)[0].strip()
    if "response_raw" in record and family == "text/event-stream":
        events = sse_events(record["response_raw"])
        shapes: list[dict[str, Any]] = []
        sequence: list[int] = []
        for event in events:
            shape = {"event": event.get("event"), **structure(event)}
            if _in_loop_round(event):
                shape["loop_round"] = True
            if shape not in shapes:
                shapes.append(shape)
            sequence.append(shapes.index(shape))
        return {"kind": "sse", "shapes": shapes, "sequence": sequence}, events
    if "response_raw" in record:
        body = json.loads(record["response_raw"])
    elif "response_body" in record:
        body = record["response_body"]
    else:
        return {"kind": "bytes", "content_type": family}, None
    if body is None:
        return {"kind": "empty"}, None
    return {"kind": "json", **structure(body)}, body


def build() -> dict[str, Any]:
    """The conformance data of every recording, in recording order."""
    records = [
        (path, json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(RECORDINGS.glob("[0-9]*.json"), key=_number)
    ]
    roles: dict[str, str] = {}
    for _, record in records:
        found: dict[str, str] = {}
        for name, value in _path_params(record).items():
            _ids_in(value, name, found)
        _ids_in(record["query"], "query", found)
        _ids_in(record.get("request_body"), "body", found)
        for value, where in found.items():
            if value not in UNKNOWN_IDS:
                roles.setdefault(value, f"{where}:{value[:8] if '-' in value else value[-8:]}")
    bound: set[str] = set()
    out: list[dict[str, Any]] = []
    for path, record in records:
        response, parsed = _response(record)
        entry: dict[str, Any] = {
            "n": _number(path),
            "name": path.stem,
            "method": record["method"],
            "endpoint": record["endpoint"],
            "path_params": _replace(_path_params(record), roles),
            "query": _replace(record["query"], roles),
            "auth": _auth(record["request_headers"]),
        }
        body = record.get("request_body")
        if isinstance(body, dict) and "multipart/form-data" in body:
            entry["multipart"] = body["multipart/form-data"]
        elif body is not None:
            entry["json"] = _replace(body, roles)
        code = cast("dict[str, Any]", parsed).get("code") if isinstance(parsed, dict) else None
        entry |= {"status": record["status"], "code": code, "response": response}
        binds: list[dict[str, Any]] = []
        for value, role in roles.items():
            if role in bound or parsed is None:
                continue
            found_at: list[Any] | None = _find(parsed, value)
            if found_at is not None:
                if response["kind"] == "sse":
                    index = found_at[0]["index"]
                    found_at = [{"event": parsed[index]["event"]}, *found_at[1:]]
                binds.append({"role": role, "at": found_at})
                bound.add(role)
        if binds:
            entry["binds"] = binds
        if "note" in record:
            entry["note"] = record["note"]
        out.append(entry)
    return {
        "source": "the SDK tests' data/recordings (real Dify 1.13.2)",
        "generator": "packages/testing/tests/data/make_conformance.py",
        "unknown_ids": UNKNOWN_IDS,
        "recordings": out,
    }


def main() -> None:
    """Write ``conformance.json`` next to this script."""
    data = build()
    lines = ["{"]
    head = {k: v for k, v in data.items() if k != "recordings"}
    for key, value in head.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},")
    lines.append('  "recordings": [')
    entries = [json.dumps(e, ensure_ascii=False) for e in data["recordings"]]
    lines.append(",\n".join(f"    {e}" for e in entries))
    lines.append("  ]")
    lines.append("}")
    OUTPUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(entries)} recordings to {OUTPUT}")


if __name__ == "__main__":
    main()
