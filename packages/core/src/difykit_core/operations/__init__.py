"""Request builders, one module per resource: each function returns a ``Call`` or ``StreamCall``.

The sync and async clients bind these functions as their methods, so the parameters shown by
an IDE on ``dify.chat.send(`` are exactly the builder's.
"""
