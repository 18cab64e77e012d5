"""The API reads JSON bodies only, and answers every unreadable one with a 400.

DRF's parser turns syntax errors into a 400 but lets Python's ``RecursionError`` through
(a body of a few thousand nested arrays), which would be a 500; such a body is refused
here, saying why.
"""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
