"""Config, reauth, reconfigure and options flows for Arabic TTS."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import (
    CONF_API_URL,
    CONF_CUSTOM_VOICES,
    CONF_DIALECT,
    CONF_FALLBACK_VOICE,
    CONF_FIRST_AUDIO_DEADLINE,
    CONF_LEXICON,
    CONF_MODEL,
    CONF_PROVIDER,
    CONF_REGION,
    CONF_SAMPLE_RATE,
    CONF_SPEED,
    CONF_STABILITY,
    CONF_TEXT_STEPS,
    CONF_TRANSPORT,
    CONF_VOICE,
    CONF_WS_URL,
    DIALECT_AUTO,
    DOMAIN,
    FIRST_AUDIO_DEADLINE_MAX,
    FIRST_AUDIO_DEADLINE_MIN,
    PROVIDER_FASEEH,
    PROVIDER_HAMSA,
    PROVIDER_NAMES,
    PROVIDERS,
    SECTION_ENDPOINTS,
    SPEED_MAX,
    SPEED_MIN,
    STABILITY_MAX,
    STABILITY_MIN,
)
from .core.budget import DEFAULT_FIRST_AUDIO_DEADLINE
from .core.errors import AuthFailed, TtsError, UnknownVoice
from .core.faseeh import (
    DEFAULT_RATE,
    DIALECTS,
    REGION_GLOBAL,
    REGIONS,
    SAMPLE_RATES,
    TRANSPORT_AUTO,
    TRANSPORT_WEBSOCKET,
    TRANSPORTS,
    WrongRegion,
)
from .core.frontend import HA_STEPS, TextPolicy, UserLexicon
from .core.hamsa import HamsaClient
from .core.providers import ProviderClient
from .core.voices import FASEEH_DEFAULT_MODEL, HAMSA_DIALECTS, Voice
from .provider import (
    async_list_models,
    async_list_voices,
    async_validate,
    create_client,
    default_voice,
    is_custom_voice_id,
    voice_label,
)

_LOGGER = logging.getLogger(__name__)

SIGNUP_URLS = {
    PROVIDER_HAMSA: "https://tryhamsa.com",
    PROVIDER_FASEEH: "https://faseeh.ai",
}

KEY_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
REGION_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=list(REGIONS), mode=SelectSelectorMode.LIST, translation_key=CONF_REGION
    )
)


def default_options(provider: str) -> dict[str, Any]:
    """Options of a new entry."""
    if provider == PROVIDER_HAMSA:
        return {
            CONF_VOICE: default_voice(provider),
            CONF_DIALECT: DIALECT_AUTO,
            CONF_CUSTOM_VOICES: [],
        }
    return {
        CONF_VOICE: default_voice(provider),
        CONF_MODEL: FASEEH_DEFAULT_MODEL,
        CONF_TRANSPORT: TRANSPORT_AUTO,
        CONF_DIALECT: DIALECT_AUTO,
        CONF_SAMPLE_RATE: str(DEFAULT_RATE),  # a select's value: a string
    }


def _key_schema(
    provider: str = PROVIDER_HAMSA,
    *,
    endpoints: bool = True,
    region: str = REGION_GLOBAL,
    key_required: bool = True,
) -> vol.Schema:
    """The key (and Faseeh's region), with the endpoint overrides folded away in a
    collapsed section.

    Almost nobody needs the overrides (the Munsit rename, a proxy), so they stay out of
    sight until opened, on every Home Assistant version alike. Faseeh keys are issued per
    region and work only there, so the region is asked beside the key; its default is the
    entry's own region, so a form sent without it keeps that region. Reconfigure leaves
    the key optional: changing an address must not mean pasting the key again.
    """
    key = vol.Required(CONF_API_KEY) if key_required else vol.Optional(CONF_API_KEY)
    fields: dict[Any, Any] = {key: KEY_SELECTOR}
    if provider == PROVIDER_FASEEH:
        fields[vol.Required(CONF_REGION, default=region)] = REGION_SELECTOR
    if endpoints:
        fields[vol.Optional(SECTION_ENDPOINTS)] = section(
            vol.Schema(
                {
                    vol.Optional(CONF_WS_URL): URL_SELECTOR,
                    vol.Optional(CONF_API_URL): URL_SELECTOR,
                }
            ),
            {"collapsed": True},
        )
    return vol.Schema(fields)


def _endpoints(user_input: Mapping[str, Any]) -> Mapping[str, Any]:
    """The submitted endpoint section (empty when the form was sent without it)."""
    return user_input.get(SECTION_ENDPOINTS) or {}


def _url_errors(user_input: Mapping[str, Any]) -> dict[str, str]:
    endpoints = _endpoints(user_input)
    ws_url = str(endpoints.get(CONF_WS_URL) or "").strip()
    api_url = str(endpoints.get(CONF_API_URL) or "").strip()
    if (ws_url and not ws_url.startswith(("ws://", "wss://"))) or (
        api_url and not api_url.startswith(("http://", "https://"))
    ):
        # A form-wide error: it must be seen even while the section is folded.
        return {"base": "invalid_url"}
    return {}


def _entry_data(
    provider: str, user_input: Mapping[str, Any], *, keep: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Entry data: provider, key, and URL overrides only when set.

    Without the endpoint section the overrides are kept from ``keep`` (the stored entry):
    a reconfigure that changes only the key must not move a UAE user to the global host.
    With it, the section is the whole truth: the form shows the stored addresses, and
    Home Assistant's frontend leaves out a field the user emptied (an optional text field
    that is cleared becomes undefined), so a missing or empty address is cleared.
    """
    endpoints = _endpoints(user_input)
    section_sent = SECTION_ENDPOINTS in user_input
    data: dict[str, Any] = {
        CONF_PROVIDER: provider,
        # An empty key (reconfigure only) keeps the stored one.
        CONF_API_KEY: str(user_input.get(CONF_API_KEY) or (keep or {})[CONF_API_KEY]).strip(),
    }
    if provider == PROVIDER_FASEEH:
        data[CONF_REGION] = str(
            user_input.get(CONF_REGION) or (keep or {}).get(CONF_REGION) or REGION_GLOBAL
        )
    for key in (CONF_WS_URL, CONF_API_URL):
        value = endpoints.get(key) if section_sent else (keep or {}).get(key)
        if value and str(value).strip():
            data[key] = str(value).strip()
    return data


def _text_steps_field(provider: str) -> dict[Any, Any]:
    """The text clean-up choice (core/frontend/policy.py explains the defaults)."""
    default = [step for step in HA_STEPS if step in TextPolicy.default_for(provider).steps]
    return {
        vol.Optional(CONF_TEXT_STEPS, default=default): SelectSelector(
            SelectSelectorConfig(
                options=list(HA_STEPS),
                multiple=True,
                mode=SelectSelectorMode.LIST,
                translation_key=CONF_TEXT_STEPS,
            )
        )
    }


def _text_steps(
    user_input: Mapping[str, Any], provider: str, current: Mapping[str, Any]
) -> dict[str, list[str]]:
    """The chosen steps in their canonical order (only steps the entity can run).

    Entries that never chose keep following the default (and saving an unchanged form
    does not reload the entry).
    """
    default = [step for step in HA_STEPS if step in TextPolicy.default_for(provider).steps]
    chosen = set(user_input.get(CONF_TEXT_STEPS, default))
    steps = [step for step in HA_STEPS if step in chosen]
    if steps == default and CONF_TEXT_STEPS not in current:
        return {}
    return {CONF_TEXT_STEPS: steps}


def _lexicon_field() -> dict[Any, Any]:
    """The pronunciation lexicon: ``written = spoken`` a line, typed in a text box."""
    return {vol.Optional(CONF_LEXICON): TextSelector(TextSelectorConfig(multiline=True))}


async def _async_lexicon(
    hass: HomeAssistant, user_input: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """The lexicon to store (nothing when empty), or the placeholders of its first bad line.

    Parsed in the executor: a long lexicon compiles into one large pattern."""
    text = str(user_input.get(CONF_LEXICON) or "")
    _lexicon, problems = await hass.async_add_executor_job(UserLexicon.parse, text)
    if problems:
        return {}, {"line": str(problems[0].line), "lexicon_line": problems[0].text}
    return ({CONF_LEXICON: text} if text.strip() else {}), {}


def _fallback_fields(own_entity_id: str | None) -> dict[Any, Any]:
    """The voice that speaks when the provider is late or fails (any TTS entity but this
    entry's own), and how long the provider may take to its first audio."""
    return {
        vol.Optional(CONF_FALLBACK_VOICE): EntitySelector(
            EntitySelectorConfig(
                domain="tts", exclude_entities=[own_entity_id] if own_entity_id else []
            )
        ),
        vol.Optional(
            CONF_FIRST_AUDIO_DEADLINE, default=DEFAULT_FIRST_AUDIO_DEADLINE
        ): NumberSelector(
            NumberSelectorConfig(
                min=FIRST_AUDIO_DEADLINE_MIN,
                max=FIRST_AUDIO_DEADLINE_MAX,
                step=0.1,
                unit_of_measurement="s",
                mode=NumberSelectorMode.BOX,
            )
        ),
    }


def _fallback_options(user_input: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The chosen fallback (left out when none) and deadline.

    The deadline is stored once it was changed from the default (or was stored before),
    so saving an unchanged form of an older entry does not reload it.
    """
    options: dict[str, Any] = {}
    if fallback := str(user_input.get(CONF_FALLBACK_VOICE) or "").strip():
        options[CONF_FALLBACK_VOICE] = fallback
    deadline = float(user_input.get(CONF_FIRST_AUDIO_DEADLINE, DEFAULT_FIRST_AUDIO_DEADLINE))
    if deadline != DEFAULT_FIRST_AUDIO_DEADLINE or CONF_FIRST_AUDIO_DEADLINE in current:
        options[CONF_FIRST_AUDIO_DEADLINE] = deadline
    return options


def _suggested(user_input: Mapping[str, Any] | None, data: Mapping[str, Any]) -> dict[str, Any]:
    """Form values to show again: what was typed, else the stored overrides."""
    if user_input is not None:
        return dict(user_input)
    stored = {key: data[key] for key in (CONF_WS_URL, CONF_API_URL) if key in data}
    suggested: dict[str, Any] = {SECTION_ENDPOINTS: stored}
    if CONF_REGION in data:
        suggested[CONF_REGION] = data[CONF_REGION]
    return suggested


def _select(options: list[str], translation_key: str) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=options, mode=SelectSelectorMode.DROPDOWN, translation_key=translation_key
        )
    )


class ArabicTtsConfigFlow(ConfigFlow, domain=DOMAIN):
    """Choose a provider, check the key with a free call, create one entry per account."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with no provider chosen."""
        self._provider: str = PROVIDER_HAMSA

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Voice, dialect, model, speed, stability and cloned voices."""
        return ArabicTtsOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick Hamsa or Faseeh."""
        return self.async_show_menu(step_id="user", menu_options=list(PROVIDERS))

    async def async_step_hamsa(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Hamsa chosen."""
        self._provider = PROVIDER_HAMSA
        return await self.async_step_api_key()

    async def async_step_faseeh(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Faseeh chosen."""
        self._provider = PROVIDER_FASEEH
        return await self.async_step_api_key()

    async def async_step_api_key(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the key; the entry exists only once the provider accepted it."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = _url_errors(user_input)
            if not errors:
                data = _entry_data(self._provider, user_input)
                unique_id, errors = await self._async_validate(data)
                if unique_id is not None:
                    await self.async_set_unique_id(unique_id)
                    self._abort_if_unique_id_configured()
                    return self.async_create_entry(
                        title=PROVIDER_NAMES[self._provider],
                        data=data,
                        options=default_options(self._provider),
                    )
        return self.async_show_form(
            step_id="api_key",
            data_schema=self.add_suggested_values_to_schema(
                _key_schema(self._provider), user_input
            ),
            errors=errors,
            description_placeholders=self._placeholders(self._provider),
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The key stopped working (at setup or while speaking)."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new key and check it."""
        entry = self._get_reauth_entry()
        provider = entry.data[CONF_PROVIDER]
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, CONF_API_KEY: str(user_input[CONF_API_KEY]).strip()}
            if CONF_REGION in user_input:
                data[CONF_REGION] = user_input[CONF_REGION]
            unique_id, errors = await self._async_validate(data)
            if unique_id is not None:
                return await self._async_update_entry(entry, unique_id, data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=_key_schema(
                provider, endpoints=False, region=entry.data.get(CONF_REGION, REGION_GLOBAL)
            ),
            errors=errors,
            description_placeholders=self._placeholders(provider),
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the key or the endpoints; whatever the form did not send is kept."""
        entry = self._get_reconfigure_entry()
        provider = entry.data[CONF_PROVIDER]
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = _url_errors(user_input)
            if not errors:
                data = _entry_data(provider, user_input, keep=entry.data)
                unique_id, errors = await self._async_validate(data)
                if unique_id is not None:
                    return await self._async_update_entry(entry, unique_id, data)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _key_schema(
                    provider,
                    region=entry.data.get(CONF_REGION, REGION_GLOBAL),
                    key_required=False,
                ),
                _suggested(user_input, entry.data),
            ),
            errors=errors,
            description_placeholders=self._placeholders(provider),
        )

    async def _async_update_entry(
        self, entry: ConfigEntry, unique_id: str, data: dict[str, Any]
    ) -> ConfigFlowResult:
        """Store a new key for the same account and reload."""
        await self.async_set_unique_id(unique_id, raise_on_progress=False)
        if entry.data[CONF_PROVIDER] == PROVIDER_HAMSA:
            # A Hamsa key belongs to a project: it must be the same project.
            self._abort_if_unique_id_mismatch(reason="wrong_account")
        else:
            # A Faseeh entry is identified by its key, so the id follows the new key,
            # unless another entry already uses that key.
            for other in self._async_current_entries(include_ignore=False):
                if other.entry_id != entry.entry_id and other.unique_id == unique_id:
                    return self.async_abort(reason="already_configured")
        # The reason is named so that our own words are shown: without it Home Assistant
        # 2026.x answers with its shared sentence, which it has not translated into Arabic.
        reason = "reauth_successful" if self.source == SOURCE_REAUTH else "reconfigure_successful"
        return self.async_update_reload_and_abort(
            entry, unique_id=unique_id, data=data, reason=reason
        )

    async def _async_validate(self, data: Mapping[str, Any]) -> tuple[str | None, dict[str, str]]:
        """Make the free call; return (unique id, form errors)."""
        client = create_client(self.hass, data)
        try:
            unique_id, _models = await async_validate(client, data[CONF_API_KEY])
        except WrongRegion as err:
            # The key works in the other region: say so on the region field.
            return None, {CONF_REGION: f"key_in_region_{err.region.name}"}
        except AuthFailed:
            return None, {"base": "invalid_auth"}
        except TtsError as err:
            _LOGGER.debug("Key check failed: %s", err)
            return None, {"base": "cannot_connect"}
        except Exception:
            _LOGGER.exception("Unexpected error while checking the key")
            return None, {"base": "unknown"}
        finally:
            await client.close()
        return unique_id, {}

    @staticmethod
    def _placeholders(provider: str) -> dict[str, str]:
        return {"provider": PROVIDER_NAMES[provider], "url": SIGNUP_URLS[provider]}


class ArabicTtsOptionsFlow(OptionsFlowWithReload):
    """Default voice and provider settings; Hamsa cloned voices are preloaded on the spot.

    Home Assistant reloads the entry when saved options differ from the stored ones
    (no update listener: those are deprecated for reloading).
    """

    def __init__(self) -> None:
        """Lists are fetched once per flow."""
        self._voices: list[Voice] | None = None
        self._models: list[str] = []

    @property
    def _provider(self) -> str:
        return str(self.config_entry.data[CONF_PROVIDER])

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the provider's own options form."""
        if self._provider == PROVIDER_HAMSA:
            return await self.async_step_hamsa()
        return await self.async_step_faseeh()

    async def async_step_hamsa(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Hamsa: speaker, dialect, cloned voices."""
        errors: dict[str, str] = {}
        placeholders = {"voice_id": ""}
        await self._async_load_lists()
        if user_input is not None:
            lexicon, bad_line = await _async_lexicon(self.hass, user_input)
            if bad_line:
                errors[CONF_LEXICON] = "invalid_lexicon"
                placeholders.update(bad_line)
            custom = list(
                dict.fromkeys(
                    str(value).strip()
                    for value in user_input.get(CONF_CUSTOM_VOICES) or []
                    if str(value).strip()
                )
            )
            if bad := [value for value in custom if not is_custom_voice_id(value)]:
                errors[CONF_CUSTOM_VOICES] = "invalid_voice_id"
                placeholders["voice_id"] = bad[0]
            elif not errors:
                known = set(self.config_entry.options.get(CONF_CUSTOM_VOICES, []))
                new = [value for value in custom if value not in known]
                if failure := await self._async_preload(new):
                    errors[CONF_CUSTOM_VOICES], placeholders["voice_id"] = failure
            if not errors:
                return self.async_create_entry(
                    data={
                        CONF_VOICE: user_input[CONF_VOICE],
                        CONF_DIALECT: user_input.get(CONF_DIALECT) or DIALECT_AUTO,
                        CONF_CUSTOM_VOICES: custom,
                        **_text_steps(user_input, self._provider, self.config_entry.options),
                        **lexicon,
                        **_fallback_options(user_input, self.config_entry.options),
                    }
                )
        schema = vol.Schema(
            {
                vol.Required(CONF_VOICE): self._voice_selector(),
                vol.Required(CONF_DIALECT, default=DIALECT_AUTO): SelectSelector(
                    SelectSelectorConfig(
                        options=[DIALECT_AUTO, *HAMSA_DIALECTS],
                        mode=SelectSelectorMode.DROPDOWN,
                        translation_key="dialect",
                    )
                ),
                vol.Optional(CONF_CUSTOM_VOICES): TextSelector(TextSelectorConfig(multiple=True)),
                **_text_steps_field(self._provider),
                **_lexicon_field(),
                **_fallback_fields(self._own_entity_id()),
            }
        )
        return self.async_show_form(
            step_id="hamsa",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or self.config_entry.options
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_faseeh(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Faseeh: voice, model, speed and stability (empty = the provider's default),
        transport, dialect and sample rate."""
        await self._async_load_lists()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            lexicon, bad_line = await _async_lexicon(self.hass, user_input)
            data: dict[str, Any] = {
                CONF_VOICE: user_input[CONF_VOICE],
                CONF_MODEL: user_input[CONF_MODEL],
                CONF_TRANSPORT: user_input.get(CONF_TRANSPORT) or TRANSPORT_AUTO,
                CONF_DIALECT: user_input.get(CONF_DIALECT) or DIALECT_AUTO,
                CONF_SAMPLE_RATE: str(user_input.get(CONF_SAMPLE_RATE) or DEFAULT_RATE),
            }
            for key in (CONF_SPEED, CONF_STABILITY):
                if user_input.get(key) is not None:
                    data[key] = float(user_input[key])
            if data[CONF_DIALECT] != DIALECT_AUTO and data[CONF_TRANSPORT] == TRANSPORT_WEBSOCKET:
                errors[CONF_DIALECT] = "dialect_needs_rest"
            if bad_line:
                errors[CONF_LEXICON] = "invalid_lexicon"
                placeholders.update(bad_line)
            if not errors:
                current = self.config_entry.options
                steps = _text_steps(user_input, self._provider, current)
                fallback = _fallback_options(user_input, current)
                return self.async_create_entry(data={**data, **steps, **lexicon, **fallback})
        current_model = self.config_entry.options.get(CONF_MODEL)
        models = list(dict.fromkeys([*self._models, *([current_model] if current_model else [])]))
        schema = vol.Schema(
            {
                vol.Required(CONF_VOICE): self._voice_selector(),
                # Built-in models are named in the user's language; a model only the
                # account lists has no translation and shows its id.
                vol.Required(CONF_MODEL, default=FASEEH_DEFAULT_MODEL): _select(models, CONF_MODEL),
                vol.Optional(CONF_SPEED): NumberSelector(
                    NumberSelectorConfig(
                        min=SPEED_MIN, max=SPEED_MAX, step=0.05, mode=NumberSelectorMode.BOX
                    )
                ),
                vol.Optional(CONF_STABILITY): NumberSelector(
                    NumberSelectorConfig(
                        min=STABILITY_MIN,
                        max=STABILITY_MAX,
                        step=0.05,
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                vol.Required(CONF_TRANSPORT, default=TRANSPORT_AUTO): _select(
                    list(TRANSPORTS), CONF_TRANSPORT
                ),
                vol.Required(CONF_DIALECT, default=DIALECT_AUTO): _select(
                    list(DIALECTS), "faseeh_dialect"
                ),
                vol.Required(CONF_SAMPLE_RATE, default=str(DEFAULT_RATE)): _select(
                    [str(rate) for rate in SAMPLE_RATES], CONF_SAMPLE_RATE
                ),
                **_text_steps_field(self._provider),
                **_lexicon_field(),
                **_fallback_fields(self._own_entity_id()),
            }
        )
        return self.async_show_form(
            step_id="faseeh",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or self.config_entry.options
            ),
            errors=errors,
            description_placeholders=placeholders or None,
        )

    def _own_entity_id(self) -> str | None:
        """This entry's TTS entity: never its own fallback (the selector refuses it)."""
        return er.async_get(self.hass).async_get_entity_id(
            "tts", DOMAIN, self.config_entry.entry_id
        )

    def _voice_selector(self) -> SelectSelector:
        language = self.hass.config.language or "en"
        voices = list(self._voices or [])
        current = self.config_entry.options.get(CONF_VOICE)
        options = [
            SelectOptionDict(value=v.voice_id, label=voice_label(v, language)) for v in voices
        ]
        if current and current not in {v.voice_id for v in voices}:
            options.append(SelectOptionDict(value=current, label=str(current)))
        return SelectSelector(
            SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN, sort=False)
        )

    def _client(self) -> tuple[ProviderClient, bool]:
        """The loaded entry's client, or a temporary one (to be closed) when not loaded."""
        if self.config_entry.state is ConfigEntryState.LOADED:
            return self.config_entry.runtime_data.client, False
        return create_client(self.hass, self.config_entry.data, self.config_entry.options), True

    async def _async_load_lists(self) -> None:
        """Catalogue plus live lists, best effort and bounded in time."""
        if self._voices is not None:
            return
        client, temporary = self._client()
        try:
            self._voices, _ = await async_list_voices(
                client, self._provider, list(self.config_entry.options.get(CONF_CUSTOM_VOICES, []))
            )
            if self._provider == PROVIDER_FASEEH:
                self._models = await async_list_models(client)
        finally:
            if temporary:
                await client.close()

    async def _async_preload(self, voice_ids: list[str]) -> tuple[str, str] | None:
        """Preload new cloned voices now; return (error key, voice id) on failure."""
        if not voice_ids:
            return None
        client, temporary = self._client()
        try:
            assert isinstance(client, HamsaClient)
            for voice_id in voice_ids:
                try:
                    await client.preload_voice(voice_id)
                except UnknownVoice:
                    return "unknown_voice", voice_id
                except AuthFailed:
                    return "invalid_auth", voice_id
                except TtsError as err:
                    _LOGGER.warning("Preloading Hamsa voice %s failed: %s", voice_id, err)
                    return "preload_failed", voice_id
        finally:
            if temporary:
                await client.close()
        return None
