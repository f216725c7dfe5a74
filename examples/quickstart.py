"""Talk to a Dify chat app: one blocking answer, then a streamed one.

Run: DIFY_API_KEY=app-… [DIFY_BASE_URL=https://your-dify/v1] uv run python examples/quickstart.py
"""

from __future__ import annotations

from difykit import Dify
from difykit.types import MessageEvent


def main() -> None:
    """Ask a question, then stream a follow-up in the same conversation."""
    with Dify() as dify:
        reply = dify.chat.send(query="What is Dify?", user="quickstart")
        print(reply.answer)
        with dify.chat.stream(
            query="Say it in one line.", user="quickstart", conversation_id=reply.conversation_id
        ) as stream:
            for event in stream:
                if isinstance(event, MessageEvent):
                    print(event.answer, end="", flush=True)
        print()


if __name__ == "__main__":
    main()
