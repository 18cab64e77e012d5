"""Static files storage of production: WhiteNoise's compressed files under hashed names, with
the import specifiers of ES modules rewritten to the hashed names as well.

Without the rewrite, mapping/map.<hash>.js would import "./map/layers.js" under its plain
name, which WhiteNoise serves with a short cache lifetime and which a new release changes
in place: a browser could run the entry of one release with the modules of another.
Django rewrites `import ... from "./x.js";` (the semicolon is part of what it recognises)
only when support_js_module_import_aggregation is on; it is off by default.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ModuleManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
