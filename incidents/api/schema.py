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


NOT_MODIFIED = {
    "description": "Not modified: the ETag sent in If-None-Match is still current (anonymous "
    "readers; the ETag changes with every change to what the public sees)."
}


def document_not_modified(result: dict[str, Any], generator: Any = None, **kwargs: Any):
    """GETs of views whose anonymous answers carry a validator (incidents.httpcache) may be
    answered 304."""
    for path, _regex, method, callback in getattr(generator, "endpoints", None) or ():
        policy = getattr(getattr(callback, "cls", None), "http_cache", None)
        operation = result.get("paths", {}).get(path, {}).get(method.lower())
        if method == "GET" and policy is not None and policy.validator and operation:
            operation["responses"].setdefault("304", NOT_MODIFIED)
    return result


# PostgreSQL cannot store or compare text holding a NUL character, so the API refuses one in
# any value it reads (400 naming the field); the document says so on every free-text value.
NO_NUL = "^[^\\x00]*$"
# A value that may not be blank is read with its surrounding white space trimmed, so it needs
# a character that is not white space.
NOT_BLANK = "^[^\\x00]*[^\\s\\x00][^\\x00]*$"


def _exclude_nul(schema: Any) -> None:
    if isinstance(schema, list):
        for item in schema:
            _exclude_nul(item)
        return
    if not isinstance(schema, dict):
        return
    if (
        schema.get("type") == "string"
        and not {"enum", "pattern", "format"} & schema.keys()
        and schema.get("maxLength") != 0
    ):
        schema["pattern"] = NOT_BLANK if schema.get("minLength", 0) >= 1 else NO_NUL
    for key in ("properties", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            values = schema[key].values() if key == "properties" else [schema[key]]
            for value in values:
                _exclude_nul(value)
    for key in ("items", "allOf", "oneOf", "anyOf"):
        if key in schema:
            _exclude_nul(schema[key])


def document_no_nul_characters(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Every string a client sends (parameters and request bodies) excludes NUL."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict):
                for parameter in operation.get("parameters", []):
                    _exclude_nul(parameter.get("schema"))
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            _exclude_nul(component)
    return result


def document_anonymous_reads(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """An operation anyone may call without signing in (the reads of published records)
    names no security requirement, so that the API's pages show no lock on it; signing in
    still changes what it returns (researchers see unpublished work), as its description
    and the document's say. Operations that need an account keep theirs."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and {} in operation.get("security", []):
                del operation["security"]
    return result
