"""Latin words left in an Arabic sentence, written in Arabic letters for the offline voices.

espeak-ng reads a Latin word in an Arabic sentence with its English rules and phonemes
(``-x`` shows ``(en)n'EtflIks(ar)``), and Piper's Arabic voices are given those English
phonemes too, which they were never trained on. espeak-ng has no option to stop it (the
switch is hard-wired for a non-Latin language meeting a Latin letter: translate.cpp,
TranslateWord3), so the word is rewritten before it gets there:

- brands, devices and words common in a smart home, as Arabic writes them
  (Netflix → نتفليكس, iPhone → آيفون, Zigbee → زيجبي);
- capitals (HDMI, USB, TV) and single letters: the Arabic names of the letters, as
  people say them (إتش دي إم آي);
- letters glued to digits: the letters so, the digits as a number (PS5 → بي إس خمسة);
- CamelCase (HomeKit) as its parts;
- anything else by its spelling, roughly as an Arabic reader would sound it out
  (sh → ش, ch → تش, th → ث, kh → خ, c before e/i/y → س, a final silent e dropped).
  This is an approximation; a name that matters belongs in the user lexicon.

Only in a sentence with Arabic letters: an English sentence is left to the voice. The
words step runs first (``on`` alone is قيد التشغيل, not أون).
"""

from __future__ import annotations

import regex as re

from .numbers import cardinal, digits

ARABIC_LETTER_RE = re.compile(r"(?=\p{Arabic})\p{L}")
# A Latin word, maybe with digits, hyphens or an apostrophe inside (Z-Wave, Ahmed's, PS5);
# runs of such words separated by spaces are looked up whole first (Apple TV).
# Digits, a first letter, then letters and digits: one way only to match a word, and
# possessive, so a word that fails to end as a word (Café, a_b) is given up at once, not
# retried at every split of its letters (the square of its length).
_TOKEN = r"(?:[0-9]*+[A-Za-z][A-Za-z0-9]*+(?:['’\-][A-Za-z0-9]++)*)"
LATIN_RUN_RE = re.compile(
    rf"(?<![\p{{L}}\p{{N}}_]){_TOKEN}(?:[ \t]+{_TOKEN})*(?![\p{{L}}\p{{N}}_])"
)
_PARTS_RE = re.compile(r"[A-Z]{2,}(?![a-z])|[A-Z]?[a-z]+|[A-Z]|[0-9]+")
_POSSESSIVE_RE = re.compile(r"['’]s$", re.IGNORECASE)

MAX_ACRONYM = 6

# Names of the Latin letters, as Arabic speakers say them, vowelled (the tashkeel model
# would "restore" their hamza and so leave them bare).
LETTER_NAMES: dict[str, str] = {
    "a": "إِيه",
    "b": "بِي",
    "c": "سِي",
    "d": "دِي",
    "e": "إِي",
    "f": "إِفْ",
    "g": "جِي",
    "h": "إِتْش",
    "i": "آي",
    "j": "جِيه",
    "k": "كِيه",
    "l": "إِلْ",
    "m": "إِمْ",
    "n": "إِنْ",
    "o": "أُو",
    "p": "بِي",
    "q": "كْيُو",
    "r": "آرْ",
    "s": "إِسْ",
    "t": "تِي",
    "u": "يُو",
    "v": "فِي",
    "w": "دَبْلْيُو",
    "x": "إِكْسْ",
    "y": "وَاي",
    "z": "زِدْ",
}

# Brands, devices and words of a smart home, as Arabic writes them (lower case keys).
KNOWN: dict[str, str] = {
    "alexa": "أليكسا",
    "amazon": "أمازون",
    "android": "أندرويد",
    "apple": "آبل",
    "apple tv": "آبل تي في",
    "airplay": "إير بلاي",
    "bosch": "بوش",
    "chromecast": "كروم كاست",
    "dyson": "دايسون",
    "echo": "إيكو",
    "esphome": "إي إس بي هوم",
    "facebook": "فيسبوك",
    "google": "جوجل",
    "google home": "جوجل هوم",
    "homekit": "هوم كيت",
    "huawei": "هواوي",
    "hue": "هيو",
    "ikea": "إيكيا",
    "instagram": "إنستغرام",
    "ipad": "آيباد",
    "iphone": "آيفون",
    "lg": "إل جي",
    "mac": "ماك",
    "macbook": "ماك بوك",
    "matter": "ماتر",
    "nest": "نست",
    "netflix": "نتفليكس",
    "nintendo": "نينتندو",
    "philips": "فيليبس",
    "philips hue": "فيليبس هيو",
    "playstation": "بلايستيشن",
    "ring": "رينج",
    "roborock": "روبوروك",
    "roomba": "رومبا",
    "samsung": "سامسونج",
    "shahid": "شاهد",
    "shelly": "شيلي",
    "siri": "سيري",
    "sonos": "سونوس",
    "sony": "سوني",
    "spotify": "سبوتيفاي",
    "telegram": "تيليجرام",
    "tesla": "تسلا",
    "tuya": "تويا",
    "whatsapp": "واتساب",
    "windows": "ويندوز",
    "xbox": "إكس بوكس",
    "xiaomi": "شاومي",
    "youtube": "يوتيوب",
    "z-wave": "زد ويف",
    "zigbee": "زيجبي",
    # Words of devices and rooms in entity names.
    "air": "إير",
    "alarm": "ألارم",
    "bathroom": "باثروم",
    "bedroom": "بيدروم",
    "camera": "كاميرا",
    "door": "دور",
    "garage": "جراج",
    "garden": "جاردن",
    "hub": "هاب",
    "kitchen": "كيتشن",
    "lamp": "لامب",
    "light": "لايت",
    "lights": "لايتس",
    "living": "ليفينج",
    "living room": "ليفينج روم",
    "max": "ماكس",
    "mini": "ميني",
    "motion": "موشن",
    "plus": "بلس",
    "pro": "برو",
    "robot": "روبوت",
    "room": "روم",
    "router": "راوتر",
    "sensor": "سنسور",
    "smart": "سمارت",
    "speaker": "سبيكر",
    "switch": "سويتش",
    "timer": "تايمر",
    "ultra": "ألترا",
    "vacuum": "فاكيوم",
    "window": "ويندو",
}

# Spelling → Arabic letters, longest first; "^" only at the start of a word.
_RULES: tuple[tuple[str, str], ...] = (
    ("tion", "شن"),
    ("tch", "تش"),
    ("igh", "اي"),
    ("^kn", "ن"),
    ("^wr", "ر"),
    ("ch", "تش"),
    ("sh", "ش"),
    ("th", "ث"),
    ("ph", "ف"),
    ("kh", "خ"),
    ("gh", "غ"),
    ("dh", "ذ"),
    ("ck", "ك"),
    ("qu", "كو"),
    ("wh", "و"),
    ("ng", "نج"),
    ("ee", "ي"),
    ("ea", "ي"),
    ("ie", "ي"),
    ("oo", "و"),
    ("ou", "او"),
    ("ow", "او"),
    ("ai", "اي"),
    ("ay", "اي"),
    ("ey", "اي"),
    ("oa", "و"),
    ("au", "و"),
    ("aw", "و"),
    ("oi", "وي"),
    ("oy", "وي"),
    ("ew", "يو"),
    ("x", "كس"),
    ("b", "ب"),
    ("d", "د"),
    ("f", "ف"),
    ("h", "ه"),
    ("j", "ج"),
    ("k", "ك"),
    ("l", "ل"),
    ("m", "م"),
    ("n", "ن"),
    ("p", "ب"),
    ("q", "ك"),
    ("r", "ر"),
    ("s", "س"),
    ("t", "ت"),
    ("v", "ف"),
    ("w", "و"),
    ("z", "ز"),
)
_SHORT_VOWELS = {"a": "ا", "e": "ي", "i": "ي", "o": "و", "u": "ا", "y": "ي"}
# A vowel at the start of a word sits on a hamza (أ، إ) as Arabic writes it.
_FIRST_VOWELS = {"a": "أ", "e": "إ", "i": "إ", "o": "أو", "u": "أ"}
_MAGIC_E = {"a": "اي", "i": "اي", "o": "و", "u": "يو", "e": "ي", "y": "اي"}
_VOWELS = frozenset("aeiouy")


def transliterate_latin(text: str) -> str:
    """Every Latin word of an Arabic sentence in Arabic letters (English sentences as they are)."""
    if ARABIC_LETTER_RE.search(text) is None:
        return text
    return str(LATIN_RUN_RE.sub(_run, text))


def _run(match: re.Match[str]) -> str:
    run: str = match.group(0)
    key = " ".join(run.split()).lower()
    if key in KNOWN:
        return KNOWN[key]
    return " ".join(_token(token) for token in run.split())


def _token(token: str) -> str:
    token = _POSSESSIVE_RE.sub("", token)
    known = KNOWN.get(token.lower())
    if known is not None:
        return known
    return " ".join(_part(part) for piece in re.split(r"['’\-]", token) for part in _parts(piece))


def _parts(piece: str) -> list[str]:
    """CamelCase and letter/digit runs apart: HomeKit → Home Kit, PS5 → PS 5."""
    return [part for part in _PARTS_RE.findall(piece) if part]


def _part(part: str) -> str:
    if part.isdigit():
        if len(part) > 4 or (len(part) > 1 and part.startswith("0")):
            return digits(part)
        return cardinal(int(part))
    if (known := KNOWN.get(part.lower())) is not None:
        return known
    spelled_out = part.isupper() or not _VOWELS.intersection(part.lower())  # HDMI, mp
    if len(part) == 1 or (spelled_out and len(part) <= MAX_ACRONYM):
        return " ".join(LETTER_NAMES[letter] for letter in part.lower())
    return spell(part.lower())


def spell(word: str) -> str:
    """A lower-case word by its spelling, in Arabic letters (an approximation)."""
    out: list[str] = []
    end = len(word)
    magic = -1
    if end > 2 and word.endswith("e") and word[-2] not in _VOWELS:
        end -= 1  # a silent final e; the vowel before its consonant is long (time, home)
        if word[end - 2] in _VOWELS:
            magic = end - 2
    i = 0
    while i < end:
        char = word[i]
        rule = None if i == magic else _rule_at(word, i, end)
        if rule is not None and len(rule[0].lstrip("^")) > 1:
            out.append(rule[1])
            i += len(rule[0].lstrip("^"))
        elif char in _VOWELS:
            out.append(_vowel(word, i, magic))
            i += 1
        elif char in "cg":
            soft = i + 1 < len(word) and word[i + 1] in "eiy"
            letter = {"c": "سك", "g": "جغ"}[char][0 if soft else 1]
            if not out or out[-1] != letter:
                out.append(letter)
            i += 1
        else:
            if rule is not None and (not out or out[-1] != rule[1]):
                out.append(rule[1])  # a doubled consonant is written once
            i += 1
    return "".join(out)


def _rule_at(word: str, i: int, end: int) -> tuple[str, str] | None:
    for pattern, letters in _RULES:
        plain = pattern.lstrip("^")
        if pattern.startswith("^") and i != 0:
            continue
        if word.startswith(plain, i) and i + len(plain) <= end:
            return pattern, letters
    return None


def _vowel(word: str, i: int, magic: int) -> str:
    char = word[i]
    if i == magic:
        long = _MAGIC_E[char]
        return ("أ" + long[1:] if long.startswith("ا") else "أ" + long) if i == 0 else long
    if i == 0:
        return _FIRST_VOWELS.get(char, "ي")
    if i == len(word) - 1:
        if char == "y":  # my, fly: long; happy, sony: ي
            return "اي" if not _VOWELS.intersection(word[:-1]) else "ي"
        if char in "ou":
            return "و"
    return _SHORT_VOWELS[char]
