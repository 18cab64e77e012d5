"""axe-core in a page open in the test browser, for any page test to reuse.

``serious_violations(page, name)`` runs axe-core (shipped by the axe-playwright-python
package) on the page as it is (or on the parts of it that ``context`` selects), saves a
screenshot of what was checked under ``tests/artifacts/axe/`` (git-ignored) when given a
``name``, and returns the violations of impact "serious" or
"critical" (and those of the rules named in ``also``, whatever their impact), each as a
short dict (rule, impact, help, the elements' selectors), so that a failing assertion shows
what to fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "axe"
BLOCKING = ("serious", "critical")

_axe = Axe()


# No transition or animation running but endless ones (a spinner), as an arrow function:
# the pages' CSP refuses a string evaluated as an expression.
SETTLED = """() => document.getAnimations().every(
    a => a.playState !== "running" || a.effect?.getComputedTiming().iterations === Infinity
)"""


def serious_violations(
    page: Any,
    name: str | None = None,
    *,
    full_page: bool = False,
    also: tuple[str, ...] = (),
    context: Any = None,
) -> list[dict]:
    # What a reader sees once the page has settled: a popup still fading in (Leaflet's
    # opacity transition) has its text at part of its contrast, which axe would measure.
    page.wait_for_function(SETTLED)
    results = _axe.run(page, context=context, options={"resultTypes": ["violations"]})
    if name is not None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)
    return [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "where": [", ".join(map(str, node["target"])) for node in violation["nodes"]][:5],
        }
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING or violation["id"] in also
    ]
