"""The language a synthetic returnee reads their notice in (docs/notices.md#bundled-scenarios), from the name
pool their household draws on; no random draw, so adding the column changed no other synthetic value.

Iraqi Kurds mostly read Sorani (ckb, Arabic script: Erbil, Sulaymaniyah); families of the Badinan area around
Duhok and Akre (the tribal names below) read Kurmanji (kmr, Latin script as taught in the diaspora) [1].
Syrians and Yemenis read Arabic, Iranians and Afghans Persian (Dari is read as Persian), Cameroonians French.

[1] https://en.wikipedia.org/wiki/Kurdish_languages (Northern Kurdish in Duhok Governorate, Central Kurdish in
    Erbil and Sulaymaniyah)
"""

from __future__ import annotations

#: Family names of the generator's Kurdish pool that belong to Kurmanji-speaking Badinan (Duhok, Akre).
KURMANJI_FAMILIES = frozenset({"Zebari", "Barwari", "Doski", "Surchi", "Herki"})
POOL_LANGUAGE = {"ku": "ckb", "ar": "ar", "fa": "fa", "cm": "fr"}


def notice_language(pool: str, family: str) -> str:
    """The `language` column for a member of a household drawn from name pool `pool` with family name `family`."""
    if pool == "ku" and family in KURMANJI_FAMILIES:
        return "kmr"
    return POOL_LANGUAGE.get(pool, "en")
