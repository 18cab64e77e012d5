"""Where the gazetteer's committed data files live, and the governorates' fixed identity.

The slugs of the 14 governorates are part of the product's interface (the API filters on
them, the boundaries file carries them), so they are fixed here rather than derived from
whichever spelling an upstream data set prefers.
"""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
EXTRACT_FILE = DATA_DIR / "geonames_sy.json"
CURATED_FILE = DATA_DIR / "curated_places.json"
BOUNDARIES_FILE = DATA_DIR / "governorates.geojson"

# The country the committed files (places, boundaries) describe.
COUNTRY = "Syria"

# GeoNames admin-1 code -> (slug, English name).
GOVERNORATE_CODES: dict[str, tuple[str, str]] = {
    "SY.01": ("al-hasakah-governorate", "Al-Hasakah Governorate"),
    "SY.02": ("latakia-governorate", "Latakia Governorate"),
    "SY.03": ("quneitra-governorate", "Quneitra Governorate"),
    "SY.04": ("raqqa-governorate", "Raqqa Governorate"),
    "SY.05": ("suwayda-governorate", "Suwayda Governorate"),
    "SY.06": ("daraa-governorate", "Daraa Governorate"),
    "SY.07": ("deir-ez-zor-governorate", "Deir ez-Zor Governorate"),
    "SY.08": ("rif-dimashq-governorate", "Rif Dimashq Governorate"),
    "SY.09": ("aleppo-governorate", "Aleppo Governorate"),
    "SY.10": ("hama-governorate", "Hama Governorate"),
    "SY.11": ("homs-governorate", "Homs Governorate"),
    "SY.12": ("idlib-governorate", "Idlib Governorate"),
    "SY.13": ("damascus-governorate", "Damascus Governorate"),
    "SY.14": ("tartus-governorate", "Tartus Governorate"),
}

# How the event data sets name the governorates, beyond the gazetteer's own names: ACLED's
# older and current spellings (Dara/Daraa, Deir ez Zor/Deir-ez-Zor, Al Hasakeh/Hasakeh, Ar
# Raqqa/Raqqa, As Sweida/Sweida, Idleb, Lattakia, Tartous, Rural Damascus) and UCDP GED's
# ("Hamah governorate", "Rif Dimashq governorate"). Compared by ``mapping.names.norm_key``.
GOVERNORATE_ALIASES: dict[str, tuple[str, ...]] = {
    "al-hasakah-governorate": ("Al Hasakeh", "Hasakeh", "Hasakah", "Hassakeh"),
    "latakia-governorate": ("Lattakia", "Latakia"),
    "quneitra-governorate": ("Quneitra", "Al Qunaytirah"),
    "raqqa-governorate": ("Ar Raqqa", "Raqqa", "Ar Raqqah"),
    "suwayda-governorate": ("As Sweida", "Sweida", "As Suwayda", "Suwayda"),
    "daraa-governorate": ("Dara", "Daraa", "Dar'a", "Deraa"),
    "deir-ez-zor-governorate": ("Deir ez Zor", "Deir-ez-Zor", "Dayr az Zawr", "Deir Ezzor"),
    "rif-dimashq-governorate": ("Rural Damascus", "Rif Dimashq", "Damascus Countryside"),
    "aleppo-governorate": ("Aleppo", "Halab"),
    "hama-governorate": ("Hama", "Hamah"),
    "homs-governorate": ("Homs", "Hims"),
    "idlib-governorate": ("Idleb", "Idlib"),
    "damascus-governorate": ("Damascus", "Dimashq"),
    "tartus-governorate": ("Tartous", "Tartus", "Tartous"),
}
