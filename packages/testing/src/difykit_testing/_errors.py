"""Dify's error answers: the JSON envelope, the 401 header, Flask's HTML 404 for unknown routes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

__all__ = ["DifyHTTPError", "error_response", "handle_dify_error", "not_found_page"]


class DifyHTTPError(Exception):
    """Raised by a route to answer with Dify's ``{code, message, status}`` envelope."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """The JSON error envelope Dify sends (401s carry ``WWW-Authenticate`` as in Dify)."""
    headers = {"WWW-Authenticate": 'Bearer realm="api"'} if status == 401 else None
    return JSONResponse(
        {"code": code, "message": message, "status": status}, status_code=status, headers=headers
    )


async def handle_dify_error(request: Request, exc: Exception) -> Response:
    """Starlette exception handler for :class:`DifyHTTPError`."""
    if not isinstance(exc, DifyHTTPError):  # registered for DifyHTTPError only
        raise exc
    return error_response(exc.status, exc.code, exc.message)


_NOT_FOUND_HTML = """<!doctype html>
<html lang=en>
<title>404 Not Found</title>
<h1>Not Found</h1>
<p>The requested URL was not found on the server. If you entered the URL manually please check \
your spelling and try again.</p>
"""


async def not_found_page(request: Request, exc: Exception) -> Response:
    """An unknown route gets Flask's HTML 404 page, as on a real Dify server."""
    return HTMLResponse(_NOT_FOUND_HTML, status_code=404)
