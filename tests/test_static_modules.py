"""The map's ES modules under production's static files storage: collectstatic succeeds,
and every import names the hashed file of the module it means, so a browser that caches
hashed files for ever never mixes modules of two releases."""

import re
from pathlib import Path

from tests.static_build import collect_static, module_graph

MAP_STATIC = Path(__file__).resolve().parent.parent / "mapping" / "static"
# Modules outside the map's folder that import the map's modules (the admin's point picker
# draws the same governorate outlines).
OTHER_MODULES = ["incidents/admin/point_picker.js"]


def test_module_imports_name_existing_hashed_files_after_collectstatic(tmp_path):
    manifest = collect_static(tmp_path)
    hashed = set(manifest.values())
    reached = set()
    for entry in [
        "mapping/map.js",
        "mapping/incident_map.js",
        "mapping/dashboard.js",
        *OTHER_MODULES,
    ]:
        graph = module_graph(tmp_path, manifest[entry])
        for module, imports in graph.items():
            assert imports or module != manifest[entry], f"{entry} imports nothing"
            for target in imports:
                assert (tmp_path / target).is_file(), f"{module} imports missing {target}"
                assert target in hashed, f"{module} imports {target}, not a hashed name"
        reached |= set(graph)
    # Every module of the map is reached through the imports (none is left unhashed or
    # loaded some other way).
    sources = {
        path.relative_to(MAP_STATIC).as_posix() for path in (MAP_STATIC / "mapping").rglob("*.js")
    } | set(OTHER_MODULES)
    assert {manifest[source] for source in sources} == reached


def test_the_map_pages_preload_every_module_the_map_imports(client, db):
    # Without the preloads the browser learns of a module only once the one importing it
    # has arrived: four round trips, one after another, before the map can ask for data.
    expected = set(module_graph(MAP_STATIC, "mapping/map.js"))
    assert len(expected) > 10
    for address in ("/", "/embed/"):
        page = client.get(address).content.decode()
        preloaded = set(re.findall(r'<link rel="modulepreload" href="/static/([^"]+)">', page))
        assert preloaded == expected, address
        # Leaflet, which the modules need first, is asked for before them.
        assert page.index('href="/static/leaflet/leaflet.js" as="script"') < page.index(
            'rel="modulepreload"'
        )
