"""Reading a request body: JSON with exact decimals, within the service's size limit."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from reasoner.errors import InputFileError, ReasonerError
from reasoner.inputs import decode_json, json_problem


class BodyTooLarge(ReasonerError):
    """A request body over the service's limit."""


async def read_json(request: Request) -> Any:
    """The body as JSON with exact decimals; 413 past the limit (also without Content-Length)."""
    limit: int = request.app.state.max_body
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(f"request body: larger than the limit of {limit} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputFileError("request body: is not UTF-8 text") from None
    try:
        return decode_json(text)
    except (ValueError, RecursionError) as error:
        raise InputFileError(f"request body: {json_problem(error)}") from None
