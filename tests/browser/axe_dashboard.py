"""axe-core (through axe-playwright-python, which ships it) on a page open in Playwright:
the violations of impact "serious" or "critical", each with the elements it found."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

BLOCKING = {"serious", "critical"}


def serious_violations(page: Any) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation.get("impact") in BLOCKING
    ]
