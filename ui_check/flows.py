"""The screens a household goes through, driven the way a person would drive them.

Each flow clicks and types in Home Assistant's own frontend, waits for what should appear,
checks the screen (``screens.check_step``) and what Home Assistant stored, and keeps a
screenshot. Elements are found by their structure (tag, field name, value), and visible
words only where they come from our translation file, so the same code drives the English
and the Arabic screens.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from playwright.async_api import Locator

from .browser import Session
from .home import HomeAssistant
from .kitchen import Kitchen
from .providers import Providers
from .screens import Screen, check_step, opened

INTEGRATION_NAME = "Arabic TTS (Hamsa, Faseeh)"  # manifest.json: not translated
SETTLE_S = 30.0  # bounds the wait for a screen to show what it should (markdown renders late)
STORE_S = 30.0  # bounds the wait for Home Assistant to write .storage (it delays writes)
SPEECH_S = 60.0  # bounds the wait for a fake to receive what tts.speak sent
MESSAGE = "مرحبا، الغداء جاهز على الطاولة."
# Home Assistant caches what it spoke: a message asked for again is not sent to anyone.
REFUSED_MESSAGE = "الباب الأمامي مفتوح منذ عشر دقائق."
AFTER_REAUTH_MESSAGE = "أُغلق الباب الأمامي، شكرًا لكم."


@dataclass
class Run:
    """One language's pass: the browser, Home Assistant, the fakes and what went wrong."""

    session: Session
    home: HomeAssistant
    providers: Providers
    language: str
    translations: dict[str, Any]
    shots: Path
    kitchen: Kitchen
    failures: list[str] = field(default_factory=list)
    screens: list[Screen] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)  # every form field whose label was checked

    @property
    def page(self) -> Any:
        return self.session.page

    def fail(self, message: str) -> None:
        self.failures.append(f"[{self.language}] {message}")

    def flow_strings(self, flow: str) -> dict[str, Any]:
        strings: dict[str, Any] = self.translations[flow]
        return strings

    # ------------------------------------------------------------------ helpers

    async def settle(self, name: str, root: Locator, step: dict[str, Any], flow: str) -> Screen:
        """Wait until the screen shows everything the step calls for; keep what it lacks."""
        deadline = time.monotonic() + SETTLE_S
        while True:
            screen = Screen(name, await self.session.text(root), await self.session.input_values())
            failures = check_step(
                screen,
                step,
                flow=flow,
                translations=self.translations,
                secrets=self.providers.secrets(),
                language=self.language,
            )
            if not failures or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        self.screens.append(screen)
        self.fields |= {
            f"{flow}.{step.get('step_id')}.{item['name']}" for item in step.get("data_schema") or []
        }
        for failure in failures:
            self.fail(f"{failure}; the screen showed: {screen.text[:300]!r}")
        return screen

    async def next_step(self, before: int) -> dict[str, Any]:
        """The flow step Home Assistant sends after ``before`` steps were seen."""
        arrived = self.session.step_arrived
        async with asyncio.timeout(SETTLE_S):
            while len(self.session.seen.flow_steps) <= before:
                arrived.clear()
                await arrived.wait()
        return self.session.seen.flow_steps[before]

    async def shot(self, name: str, locator: Locator | None = None) -> None:
        path = self.shots / f"{name}.png"
        # Still pictures: no animation half-way, no blinking caret, no hover.
        await self.page.mouse.move(0, 0)
        if locator is None:
            await self.page.screenshot(path=str(path), animations="disabled", caret="hide")
        else:
            await locator.screenshot(path=str(path), animations="disabled", caret="hide")

    async def stored(self, check: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
        """Our entries once ``check`` holds for them (Home Assistant writes with a delay)."""
        deadline = time.monotonic() + STORE_S
        while True:
            entries = self.home.entries()
            if check(entries) or time.monotonic() > deadline:
                return entries
            await asyncio.sleep(0.2)

    def dialog(self) -> Locator:
        locator: Locator = self.page.locator("dialog-data-entry-flow")
        return locator

    def surface(self) -> Locator:
        """The visible dialog box (for screenshots)."""
        locator: Locator = self.dialog().locator("wa-dialog [part~=dialog]").first
        return locator

    async def submit(self) -> dict[str, Any]:
        before = len(self.session.seen.flow_steps)
        await self.dialog().locator("ha-dialog-footer ha-button[slot=primaryAction]").click()
        return await self.next_step(before)

    async def choose(self, field_label: str, choice_label: str) -> None:
        """Open a drop-down by its label and pick a choice by its label."""
        select = self.dialog().locator(
            f'ha-select:has(ha-picker-field[aria-label="{field_label}"])'
        )
        await select.locator("ha-picker-field").click()
        await select.locator("ha-dropdown-item", has_text=choice_label).first.click()

    async def fill(self, field_label: str, value: str) -> None:
        """Type into a field that has no name attribute (numbers), found by its label."""
        field_box = self.dialog().locator("ha-selector", has_text=field_label)
        await field_box.locator("input").first.fill(value)

    def label(self, flow: str, step_id: str, name: str) -> str:
        return str(self.flow_strings(flow)["step"][step_id]["data"][name])

    def choice(self, key: str, value: str) -> str:
        return str(self.translations["selector"][key]["options"][value])

    async def open_entry_page(self) -> None:
        await self.page.goto(f"{self.home.url}/config/integrations/integration/arabic_tts")

    def entry_row(self, entry_id: str) -> Locator:
        locator: Locator = self.page.locator(f'ha-config-entry-row[data-entry-id="{entry_id}"]')
        return locator

    async def entry_menu(self, entry_id: str, item: str) -> None:
        """An item of an entry's ⋮ menu, by its value (diagnostics, reconfigure, …)."""
        row = self.entry_row(entry_id)
        await row.locator("ha-dropdown > ha-icon-button[slot=trigger]").first.click()
        await row.locator(f'ha-dropdown-item[value="{item}"]').click()


# ---------------------------------------------------------------------- the flows


async def add_provider(run: Run, provider: str) -> dict[str, Any]:
    """Add an account: the refused key first (its error on screen), then a good one."""
    fake = run.providers.hamsa if provider == "hamsa" else run.providers.faseeh
    good_key = run.providers.hamsa_key if provider == "hamsa" else run.providers.faseeh_key
    page = run.page
    await page.goto(f"{run.home.url}/config/integrations/dashboard")
    before = len(run.session.seen.flow_steps)
    await page.locator("ha-button[slot=fab]").click()
    await page.locator("dialog-add-integration input").fill("Arabic")
    await page.locator("ha-integration-list-item", has_text=INTEGRATION_NAME).click()
    menu = await run.next_step(before)
    await run.settle(f"{provider}: choose the provider", run.dialog(), menu, "config")
    if provider == "hamsa":
        await run.shot("add-choose-provider", run.surface())
    before = len(run.session.seen.flow_steps)
    await (
        run.dialog()
        .locator("step-flow-menu")
        .get_by_text(
            run.flow_strings("config")["step"]["user"]["menu_options"][provider], exact=True
        )
        .click()
    )
    form = await run.next_step(before)
    dialog = run.dialog()
    await dialog.locator("input[name=api_key]").fill(run.providers.refused_key)
    if provider == "faseeh":
        await dialog.locator('ha-radio-option[value="uae"]').click()
    await dialog.locator("ha-expansion-panel").click()
    await dialog.locator("input[name=ws_url]").fill(fake.ws_url)
    await dialog.locator("input[name=api_url]").fill(fake.api_url)
    await run.settle(f"{provider}: key form", dialog, opened(form), "config")
    refused = await run.submit()
    if (refused.get("errors") or {}).get("base") != "invalid_auth":
        run.fail(f"{provider}: a refused key gave {refused.get('errors')}, not invalid_auth")
    await run.settle(f"{provider}: refused key", dialog, refused, "config")
    await run.shot(f"add-{provider}-refused-key", run.surface())
    await dialog.locator("input[name=api_key]").fill(good_key)
    created = await run.submit()
    if created.get("type") != "create_entry":
        run.fail(f"{provider}: a good key gave {created.get('type')} {created.get('errors')}")
        return created
    await dialog.locator("ha-dialog-footer ha-button[slot=primaryAction]").click()
    await dialog.locator("ha-dialog").wait_for(state="hidden")
    entry_id = created["result"]["entry_id"]
    expected = {
        "provider": provider,
        "api_key": good_key,
        "ws_url": fake.ws_url,
        "api_url": fake.api_url,
        **({"region": "uae"} if provider == "faseeh" else {}),
    }
    entries = await run.stored(lambda es: any(e["entry_id"] == entry_id for e in es))
    stored = next((e for e in entries if e["entry_id"] == entry_id), None)
    if stored is None or stored["data"] != expected:
        run.fail(f"{provider}: stored {stored and stored['data']}, typed {expected}")
    return created


async def hamsa_options(run: Run, entry_id: str) -> None:
    """Dialect by name, a speaker of it as the default voice, numbers as words."""
    await run.open_entry_page()
    before = len(run.session.seen.flow_steps)
    await run.entry_row(entry_id).locator("ha-icon-button[slot=end]").first.click()
    form = await run.next_step(before)
    dialog = run.dialog()
    await run.settle("hamsa: options", dialog, form, "options")
    await run.choose(run.label("options", "hamsa", "dialect"), run.choice("dialect", "ksa"))
    voice = next(
        o for o in _select(form, "voice")["options"] if o["value"] == "Hiba"
    )  # a Saudi speaker: the picker lists each speaker in their own dialect
    await run.choose(run.label("options", "hamsa", "voice"), voice["label"])
    await dialog.locator('ha-checkbox[value="numbers"]').click()
    await run.shot("options-hamsa", run.surface())
    done = await run.submit()
    if done.get("type") != "create_entry":
        run.fail(f"hamsa options: {done.get('type')} {done.get('errors')}")
    expected = {
        "voice": "Hiba",
        "dialect": "ksa",
        "custom_voices": [],
        "text_steps": ["markup", "words", "numbers"],
    }
    await _expect_options(run, entry_id, expected, "hamsa options")


async def faseeh_options(run: Run, entry_id: str) -> None:
    """A dialect the socket cannot send is refused on screen; then REST, speed, stability."""
    await run.open_entry_page()
    before = len(run.session.seen.flow_steps)
    await run.entry_row(entry_id).locator("ha-icon-button[slot=end]").first.click()
    form = await run.next_step(before)
    dialog = run.dialog()
    await run.settle("faseeh: options", dialog, form, "options")

    def label(name: str) -> str:
        return run.label("options", "faseeh", name)

    await run.choose(label("transport"), run.choice("transport", "websocket"))
    await run.choose(label("dialect"), run.choice("faseeh_dialect", "emirati"))
    refused = await run.submit()
    if (refused.get("errors") or {}).get("dialect") != "dialect_needs_rest":
        run.fail(f"faseeh options: emirati over the socket gave {refused.get('errors')}")
    await run.settle("faseeh: options refused", dialog, refused, "options")
    await run.shot("options-faseeh-dialect-needs-rest", run.surface())
    await run.choose(label("transport"), run.choice("transport", "rest"))
    await run.fill(label("speed"), "1.1")
    await run.fill(label("stability"), "0.5")
    done = await run.submit()
    if done.get("type") != "create_entry":
        run.fail(f"faseeh options: {done.get('type')} {done.get('errors')}")
    expected = {
        "voice": "ar-najdi-male-2",
        "model": "faseeh-v1-preview",
        "transport": "rest",
        "dialect": "emirati",
        "sample_rate": "24000",
        "speed": 1.1,
        "stability": 0.5,
    }
    await _expect_options(run, entry_id, expected, "faseeh options")


async def _expect_options(run: Run, entry_id: str, expected: dict[str, Any], what: str) -> None:
    entries = await run.stored(
        lambda es: any(e["entry_id"] == entry_id and e["options"] == expected for e in es)
    )
    stored = next((e["options"] for e in entries if e["entry_id"] == entry_id), None)
    if stored != expected:
        run.fail(f"{what}: stored {stored}, chosen {expected}")


def _select(step: dict[str, Any], name: str) -> dict[str, Any]:
    item = next(i for i in step["data_schema"] if i["name"] == name)
    select: dict[str, Any] = item["selector"]["select"]
    return select


async def perform_speak(run: Run, entity_id: str, message: str, shot: bool) -> None:
    """``tts.speak`` from the developer tools' Actions, in YAML, to the kitchen speaker."""
    page = run.page
    await page.goto(f"{run.home.url}/config/tools/action")
    await page.locator('ha-button[value="yaml"]').click()
    action = {
        "action": "tts.speak",
        "target": {"entity_id": entity_id},
        "data": {"media_player_entity_id": "media_player.kitchen", "message": message},
    }
    await page.locator("tools-action .cm-content").fill(json.dumps(action, ensure_ascii=False))
    await page.locator("tools-action").get_by_text("tts.speak", exact=True).wait_for()
    if shot:
        await run.shot("speak-developer-tools")
    await page.locator("tools-action ha-progress-button").click()


async def speak(
    run: Run, entity_id: str, provider: str, shot: bool, message: str = MESSAGE
) -> None:
    """The fake must hear the message and the speaker must get audio back."""
    texts = run.providers.hamsa_texts if provider == "hamsa" else run.providers.faseeh_texts
    heard_before, played_before = len(texts()), len(run.kitchen.played)
    await perform_speak(run, entity_id, message, shot)
    deadline = time.monotonic() + SPEECH_S
    while not (
        len(run.kitchen.played) > played_before
        and any(message.rstrip(".") in text for text in texts()[heard_before:])
    ):
        if time.monotonic() > deadline or run.kitchen.errors:
            got = len(run.kitchen.played) - played_before
            run.fail(
                f"{provider}: tts.speak from the developer tools: the fake heard "
                f"{texts()[heard_before:]}, the speaker got {got} replies {run.kitchen.errors}"
            )
            return
        await asyncio.sleep(0.2)
    played = run.kitchen.played[-1]
    if not played.mime_type.startswith("audio/") or len(played.audio) < 1000:
        run.fail(f"{provider}: the speaker got {len(played.audio)} bytes of {played.mime_type}")


async def diagnostics(run: Run, entry_id: str, provider: str) -> None:
    """The entry's diagnostics download: no piece of any key in it."""
    await run.open_entry_page()
    async with run.page.expect_download() as download_info:
        await run.entry_menu(entry_id, "diagnostics")
    download = await download_info.value
    content = await asyncio.to_thread(Path(await download.path()).read_text, "utf-8")
    report = json.loads(content)
    for key in run.providers.secrets():
        for piece in (key, key[-12:]):
            if piece in content:
                run.fail(f"{provider}: the diagnostics download holds an API key")
    if report.get("data", {}).get("entry", {}).get("data", {}).get("api_key") != "**REDACTED**":
        run.fail(f"{provider}: diagnostics do not show the key as **REDACTED**")


async def reauth(run: Run, entry_id: str, entity_id: str) -> None:
    """Faseeh stops accepting the key: the next reply fails, Home Assistant asks for a new
    key (the entry waits under Discovered with *Reconfigure*), and a new key of the same
    account is stored and speaks."""
    providers = run.providers
    providers.faseeh.valid_keys.discard(providers.faseeh_key)
    run.kitchen.errors.clear()
    await perform_speak(run, entity_id, REFUSED_MESSAGE, shot=False)
    deadline = time.monotonic() + SPEECH_S
    while not run.kitchen.errors:  # the reply fails: the speaker gets an HTTP error
        if time.monotonic() > deadline:
            run.fail("reauth: a refused key did not fail the reply")
            return
        await asyncio.sleep(0.2)
    run.kitchen.errors.clear()
    await run.page.goto(f"{run.home.url}/config/integrations/dashboard")
    card = run.page.locator("ha-config-flow-card", has_text="Faseeh")
    before = len(run.session.seen.flow_steps)
    await card.locator("ha-button[variant=danger]").click()
    form = await run.next_step(before)
    if form.get("step_id") != "reauth_confirm":
        run.fail(f"reauth: the card opened {form.get('step_id')}, not reauth_confirm")
        return
    dialog = run.dialog()
    await run.settle("reauth", dialog, form, "config")
    await run.shot("reauth", run.surface())
    providers.faseeh.valid_keys.add(providers.new_faseeh_key)
    await dialog.locator("input[name=api_key]").fill(providers.new_faseeh_key)
    done = await run.submit()
    if done.get("reason") != "reauth_successful":
        run.fail(f"reauth: {done.get('type')} {done.get('reason')} {done.get('errors')}")
        return
    await run.settle("reauth done", dialog, done, "config")
    await dialog.locator("ha-dialog-footer ha-button").first.click()
    entries = await run.stored(
        lambda es: any(e["data"]["api_key"] == providers.new_faseeh_key for e in es)
    )
    stored: dict[str, Any] = next((e["data"] for e in entries if e["entry_id"] == entry_id), {})
    if stored.get("api_key") != providers.new_faseeh_key:
        run.fail("reauth: the new key was not stored")
    await speak(run, entity_id, "faseeh", shot=False, message=AFTER_REAUTH_MESSAGE)


async def reconfigure(run: Run, entry_id: str) -> None:
    """Empty an optional address, key field left empty: the stored entry must lose the
    address and keep the rest, its key included."""
    entry = next(e for e in run.home.entries() if e["entry_id"] == entry_id)
    await run.open_entry_page()
    before = len(run.session.seen.flow_steps)
    await run.entry_menu(entry_id, "reconfigure")
    form = await run.next_step(before)
    dialog = run.dialog()
    await run.settle("reconfigure", dialog, form, "config")
    await run.shot("reconfigure", run.surface())
    await dialog.locator("ha-expansion-panel").click()
    await dialog.locator("input[name=ws_url]").fill("")
    await run.settle("reconfigure, addresses", dialog, opened(form), "config")
    done = await run.submit()
    if done.get("reason") != "reconfigure_successful":
        run.fail(f"reconfigure: {done.get('type')} {done.get('reason')} {done.get('errors')}")
    else:
        await run.settle("reconfigure done", dialog, done, "config")
    expected = {k: v for k, v in entry["data"].items() if k != "ws_url"}
    entries = await run.stored(
        lambda es: any(e["entry_id"] == entry_id and e["data"] == expected for e in es)
    )
    stored = next((e["data"] for e in entries if e["entry_id"] == entry_id), None)
    if stored != expected:
        run.fail(f"reconfigure: stored {stored}, expected {expected} (the address emptied)")


async def entity_ids(run: Run) -> dict[str, str]:
    """Config entry id → its tts entity id, as Home Assistant's templates see them."""
    template = (
        "{% for e in integration_entities('arabic_tts') %}"
        "{{ config_entry_id(e) }}={{ e }};{% endfor %}"
    )
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{run.home.url}/api/template",
            json={"template": template},
            headers={"Authorization": f"Bearer {run.home.token}"},
        ) as response,
    ):
        response.raise_for_status()
        text = await response.text()
    pairs = [item.split("=", 1) for item in text.split(";") if "=" in item]
    return {entry: entity for entry, entity in pairs}


Flow = Callable[[Run], Awaitable[None]]
