"""Accessibility checks with axe-core (the copy axe-playwright-python ships), for the
browser tests: the serious and critical violations a page has, described for a failure
message."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

BLOCKING = ("serious", "critical")


def serious_violations(page: Any) -> list[str]:
    """Each serious or critical axe-core violation of the page as it is now: the rule, its
    impact and the first elements it found, so that a failing test says where to look."""
    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [node["target"] for node in violation["nodes"][:3]]
            found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found
