"""The read model: what is derived from the records so that reads stay fast.

Below the services and the API, above the models. The services and the importers keep it in
step (they drop kept documents and refresh map cells as they write); the API, the map and
the statistics read it. Nothing here writes a record or decides who may see one.

- ``representation``: an incident as the API document (tuples in, JSON-ready dicts out).
- ``documentcache``: those documents rendered once and kept, dropped when what they show
  changes.
- ``mapcells``: published incidents summed per map cell, and the longest incident's span.
"""
