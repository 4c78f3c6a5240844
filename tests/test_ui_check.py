"""The judgements script/ui-check makes about a screen, on screens made up here.

The browser run itself needs Home Assistant's frontend and Chromium (script/ui-check);
what it concludes from a screen's text and the step Home Assistant sent is plain code,
checked here against the integration's real translation files.
"""

from __future__ import annotations

from typing import Any

from ui_check.screens import Screen, check_step, load, opened

EN = load("en")
AR = load("ar")
KEY = "hamsa-0123456789abcdef0123456789abcdef"


def hamsa_options(**extra_field: Any) -> dict[str, Any]:
    """The Hamsa options step as Home Assistant sends it to the frontend."""
    schema: list[dict[str, Any]] = [
        {
            "name": "voice",
            "required": True,
            "selector": {
                "select": {
                    "options": [{"value": "Hiba", "label": "Hamsa Hiba (Saudi, female)"}],
                    "mode": "dropdown",
                }
            },
            "description": {"suggested_value": "Hiba"},
        },
        {
            "name": "dialect",
            "required": True,
            "default": "auto",
            "selector": {
                "select": {
                    "options": ["auto", "ksa"],
                    "mode": "dropdown",
                    "translation_key": "dialect",
                }
            },
            "description": {"suggested_value": "ksa"},
        },
    ]
    if extra_field:
        schema.append(extra_field)
    return {"type": "form", "step_id": "hamsa", "data_schema": schema, "errors": None}


def judge(screen: Screen, step: dict[str, Any], flow: str, language: str) -> list[str]:
    translations = AR if language == "ar" else EN
    return check_step(
        screen, step, flow=flow, translations=translations, secrets=[KEY], language=language
    )


def en_screen(*parts: str) -> Screen:
    return Screen("options", list(parts), [])


def test_a_complete_english_screen_passes() -> None:
    screen = en_screen(
        "Hamsa options",
        "Default voice",
        "*",
        "Hamsa Hiba (Saudi, female)",
        "Dialect",
        "Saudi",
        "Submit",
    )
    assert judge(screen, hamsa_options(), "options", "en") == []


def test_a_label_not_shown_and_a_field_without_translation_fail() -> None:
    """A field added to the form later is checked like the others, by its name."""
    step = hamsa_options(name="not_yet_translated", required=False, selector={"text": {}})
    screen = en_screen("Hamsa options", "Default voice", "Hamsa Hiba (Saudi, female)", "Saudi")
    failures = judge(screen, step, "options", "en")
    assert any("the field dialect 'Dialect' is not shown" in f for f in failures)
    assert any("the field not_yet_translated has no translation" in f for f in failures)


def test_raw_keys_placeholders_and_keys_on_screen_fail() -> None:
    screen = Screen(
        "options",
        [
            "Hamsa options",
            "Default voice",
            "Hamsa Hiba (Saudi, female)",
            "Dialect",
            "Saudi",
            "component.arabic_tts.options.step.hamsa.data.fallback",
            "Your {provider} key",
        ],
        [KEY],
    )
    failures = judge(screen, hamsa_options(), "options", "en")
    assert any("'component.arabic_tts.'" in f for f in failures)
    assert any("'{provider}'" in f for f in failures)
    assert any("an API key is shown in clear" in f for f in failures)


def test_english_words_on_an_arabic_screen_fail_but_names_in_arabic_labels_pass() -> None:
    step = {
        "type": "form",
        "step_id": "faseeh",
        "data_schema": [
            {
                "name": "voice",
                "selector": {
                    "select": {
                        "options": [
                            {"value": "ar-najdi-male-2", "label": "فصيح Fahad (نجدي، ذكر)"}
                        ],
                        "mode": "dropdown",
                    }
                },
                "description": {"suggested_value": "ar-najdi-male-2"},
            },
            {
                "name": "model",
                "selector": {
                    "select": {
                        "options": [{"value": "faseeh-v1-preview", "label": "Faseeh (quality)"}],
                        "mode": "dropdown",
                    }
                },
                "description": {"suggested_value": "faseeh-v1-preview"},
            },
        ],
    }
    title = AR["options"]["step"]["faseeh"]["title"]
    labels = AR["options"]["step"]["faseeh"]["data"]
    screen = Screen(
        "options",
        [title, labels["voice"], "فصيح Fahad (نجدي، ذكر)", labels["model"], "Faseeh (quality)"],
        [],
    )
    failures = judge(screen, step, "options", "ar")
    assert [f for f in failures if "Arabic screen" in f] == [
        "options (options step faseeh): 'quality' on an Arabic screen"
    ]


def test_an_error_and_a_folded_section_once_opened() -> None:
    step = {
        "type": "form",
        "step_id": "api_key",
        "data_schema": [
            {"name": "api_key", "required": True, "selector": {"text": {"type": "password"}}},
            {
                "name": "endpoints",
                "type": "expandable",
                "expanded": False,
                "schema": [{"name": "ws_url", "selector": {"text": {"type": "url"}}}],
            },
        ],
        "errors": {"base": "invalid_auth"},
        "description_placeholders": {"provider": "Hamsa", "url": "https://tryhamsa.com"},
    }
    shown = ["Hamsa API key", "API key*", "Endpoints (advanced)", "Submit"]
    failures = judge(Screen("add", shown, []), step, "config", "en")
    assert failures == [
        "add (config step api_key): the error invalid_auth on base "
        "'The provider refused this API key.' is not shown"
    ]
    shown.append("The provider refused this API key.")
    assert judge(Screen("add", shown, []), step, "config", "en") == []
    failures = judge(Screen("add", shown, []), opened(step), "config", "en")
    assert failures == [
        "add (config step api_key): the field ws_url 'WebSocket address' is not shown"
    ]
