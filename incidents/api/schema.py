"""Additions to the generated OpenAPI document that hold for every operation."""

from __future__ import annotations

from typing import Any

URI_TOO_LONG = {
    "description": "The address is longer than the server accepts (query strings of a few "
    "kilobytes): shorten the query, e.g. fewer values in a list."
}


def document_common_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Every operation may be answered 414 by the HTTP server in front of the application;
    a PATCH changes at least one field, so its body is required and not empty."""
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("414", URI_TOO_LONG)
            if method == "patch" and "requestBody" in operation:
                operation["requestBody"]["required"] = True
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.startswith("Patched") and name.endswith("Request"):
            component["minProperties"] = 1
    return result
