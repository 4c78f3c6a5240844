"""Config flow, reauth, reconfigure and options flow against the fakes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
import voluptuous as vol
from homeassistant.components import tts
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType, InvalidData, section

from custom_components.arabic_tts.const import (
    CONF_API_URL,
    CONF_CUSTOM_VOICES,
    CONF_DIALECT,
    CONF_MODEL,
    CONF_PROVIDER,
    CONF_REGION,
    CONF_SAMPLE_RATE,
    CONF_SPEED,
    CONF_STABILITY,
    CONF_TRANSPORT,
    CONF_VOICE,
    CONF_WS_URL,
    DOMAIN,
    SECTION_ENDPOINTS,
)
from custom_components.arabic_tts.core.voices import FASEEH_MODELS
from custom_components.arabic_tts.provider import faseeh_unique_id

from ..fakes.faseeh import FakeFaseeh
from ..fakes.hamsa import FakeHamsa
from .conftest import (
    FASEEH_KEY,
    HAMSA_KEY,
    VOICE_UUID,
    faseeh_entry,
    hamsa_entry,
    setup_entry,
)

TRANSLATIONS = Path(__file__).parents[2] / "custom_components/arabic_tts/translations"
STRINGS = json.loads(
    (Path(__file__).parents[2] / "custom_components/arabic_tts/strings.json").read_text()
)
PRELOAD_PATH = "/v2/tts/voices/custom/preload"
OTHER_UUID = "0b9a8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"


def check_translated(result: FlowResult, part: str = "config") -> None:
    """Every step, section, error and abort reason the flow shows has an English string."""
    strings = STRINGS[part]
    if result["type"] in (FlowResultType.FORM, FlowResultType.MENU):
        assert result["step_id"] in strings["step"]
        for error in (result.get("errors") or {}).values():
            assert error in strings["error"], error
        step = strings["step"][result["step_id"]]
        schema = result.get("data_schema")
        for key, value in schema.schema.items() if schema is not None else ():
            if isinstance(value, section):
                names = step["sections"][str(key)]
                assert names["name"], key
                assert set(map(str, value.schema.schema)) <= set(names["data"]), key
    if result["type"] is FlowResultType.ABORT:
        assert result["reason"] in strings["abort"], result["reason"]
        # Shown from our translations, not Home Assistant's: since 2026.x a reauth or
        # reconfigure without a reason is answered in Home Assistant's own words, which
        # have no Arabic (script/ui-check saw the English sentence on an Arabic screen).
        assert result.get("translation_domain") in (None, DOMAIN), result["translation_domain"]


async def start_user_flow(hass: HomeAssistant, provider: str) -> FlowResult:
    """Open the user flow and pick a provider."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["hamsa", "faseeh"]
    check_translated(result)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": provider}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "api_key"
    assert result["description_placeholders"]["provider"] in ("Hamsa", "Faseeh")
    check_translated(result)
    return result


def fake_urls(fake: FakeHamsa | FakeFaseeh) -> dict[str, str]:
    """The overrides as stored in entry data."""
    return {CONF_WS_URL: fake.ws_url, CONF_API_URL: fake.api_url}


def endpoints(fake: FakeHamsa | FakeFaseeh) -> dict[str, dict[str, str]]:
    """The overrides as the form sends them: inside the endpoints section."""
    return {SECTION_ENDPOINTS: fake_urls(fake)}


# --- user step -----------------------------------------------------------------------------


async def test_hamsa_flow_invalid_auth_then_success(hass: HomeAssistant, hamsa: FakeHamsa) -> None:
    """A wrong key shows invalid_auth; the right one creates the entry (keyed by project)."""
    result = await start_user_flow(hass, "hamsa")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "wrong", **endpoints(hamsa)}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    check_translated(result)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: f" {HAMSA_KEY} ", **endpoints(hamsa)}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Hamsa"
    assert result["data"] == {CONF_PROVIDER: "hamsa", CONF_API_KEY: HAMSA_KEY, **fake_urls(hamsa)}
    assert result["options"] == {CONF_VOICE: "Ali", CONF_DIALECT: "auto", CONF_CUSTOM_VOICES: []}
    entry = result["result"]
    assert entry.unique_id == "hamsa-project-1"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    # The key check went to the cheap REST call with Token auth.
    checks = [r for r in hamsa.rest_requests if r.path == "/v1/projects/by-api-key"]
    assert checks[-1].headers["Authorization"] == f"Token {HAMSA_KEY}"


async def test_faseeh_flow_cannot_connect_then_success(
    hass: HomeAssistant, faseeh: FakeFaseeh
) -> None:
    """A provider outage shows cannot_connect; retrying creates the entry (keyed by hash)."""
    result = await start_user_flow(hass, "faseeh")
    faseeh.rest_status_override["/api/v1/models"] = 503
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: FASEEH_KEY, **endpoints(faseeh)}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    check_translated(result)

    del faseeh.rest_status_override["/api/v1/models"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: FASEEH_KEY, **endpoints(faseeh)}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Faseeh"
    entry = result["result"]
    assert entry.unique_id == faseeh_unique_id(FASEEH_KEY)
    assert FASEEH_KEY not in entry.unique_id
    # The default model is faseeh-v1-preview (every vendor client's default; issue 9).
    assert entry.options == {
        CONF_VOICE: "ar-najdi-male-2",
        CONF_MODEL: "faseeh-v1-preview",
        CONF_TRANSPORT: "auto",
        CONF_DIALECT: "auto",
        CONF_SAMPLE_RATE: "24000",
    }
    assert entry.data[CONF_REGION] == "global"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_flow_unreachable_host(hass: HomeAssistant, socket_enabled: None) -> None:
    """Nothing listening at the address: cannot_connect."""
    result = await start_user_flow(hass, "hamsa")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_API_KEY: "k",
            SECTION_ENDPOINTS: {
                CONF_WS_URL: "ws://127.0.0.1:9/ws",
                CONF_API_URL: "http://127.0.0.1:9",
            },
        },
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_flow_invalid_url(hass: HomeAssistant) -> None:
    """Endpoint overrides must be full ws(s):// and http(s):// addresses."""
    result = await start_user_flow(hass, "faseeh")
    for bad in ({CONF_WS_URL: "https://x"}, {CONF_API_URL: "api.faseeh.ai"}):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: "k", SECTION_ENDPOINTS: bad}
        )
        # Form-wide, so it shows while the section is folded.
        assert result["errors"] == {"base": "invalid_url"}
        check_translated(result)


async def test_flow_unknown_error(hass: HomeAssistant) -> None:
    """An unexpected exception shows 'unknown' and the form stays usable."""
    result = await start_user_flow(hass, "hamsa")
    with patch("custom_components.arabic_tts.config_flow.async_validate", side_effect=RuntimeError):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: "k"}
        )
    assert result["errors"] == {"base": "unknown"}


def folded_endpoints(result: FlowResult) -> section:
    """The form's endpoint section, checked to be collapsed with both URL fields (after
    the key and, for Faseeh, the region)."""
    schema = result["data_schema"].schema
    keys = [str(key) for key in schema]
    assert keys in (
        [CONF_API_KEY, SECTION_ENDPOINTS],
        [CONF_API_KEY, CONF_REGION, SECTION_ENDPOINTS],
    )
    folded = next(value for key, value in schema.items() if str(key) == SECTION_ENDPOINTS)
    assert isinstance(folded, section)
    assert folded.options["collapsed"] is True
    assert [str(key) for key in folded.schema.schema] == [CONF_WS_URL, CONF_API_URL]
    return folded


def suggested(folded: section) -> dict[str, Any]:
    return {
        str(key): (key.description or {}).get("suggested_value") for key in folded.schema.schema
    }


@pytest.mark.parametrize(
    ("provider", "fields"),
    [
        ("hamsa", [CONF_API_KEY, SECTION_ENDPOINTS]),
        ("faseeh", [CONF_API_KEY, CONF_REGION, SECTION_ENDPOINTS]),
    ],
)
async def test_user_form_folds_endpoints_away(
    hass: HomeAssistant, provider: str, fields: list[str]
) -> None:
    """Every user sees the API key (and Faseeh's region); the endpoint overrides wait in a
    collapsed section."""
    result = await start_user_flow(hass, provider)
    assert [str(key) for key in result["data_schema"].schema] == fields
    assert suggested(folded_endpoints(result)) == {CONF_WS_URL: None, CONF_API_URL: None}


@pytest.mark.parametrize("provider", ["hamsa", "faseeh"])
async def test_duplicate_aborts(
    hass: HomeAssistant, hamsa: FakeHamsa, faseeh: FakeFaseeh, provider: str
) -> None:
    """The same account (Hamsa project / Faseeh key) cannot be added twice."""
    fake: FakeHamsa | FakeFaseeh
    if provider == "hamsa":
        fake, key = hamsa, HAMSA_KEY
        hamsa_entry(hass, hamsa)
    else:
        fake, key = faseeh, FASEEH_KEY
        faseeh_entry(hass, faseeh)
    result = await start_user_flow(hass, provider)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: key, **endpoints(fake)}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    check_translated(result)


async def test_both_providers_side_by_side(
    hass: HomeAssistant, hamsa: FakeHamsa, faseeh: FakeFaseeh
) -> None:
    """One Hamsa and one Faseeh entry load together, each with its own entity."""
    for provider, fake, key in (("hamsa", hamsa, HAMSA_KEY), ("faseeh", faseeh, FASEEH_KEY)):
        result = await start_user_flow(hass, provider)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: key, **endpoints(fake)}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entries = hass.config_entries.async_entries(DOMAIN)
    assert [e.state for e in entries] == [ConfigEntryState.LOADED] * 2
    assert len(hass.states.async_entity_ids("tts")) == 2


# --- reauth ------------------------------------------------------------------------------


async def test_hamsa_reauth(hass: HomeAssistant, hamsa: FakeHamsa) -> None:
    """Reauth: a wrong key is refused, a new key of the same project is stored and reloaded."""
    entry = hamsa_entry(hass, hamsa)
    await setup_entry(hass, entry)
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    check_translated(result)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    hamsa.valid_keys.add("hamsa-key-2")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "hamsa-key-2"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    check_translated(result)
    await hass.async_block_till_done()
    assert entry.data[CONF_API_KEY] == "hamsa-key-2"
    assert entry.data[CONF_WS_URL] == hamsa.ws_url  # the rest of the data is kept
    assert entry.state is ConfigEntryState.LOADED
    assert await entry.runtime_data.client.pool.wait_warm(3)
    assert hamsa.connections[-1].key == "hamsa-key-2"


async def test_hamsa_reauth_other_project_aborts(hass: HomeAssistant, hamsa: FakeHamsa) -> None:
    """A key of another Hamsa project is not accepted for this entry."""
    entry = hamsa_entry(hass, hamsa)
    result = await entry.start_reauth_flow(hass)
    with patch(
        "custom_components.arabic_tts.config_flow.async_validate",
        return_value=("hamsa-project-2", []),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: "other-project-key"}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    check_translated(result)
    assert entry.data[CONF_API_KEY] == HAMSA_KEY


async def test_faseeh_reauth_updates_unique_id(hass: HomeAssistant, faseeh: FakeFaseeh) -> None:
    """A Faseeh entry is identified by its key's hash, so reauth moves the unique id."""
    entry = faseeh_entry(hass, faseeh, key="old-key")  # not valid: setup asks for reauth
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_API_KEY: FASEEH_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.unique_id == faseeh_unique_id(FASEEH_KEY)
    assert entry.state is ConfigEntryState.LOADED


async def test_faseeh_reauth_key_of_other_entry_aborts(
    hass: HomeAssistant, faseeh: FakeFaseeh
) -> None:
    """Reauth with a key another entry already uses aborts."""
    faseeh.valid_keys.add("second-key")
    faseeh_entry(hass, faseeh, key="second-key")
    entry = faseeh_entry(hass, faseeh, key="old-key")
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "second-key"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# --- reconfigure ---------------------------------------------------------------------------


async def test_reconfigure_key(hass: HomeAssistant, hamsa: FakeHamsa) -> None:
    """Reconfigure: a new key for the same project; endpoints are kept."""
    entry = hamsa_entry(hass, hamsa)
    await setup_entry(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    check_translated(result)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "nope"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    hamsa.valid_keys.add("rotated")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "rotated"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    check_translated(result)
    await hass.async_block_till_done()
    assert entry.data == {
        CONF_PROVIDER: "hamsa",
        CONF_API_KEY: "rotated",
        CONF_WS_URL: hamsa.ws_url,
        CONF_API_URL: hamsa.api_url,
    }
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_endpoints(hass: HomeAssistant, faseeh: FakeFaseeh) -> None:
    """The section shows the stored endpoints; a changed one is saved, the other kept
    (the frontend sends the section whole, the unchanged address as it was shown)."""
    entry = faseeh_entry(hass, faseeh)
    result = await entry.start_reconfigure_flow(hass)
    assert suggested(folded_endpoints(result)) == fake_urls(faseeh)
    check_translated(result)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_API_KEY: FASEEH_KEY,
            SECTION_ENDPOINTS: {CONF_WS_URL: faseeh.ws_url_legacy, CONF_API_URL: faseeh.api_url},
        },
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_WS_URL] == faseeh.ws_url_legacy
    assert entry.data[CONF_API_URL] == faseeh.api_url
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_emptied_endpoint_goes_back_to_default(
    hass: HomeAssistant, faseeh: FakeFaseeh
) -> None:
    """An override the user erased is dropped (the provider's default applies again)."""
    entry = faseeh_entry(hass, faseeh)
    result = await entry.start_reconfigure_flow(hass)
    with patch(
        "custom_components.arabic_tts.config_flow.async_validate",
        return_value=(entry.unique_id, []),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_API_KEY: FASEEH_KEY,
                SECTION_ENDPOINTS: {CONF_WS_URL: "", CONF_API_URL: faseeh.api_url},
            },
        )
        assert result["reason"] == "reconfigure_successful"
        await hass.async_block_till_done()
    assert CONF_WS_URL not in entry.data
    assert entry.data[CONF_API_URL] == faseeh.api_url


async def test_reconfigure_endpoint_left_out_of_the_section_is_cleared(
    hass: HomeAssistant, faseeh: FakeFaseeh
) -> None:
    """What the frontend sends for a field the user emptied: the section without it."""
    entry = faseeh_entry(hass, faseeh)
    result = await entry.start_reconfigure_flow(hass)
    with patch(
        "custom_components.arabic_tts.config_flow.async_validate",
        return_value=(entry.unique_id, []),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_API_KEY: FASEEH_KEY, SECTION_ENDPOINTS: {CONF_API_URL: faseeh.api_url}},
        )
        assert result["reason"] == "reconfigure_successful"
        await hass.async_block_till_done()
    assert CONF_WS_URL not in entry.data
    assert entry.data[CONF_API_URL] == faseeh.api_url


async def test_reconfigure_without_a_key_keeps_the_stored_one(
    hass: HomeAssistant, hamsa: FakeHamsa
) -> None:
    """Changing only an address does not ask for the key again: an empty key field (what
    the frontend sends as no field at all) keeps the stored key, which is checked anew.
    script/ui-check had to paste the key again only to empty an address."""
    entry = hamsa_entry(hass, hamsa)
    await setup_entry(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    key_field = next(k for k in result["data_schema"].schema if k == CONF_API_KEY)
    assert isinstance(key_field, vol.Optional)
    checks = len(hamsa.rest_requests)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {SECTION_ENDPOINTS: {CONF_API_URL: hamsa.api_url}}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data == {
        CONF_PROVIDER: "hamsa",
        CONF_API_KEY: HAMSA_KEY,
        CONF_API_URL: hamsa.api_url,
    }
    check = hamsa.rest_requests[checks]
    assert check.path == "/v1/projects/by-api-key"
    assert check.headers["Authorization"] == f"Token {HAMSA_KEY}"  # the stored key, again


# --- options ---------------------------------------------------------------------------------


async def test_hamsa_options_preload_success(hass: HomeAssistant, hamsa: FakeHamsa) -> None:
    """Adding a cloned voice preloads it at once; the reload preloads it again."""
    hamsa.custom_voices[VOICE_UUID] = "Grandma"
    entry = hamsa_entry(hass, hamsa)
    await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "hamsa"
    check_translated(result, "options")
    schema = result["data_schema"].schema
    voice_selector = next(v for k, v in schema.items() if str(k) == CONF_VOICE)
    offered = {o["value"] for o in voice_selector.config["options"]}
    assert {"Salem", "Mariam", "Emma", VOICE_UUID} <= offered  # catalogue + live list

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_VOICE: "Mariam", CONF_DIALECT: "auto", CONF_CUSTOM_VOICES: [VOICE_UUID]},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    preloads = [r for r in hamsa.rest_requests if r.path == PRELOAD_PATH]
    assert [r.json for r in preloads] == [{"voiceId": VOICE_UUID}]
    await hass.async_block_till_done()
    assert entry.options == {
        CONF_VOICE: "Mariam",
        CONF_DIALECT: "auto",
        CONF_CUSTOM_VOICES: [VOICE_UUID],
    }
    assert entry.state is ConfigEntryState.LOADED
    assert len([r for r in hamsa.rest_requests if r.path == PRELOAD_PATH]) == 2  # reload
    entity = hass.states.get("tts.hamsa_text_to_speech")
    assert entity is not None


@pytest.mark.parametrize(
    ("voice_id", "status", "error"),
    [
        (OTHER_UUID, None, "unknown_voice"),
        (VOICE_UUID, 500, "preload_failed"),
        ("not-a-uuid", None, "invalid_voice_id"),
    ],
)
async def test_hamsa_options_preload_failure(
    hass: HomeAssistant, hamsa: FakeHamsa, voice_id: str, status: int | None, error: str
) -> None:
    """A voice that cannot be preloaded is a form error; nothing is saved."""
    hamsa.custom_voices[VOICE_UUID] = "Grandma"
    hamsa.preload_status = status
    entry = hamsa_entry(hass, hamsa)
    await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_VOICE: "Salem", CONF_DIALECT: "msa", CONF_CUSTOM_VOICES: [voice_id]},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_CUSTOM_VOICES: error}
    assert result["description_placeholders"] == {"voice_id": voice_id}
    check_translated(result, "options")
    assert entry.options[CONF_CUSTOM_VOICES] == []

    # Correcting the input recovers.
    hamsa.preload_status = None
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_VOICE: "Salem", CONF_DIALECT: "msa", CONF_CUSTOM_VOICES: [VOICE_UUID]},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_hamsa_options_entry_not_loaded(hass: HomeAssistant, hamsa: FakeHamsa) -> None:
    """Options work with a temporary client when the entry is not loaded."""
    hamsa.custom_voices[VOICE_UUID] = "Grandma"
    entry = hamsa_entry(hass, hamsa)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_VOICE: VOICE_UUID, CONF_DIALECT: "egy", CONF_CUSTOM_VOICES: [VOICE_UUID]},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert VOICE_UUID in hamsa.preloaded


async def test_faseeh_options(hass: HomeAssistant, faseeh: FakeFaseeh) -> None:
    """Voice, model, speed and stability end up in options, then on the wire."""
    entry = faseeh_entry(hass, faseeh)
    await setup_entry(hass, entry)
    client = entry.runtime_data.client
    assert not entry.update_listeners  # reloading is the options flow's job (deprecated)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "faseeh"
    check_translated(result, "options")
    options: dict[str, Any] = {
        CONF_VOICE: "ar-hijazi-female-1",
        CONF_MODEL: "faseeh-v1-preview",
        CONF_SPEED: 0.9,
        CONF_STABILITY: 0.4,
    }
    # The built-in models are named in the user's language (an English label stood in the
    # Arabic form, seen by script/ui-check); a model only the account lists shows its id.
    model = next(v for k, v in result["data_schema"].schema.items() if k == CONF_MODEL)
    assert model.config["translation_key"] == CONF_MODEL
    assert set(model.config["options"]) == set(FASEEH_MODELS)
    for language in ("en", "ar"):
        names = json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))
        assert set(names["selector"][CONF_MODEL]["options"]) == set(FASEEH_MODELS), language
    result = await hass.config_entries.options.async_configure(result["flow_id"], options)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    # The form's new fields keep their defaults when left alone.
    defaults = {CONF_TRANSPORT: "auto", CONF_DIALECT: "auto", CONF_SAMPLE_RATE: "24000"}
    assert entry.options == {**options, **defaults}
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.client is not client  # changed options reloaded the entry

    await tts.async_get_media_source_audio(
        hass,
        tts.generate_media_source_id(
            hass,
            "مرحبا بكم في هذا الاختبار.",
            engine="tts.faseeh_text_to_speech",
            language="ar",
            options={tts.ATTR_PREFERRED_FORMAT: "wav"},
            cache=False,
        ),
    )
    generation = faseeh.generations[-1]
    assert generation.voice_id == "ar-hijazi-female-1"
    assert generation.model_id == "faseeh-v1-preview"
    assert generation.voice_settings == {"speed": 0.9, "stability": 0.4}


async def test_faseeh_options_out_of_range(hass: HomeAssistant, faseeh: FakeFaseeh) -> None:
    """The selectors enforce the documented ranges."""
    entry = faseeh_entry(hass, faseeh)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {CONF_VOICE: "ar-najdi-male-2", CONF_MODEL: "faseeh-v1-preview", CONF_SPEED: 2.0},
        )


async def test_options_unchanged_does_not_reload(hass: HomeAssistant, faseeh: FakeFaseeh) -> None:
    """Saving the same options keeps the running client (and its warm socket)."""
    entry = faseeh_entry(hass, faseeh)
    await setup_entry(hass, entry)
    client = entry.runtime_data.client
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], dict(entry.options)
    )
    await hass.async_block_till_done()
    assert entry.runtime_data.client is client
