"""Static files as production serves them: collected with the production settings into a
directory, under hashed names, and the graph of ES module imports read from those files."""

from __future__ import annotations

import json
import os
import posixpath
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The specifiers of static imports (`import ... from "x"`, `export ... from "x"`,
# `import "x"`) and dynamic ones (`import("x")`).
IMPORT = re.compile(
    r"""(?:\bimport\s[^;]*?\bfrom|\bexport\s[^;]*?\bfrom|\bimport)\s*\(?\s*["']([^"']+)["']"""
)


def collect_static(root: Path) -> dict[str, str]:
    """Runs collectstatic with DJANGO_ENV=production into root; returns the manifest."""
    ignored = {"SECRET_KEY", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE", "ALLOWED_HOSTS"}
    environment = {k: v for k, v in os.environ.items() if k not in ignored}
    environment.update(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="incidents.example.org",
        STATIC_ROOT=str(root),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "1"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((root / "staticfiles.json").read_text(encoding="utf-8"))["paths"]


def module_graph(root: Path, entry: str) -> dict[str, list[str]]:
    """Each module reached from entry (a path under root) -> the paths its imports name,
    resolved as a browser resolves them against the module's own URL."""
    graph: dict[str, list[str]] = {}
    waiting = [entry]
    while waiting:
        name = waiting.pop()
        if name in graph:
            continue
        text = (root / name).read_text(encoding="utf-8")
        targets = []
        for specifier in IMPORT.findall(text):
            assert specifier.startswith(("./", "../")), f"{name} imports {specifier!r}"
            targets.append(posixpath.normpath(posixpath.join(posixpath.dirname(name), specifier)))
        graph[name] = targets
        waiting.extend(target for target in targets if (root / target).is_file())
    return graph
