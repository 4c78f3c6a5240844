"""Arabic smart-home text for the requests: every request gets text of its own.

The fakes key their timing log by text (and their PCM depends on it), so no two requests
of a run may share one. LLM tokens follow GPT-style tokenisers: a space starts a word's
token and punctuation is a token of its own.
"""

from __future__ import annotations

import itertools

SENTENCES = (
    "مرحبا بكم في البيت الذكي",
    "تم تشغيل الإضاءة في غرفة المعيشة",
    "درجة الحرارة في المطبخ اثنتان وعشرون درجة",
    "الباب الأمامي مقفل والإنذار مفعل",
    "ستبدأ الغسالة العمل بعد عشر دقائق",
    "الجو اليوم مشمس مع رياح خفيفة في المساء",
    "تذكير بموعد الطبيب غدا في الساعة التاسعة صباحا",
    "تم إطفاء جميع الأضواء في الطابق العلوي",
)


class TextFactory:
    """Unique texts of roughly a given length."""

    def __init__(self) -> None:
        self._serial = itertools.count(1)
        self._sentence = itertools.cycle(SENTENCES)

    def text(self, min_chars: int = 30) -> str:
        """About ``min_chars`` of sentences cut at a word, then a unique "رقم N." ending.

        For example "مرحبا بكم في البيت الذكي رقم 17."; never fewer than three words, so
        Faseeh accepts it too.
        """
        suffix = f" رقم {next(self._serial)}."
        body = ""
        while len(body) + len(suffix) < min_chars:
            body += (". " if body else "") + next(self._sentence)
        if not body:
            body = next(self._sentence)
        words = body.split(" ")
        while len(words) > 2 and len(" ".join(words[:-1])) + len(suffix) >= min_chars:
            words.pop()
        return " ".join(words).rstrip(".") + suffix

    def tokens(self) -> tuple[list[str], int]:
        """Two sentences as LLM tokens, and the index of the token ending the first.

        The unique number leads the first sentence, so it ends in a word as most Arabic
        sentences do (one that ends in a number waits one more token: "12." may be "12.5").
        """
        first = f"رقم {next(self._serial)} {next(self._sentence)}"
        second = next(self._sentence)
        tokens: list[str] = []
        for sentence_index, sentence in enumerate((first, second)):
            for word_index, word in enumerate(sentence.split()):
                lead = "" if sentence_index == 0 and word_index == 0 else " "
                tokens.append(lead + word)
            tokens.append(".")
            if sentence_index == 0:
                complete_index = len(tokens) - 1
        return tokens, complete_index
