"""axe-core in the page under test (axe-playwright-python), for the episode, feed and embed
pages' tests: the violations axe rates serious or critical."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

_AXE = Axe()


def serious_violations(page: Any, context: Any = None) -> list[str]:
    """What axe finds serious or critical in ``page`` (or in the ``context`` selectors),
    one line each: the rule and the elements."""
    results = _AXE.run(page, context=context)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
