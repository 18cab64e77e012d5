"""Additions to the generated OpenAPI document that hold for every operation."""

from __future__ import annotations

from typing import Any

URI_TOO_LONG = {
    "description": "The address is longer than the server accepts (query strings of a few "
    "kilobytes): shorten the query, e.g. fewer values in a list."
}


def document_common_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Every operation may be answered 414 by the HTTP server in front of the application."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("414", URI_TOO_LONG)
    return result
