"""The REST API, version 1: thin views over the selectors and services of ``incidents``."""
