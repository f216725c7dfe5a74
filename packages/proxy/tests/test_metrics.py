"""GET /metrics: Prometheus counters of requests, stream errors, stops and open streams."""

from __future__ import annotations

import httpx
import openai
import pytest
from conftest import KEY, Stack


def test_metrics_count_requests_by_model_status_and_stream(stack: Stack) -> None:
    """Answered requests are counted by model, status and stream; the endpoint needs a key."""
    client = stack.client()
    client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "a"}])
    list(
        client.chat.completions.create(
            model="chat", messages=[{"role": "user", "content": "b"}], stream=True
        )
    )
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "c"}])
    client.responses.create(model="chat", input="d")
    url = f"{stack.base_url.removesuffix('/v1')}/metrics"
    assert httpx.get(url).status_code == 401
    text = httpx.get(url, headers={"Authorization": f"Bearer {KEY}"}).text
    assert 'difykit_proxy_requests_total{model="chat",status="200",stream="false"} 2' in text
    assert 'difykit_proxy_requests_total{model="chat",status="200",stream="true"} 1' in text
    assert 'difykit_proxy_requests_total{model="unknown",status="404",stream="false"} 1' in text
    assert "nope" not in text  # a client's model name never becomes a label
    assert "difykit_proxy_streams_open 0" in text
    assert "difykit_proxy_response_start_seconds_count 4" in text
