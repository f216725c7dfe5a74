"""The app-key resources of ``AsyncDify``, one module each: a call
imports only its own resource's operations and models."""
