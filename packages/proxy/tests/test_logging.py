"""Keys and bodies stay out of the logs (above DEBUG), failures included."""

from __future__ import annotations

import logging

import openai
import pytest
from conftest import KEY, Stack


def test_no_keys_or_message_text_in_logs(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    """A served request, a Dify failure and a mid-stream error log neither keys nor bodies."""
    caplog.set_level(logging.INFO)
    secret = "my secret question"
    client = stack.client()
    client.chat.completions.create(model="chat", messages=[{"role": "user", "content": secret}])
    stack.emulator.faults.fail_next(status=500, code="internal_server_error", message="boom")
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="chat", messages=[{"role": "user", "content": secret}])
    stack.apps["chat"].reply = [
        {"event": "message", "answer": "Partial"},
        {"event": "error", "code": "model_error", "message": "late failure"},
    ]
    with pytest.raises(openai.APIError):
        list(
            client.chat.completions.create(
                model="chat", messages=[{"role": "user", "content": secret}], stream=True
            )
        )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "late failure" in text  # the failure is logged…
    for forbidden in [KEY, stack.apps["chat"].api_key, secret]:  # …without keys or bodies
        assert forbidden not in text
