"""Pinyin keys for finding residents by typing on a phone (李伟 → "liwei", "lw")."""

from pypinyin import Style, lazy_pinyin


def pinyin_keys(name: str) -> tuple[str, str]:
    """Return (full pinyin, initials), lower case, without tones or spaces.

    Latin parts of a name are kept as they are: "Anna 王" → ("annawang", "aw").
    """
    words = [w.lower() for part in lazy_pinyin(name) for w in part.split()]
    full = "".join(words)
    initials = "".join(w[0] for part in lazy_pinyin(name, style=Style.FIRST_LETTER) for w in part.split())
    return full, initials.lower()
