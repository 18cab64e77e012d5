"""Bringing records in: outside event data sets (ACLED, UCDP GED) and this product's own
exports. Every importer reads a whole file, reports each row it could not take with its
line number and reason, and never leaves half a record behind (see ``report``).

Importers are modules with one function, ``import_file`` (its signature is in ``report``),
named here by format. They are imported only when asked for, so a format whose module is
missing or broken is simply not offered (:func:`available`)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

IMPORTERS: dict[str, str] = {
    "acled": "incidents.imports.acled",
    "ucdp": "incidents.imports.ucdp",
    "geojson": "incidents.imports.geojson",
    "csv": "incidents.imports.own_csv",
}


def importer(format: str) -> Callable:
    """The ``import_file`` function of a format; LookupError when there is none."""
    try:
        module_name = IMPORTERS[format]
    except KeyError:
        raise LookupError(f"No importer for the format '{format}'.") from None
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise LookupError(f"The importer for '{format}' is not available ({error}).") from None
    function = getattr(module, "import_file", None)
    if not callable(function):
        raise LookupError(f"The importer for '{format}' has no import_file function.")
    return function


def available() -> list[str]:
    """The formats whose importer can be loaded, in the order of ``IMPORTERS``."""
    formats = []
    for format in IMPORTERS:
        try:
            importer(format)
        except LookupError:
            continue
        formats.append(format)
    return formats
