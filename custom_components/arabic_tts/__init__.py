"""Arabic text-to-speech (Hamsa, Faseeh) for Home Assistant."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import NoReturn

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import issue_registry as ir
from homeassistant.util.hass_dict import HassKey

from .const import (
    CONF_CUSTOM_VOICES,
    CONF_PROVIDER,
    DOMAIN,
    ISSUE_INSUFFICIENT_FUNDS,
    PROVIDER_FASEEH,
    PROVIDER_NAMES,
)
from .core.errors import AuthFailed, TtsError
from .core.faseeh import FaseehClient
from .core.hamsa import HamsaClient
from .core.providers import ProviderClient
from .core.voices import FASEEH_MODELS, Voice
from .failures import FailureLog
from .provider import async_list_voices, async_validate, create_client, faseeh_settings
from .replies import ReplyLog

_LOGGER = logging.getLogger(__name__)

PLATFORMS: list[Platform] = [Platform.TTS]


@dataclass(slots=True)
class ArabicTtsData:
    """What an entry keeps: the client with its warm sockets, the voice lists, the last
    failures and which voice spoke the last replies (for diagnostics). A setup that failed
    keeps its closed client and the failure, so diagnostics can show them."""

    client: ProviderClient
    voices: list[Voice]
    failures: FailureLog
    replies: ReplyLog
    models: list[str] = field(default_factory=list)
    # Whether the account's live voice list was read: only then does a voice missing
    # from ``voices`` surely not exist (an opaque id or a clone lives only there).
    voices_listed: bool = True


type ArabicTtsConfigEntry = ConfigEntry[ArabicTtsData]


# Each entry's last failures, kept across reloads (a reauth or an options change reloads
# the entry, and Home Assistant drops runtime_data when it unloads): the failure that
# made the user open the diagnostics is still there after the fix was tried.
FAILURE_LOGS: HassKey[dict[str, FailureLog]] = HassKey(f"{DOMAIN}_failure_logs")
# And which voice spoke its last replies, for the same reason.
REPLY_LOGS: HassKey[dict[str, ReplyLog]] = HassKey(f"{DOMAIN}_reply_logs")


def insufficient_funds_issue_id(entry: ConfigEntry) -> str:
    """Repair issue id for an entry's empty wallet."""
    return f"{ISSUE_INSUFFICIENT_FUNDS}_{entry.entry_id}"


async def async_setup_entry(hass: HomeAssistant, entry: ArabicTtsConfigEntry) -> bool:
    """Check the key, preload cloned voices, warm a connection, add the TTS entity."""
    provider = entry.data[CONF_PROVIDER]
    placeholders = {"provider": PROVIDER_NAMES[provider]}
    client = create_client(hass, entry.data, entry.options)
    logs = hass.data.setdefault(FAILURE_LOGS, {})
    failures = logs[entry.entry_id] = FailureLog(
        [entry.data[CONF_API_KEY]], logs.get(entry.entry_id)
    )
    reply_logs = hass.data.setdefault(REPLY_LOGS, {})
    replies = reply_logs[entry.entry_id] = ReplyLog(
        [entry.data[CONF_API_KEY]], reply_logs.get(entry.entry_id)
    )
    try:
        _unique_id, live_models = await async_validate(client, entry.data[CONF_API_KEY])
    except TtsError as err:
        failures.record("setup", err)
        await client.close()
        entry.runtime_data = ArabicTtsData(
            client=client, voices=[], failures=failures, replies=replies
        )
        _raise_setup_error(err, placeholders)

    try:
        custom_voices: list[str] = list(entry.options.get(CONF_CUSTOM_VOICES, []))
        (voices, voices_listed), _ = await asyncio.gather(
            async_list_voices(client, provider, custom_voices, failures=failures),
            _async_preload(client, custom_voices, failures),
        )
        if isinstance(client, FaseehClient):
            try:
                client.start_warming(faseeh_settings(entry.options))
            except ValueError:
                client.start_warming()
        else:
            client.start_warming()
        entry.runtime_data = ArabicTtsData(
            client=client,
            voices=voices,
            voices_listed=voices_listed,
            failures=failures,
            replies=replies,
            models=list(dict.fromkeys([*FASEEH_MODELS, *live_models]))
            if provider == PROVIDER_FASEEH
            else [],
        )
        await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    except BaseException:
        await client.close()
        raise
    return True


def _raise_setup_error(err: TtsError, placeholders: dict[str, str]) -> NoReturn:
    """Reauthentication for a refused key; a retry for anything else."""
    if isinstance(err, AuthFailed):
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="auth_failed",
            translation_placeholders=placeholders,
        ) from err
    raise ConfigEntryNotReady(
        translation_domain=DOMAIN,
        translation_key="setup_failed",
        translation_placeholders={**placeholders, "message": str(err)},
    ) from err


async def _async_preload(
    client: ProviderClient, voice_ids: list[str], failures: FailureLog
) -> None:
    """Preload every cloned voice again (Hamsa forgets them); failures are not fatal."""
    if not isinstance(client, HamsaClient) or not voice_ids:
        return

    async def preload(voice_id: str) -> None:
        try:
            await client.preload_voice(voice_id)
        except TtsError as err:
            failures.record("preload", err)
            _LOGGER.warning("Could not preload Hamsa custom voice %s: %s", voice_id, err)
        else:
            _LOGGER.debug("Preloaded Hamsa custom voice %s", voice_id)

    await asyncio.gather(*(preload(voice_id) for voice_id in voice_ids))


async def async_unload_entry(hass: HomeAssistant, entry: ArabicTtsConfigEntry) -> bool:
    """Remove the entity, then close the warm sockets and their tasks."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.client.close()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: ArabicTtsConfigEntry) -> None:
    """Forget the entry's repair issue, its failures and its replies."""
    ir.async_delete_issue(hass, DOMAIN, insufficient_funds_issue_id(entry))
    hass.data.get(FAILURE_LOGS, {}).pop(entry.entry_id, None)
    hass.data.get(REPLY_LOGS, {}).pop(entry.entry_id, None)
