"""The knowledge-key resources of ``AsyncDifyKnowledge``, one module each:
a call imports only its own resource's operations and models."""
