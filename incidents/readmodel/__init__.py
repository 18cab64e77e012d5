"""The read model: what is derived from the records so that reads stay fast.

Below the services and the API, above the models. It is kept in step as records change:
signals on every save and delete of an incident (and of what its document shows) refresh its
map cells and drop its kept document, and the importers, whose bulk writes bypass ``save()``,
do the same in ``imports.batch.after_import``. The API, the map and the statistics read it.
Its tables (kept documents, map cells, the longest span) are derived data: nothing here
writes a domain record or decides who may see one.

- ``representation``: an incident as the API document (tuples in, JSON-ready dicts out).
- ``documentcache``: those documents rendered once and kept, dropped when what they show
  changes.
- ``mapcells``: published incidents summed per map cell, and the longest incident's span.
"""
