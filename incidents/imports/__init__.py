"""Bringing records in: outside event data sets (ACLED, UCDP GED) and this product's own
exports. Every importer reads a whole file, reports each row it could not take with its
line number and reason, and never leaves half a record behind (see ``report``)."""
