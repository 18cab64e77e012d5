"""The researchers' admin, one module a capability.

- ``incidents``: incidents with their claims and perpetrators, the workflow actions, and the
  pages the incident list links to (possible duplicates, drafting from an article).
- ``catalogue``: sources, actors, episodes (with monitors' aggregate figures), victim groups;
  changes that published work would show go through a reviewer.
- ``evidence``: a source's evidence files on its page (upload, hashes, downloads, made
  public by reviewers), and the list of every kept file, searchable by SHA-256.
- ``imports``: uploading ACLED, UCDP GED and exported files, with a preview to confirm.
- ``jobs``: background jobs (imports being checked or applied, whole-database passes), live.
- ``drafting`` and ``duplicates``: the two review pages, each with its forms beside it.

Every save goes through ``incidents.services``, so the admin obeys the same rules as the API.
"""

from . import catalogue, imports, incidents, jobs  # noqa: F401  (each registers its pages)
