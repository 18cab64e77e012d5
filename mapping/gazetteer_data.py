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
DISTRICTS_FILE = DATA_DIR / "districts.geojson"

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


# District slug -> the district's name in the district boundaries' source (geoBoundaries'
# SYR ADM2, OCHA's common operational data set), whose spellings follow OCHA rather than
# GeoNames. Fixed here so that a rebuild can never pair a district with its neighbour's
# outline; ``extract_districts`` also checks that each seat lies in (or by) its outline.
DISTRICT_BOUNDARY_NAMES: dict[str, str] = {
    "al-malikiyah-district": "Al-Malikeyyeh",
    "al-qamishli-district": "Quamishli",
    "al-hasakah-district": "Al-Hasakeh",
    "ras-al-ayn-district": "Ras Al Ain",
    "jableh-district": "Jablah",
    "qardaha-district": "Al-Qardaha",
    "latakia-district": "Lattakia",
    "al-haffah-district": "Al-Haffa",
    "fiq-district": "Al Fiq",
    "quneitra-district": "Quneitra",
    "ar-raqqah-district": "Ar-Raqqa",
    "tell-abyad-district": "Tell Abiad",
    "al-thawrah-district": "Ath-Thawrah",
    "shahba-district": "Shahba",
    "salkhad-district": "Salkhad",
    "as-suwayda-district": "As-Sweida",
    "izra-district": "Izra'",
    "daraa-district": "Dar'a",
    "al-sanamayn-district": "As-Sanamayn",
    "deir-ez-zor-district": "Deir-ez-Zor",
    "mayadin-district": "Al Mayadin",
    "abu-kamal-district": "Abu Kamal",
    "qatana-district": "Qatana",
    "douma-district": "Duma",
    "al-zabadani-district": "Az-Zabdani",
    "al-tall-district": "At Tall",
    "al-nabk-district": "An Nabk",
    "al-qutayfah-district": "Al Qutayfah",
    "yabrud-district": "Yabroud",
    "darayya-district": "Darayya",
    "markaz-rif-dimashq-district": "Rural Damascus",
    "manbij-district": "Menbij",
    "jarabulus-district": "Jarablus",
    "mount-simeon-district": "Jebel Saman",
    "azaz-district": "A'zaz",
    "ayn-al-arab-district": "Ain Al Arab",
    "al-bab-district": "Al Bab",
    "afrin-district": "Afrin",
    "al-safira-district": "As-Safira",
    "al-salamiyah-district": "As-Salamiyeh",
    "masyaf-district": "Masyaf",
    "hama-district": "Hama",
    "al-suqaylabiyah-district": "As-Suqaylabiyah",
    "mhardeh-district": "Muhradah",
    "talkalakh-district": "Tall Kalakh",
    "homs-district": "Homs",
    "al-rastan-district": "Ar-Rastan",
    "al-qusayr-district": "Al-Qusayr",
    "al-mukharram-district": "Al Makhrim",
    "tadmur-district": "Tadmor",
    "maarrat-al-numan-district": "Al Ma'ra",
    "jisr-al-shughur-district": "Jisr-Ash-Shugur",
    "idlib-district": "Idleb",
    "harem-district": "Harim",
    "ariha-district": "Ariha",
    "damascus-district": "Damascus",
    "tartus-district": "Tartous",
    "safita-district": "Safita",
    "baniyas-district": "Banyas",
    "duraykish-district": "Dreikish",
    "al-shaykh-badr-district": "Sheikh Badr",
}
