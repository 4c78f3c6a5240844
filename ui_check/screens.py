"""What a screen must show: every label of the step translated, no raw key, no secret.

The expectations come from the step Home Assistant sent the frontend (its schema, errors
and placeholders, as captured from the network) and from the integration's translation
file for the user's language, so a field added to a form later is checked the same way
without touching this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TRANSLATIONS = Path(__file__).resolve().parents[1] / "custom_components/arabic_tts/translations"

# What Home Assistant's frontend shows when a translation is missing: the key itself
# (component.arabic_tts.config.step.user.title, ui.panel.…), an unfilled {placeholder},
# or a reference it could not resolve.
RAW_KEY = re.compile(
    r"component\.[a-z_]+\.|\b(?:config|options)\.(?:step|error|abort)\.|\bui\.(?:panel|dialogs|components)\."
    r"|\[%key:|\{[a-z_]+\}"
)


def squash(text: str) -> str:
    """Text without white space or markdown marks, so rendered and source text compare."""
    return re.sub(r"[\s*_`]", "", text)


def load(language: str) -> dict[str, Any]:
    translations: dict[str, Any] = json.loads(
        (TRANSLATIONS / f"{language}.json").read_text("utf-8")
    )
    return translations


def fill(template: str, placeholders: dict[str, Any] | None) -> str:
    """A translation with its placeholders filled as the frontend fills them."""
    for name, value in (placeholders or {}).items():
        template = template.replace(f"{{{name}}}", str(value))
    return template


@dataclass
class Screen:
    """One step of a flow as the browser showed it."""

    name: str
    parts: list[str]  # rendered text pieces
    inputs: list[str]  # values in text inputs

    @property
    def text(self) -> str:
        return " ".join(self.parts)

    def shows(self, expected: str) -> bool:
        return squash(expected) in squash(self.text)


def check_step(
    screen: Screen,
    step: dict[str, Any],
    *,
    flow: str,
    translations: dict[str, Any],
    secrets: list[str],
    language: str,
) -> list[str]:
    """Failures of one shown step (``flow`` is "config" or "options")."""
    failures: list[str] = []
    where = f"{screen.name} ({flow} step {step.get('step_id')})"
    strings = translations[flow]
    placeholders = step.get("description_placeholders") or {}
    step_strings = strings.get("step", {}).get(step.get("step_id"), {})

    def expect(label: str | None, what: str) -> None:
        if not label:
            failures.append(f"{where}: {what} has no translation")
        elif not screen.shows(fill(label, placeholders)):
            failures.append(f"{where}: {what} {fill(label, placeholders)!r} is not shown")

    if step.get("type") == "form" and "title" in step_strings:
        expect(step_strings["title"], "the title")
    if step.get("type") == "abort":
        reason = step.get("reason")
        expect(strings.get("abort", {}).get(reason), f"the message {reason}")
    if step.get("type") == "menu":
        for option in step.get("menu_options") or []:
            expect(step_strings.get("menu_options", {}).get(option), f"menu option {option}")
    if step.get("type") == "form":
        for item in step.get("data_schema") or []:
            _check_field(screen, item, step_strings, translations, expect)
    for field_name, key in (step.get("errors") or {}).items():
        expect(strings.get("error", {}).get(key), f"the error {key} on {field_name}")
    if language == "ar":
        failures += [
            f"{where}: {word!r} on an Arabic screen"
            for word in _english(screen, step, translations)
        ]
    for match in RAW_KEY.finditer(screen.text):
        failures.append(f"{where}: raw translation key or placeholder {match.group(0)!r} shown")
    for secret in secrets:
        if secret in screen.text or any(secret in value for value in screen.inputs):
            failures.append(f"{where}: an API key is shown in clear")
    return failures


LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")


def _english(screen: Screen, step: dict[str, Any], arabic: dict[str, Any]) -> list[str]:
    """Latin words on an Arabic screen that no Arabic text put there.

    Allowed: the Latin words our Arabic translations keep on purpose (API, WebSocket,
    SSML, Assist, the providers' addresses), the step's placeholders (a provider's name,
    its sign-up address), what was typed, and names inside an Arabic label (a Faseeh
    voice's own name in "فصيح Fahad (نجدي، ذكر)"). The integration's name (manifest.json)
    is not translatable in Home Assistant.
    """
    allowed = set(LATIN_WORD.findall(json.dumps(arabic, ensure_ascii=False)))
    allowed |= set(LATIN_WORD.findall(" ".join(screen.inputs)))
    allowed |= set(LATIN_WORD.findall(json.dumps(step.get("description_placeholders") or {})))
    allowed |= {"Arabic", "TTS", "Hamsa", "Faseeh"}  # the integration's name, the brands
    for item in step.get("data_schema") or []:
        for option in ((item.get("selector") or {}).get("select") or {}).get("options") or []:
            label = option.get("label", "") if isinstance(option, dict) else ""
            if ARABIC_LETTER.search(label):
                allowed |= set(LATIN_WORD.findall(label))
    return sorted(set(LATIN_WORD.findall(screen.text)) - allowed)


def _check_field(
    screen: Screen,
    item: dict[str, Any],
    step_strings: dict[str, Any],
    translations: dict[str, Any],
    expect: Callable[[str | None, str], None],
) -> None:
    """A field's label, and the labels of its choices where the screen shows them."""
    name = item["name"]
    if item.get("type") == "expandable":
        section = step_strings.get("sections", {}).get(name, {})
        expect(section.get("name"), f"the section {name}")
        if item.get("expanded"):
            for inner in item.get("schema") or []:
                _check_field(screen, inner, section, translations, expect)
        return
    expect(step_strings.get("data", {}).get(name), f"the field {name}")
    select = (item.get("selector") or {}).get("select")
    if select is None:
        return
    value = (item.get("description") or {}).get("suggested_value", item.get("default"))
    chosen = value if isinstance(value, list) else [value]
    list_mode = select.get("mode") == "list"
    for option in select.get("options") or []:
        option_value = option["value"] if isinstance(option, dict) else option
        if not list_mode and option_value not in chosen:
            continue  # a closed drop-down shows only what is chosen
        if key := select.get("translation_key"):
            label = translations["selector"].get(key, {}).get("options", {}).get(option_value)
            expect(label, f"the choice {option_value} of {name}")
        elif isinstance(option, dict):
            expect(option.get("label"), f"the choice {option_value} of {name}")


def opened(step: dict[str, Any]) -> dict[str, Any]:
    """The step as shown once its folded sections were opened."""
    schema = [
        {**item, "expanded": True} if item.get("type") == "expandable" else item
        for item in step.get("data_schema") or []
    ]
    return {**step, "data_schema": schema}
