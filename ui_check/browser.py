"""Headless Chromium (Debian's) driven by Playwright, and what it saw.

Home Assistant's frontend is built of web components with open shadow roots: Playwright's
CSS and text selectors pierce them, and ``DEEP_TEXT`` reads a screen's rendered text the
same way (through shadow roots and slots, visible elements only). Every wait is for
something to appear; the timeouts only bound a hang.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Response,
    ViewportSize,
    async_playwright,
)

CHROMIUM = "/usr/bin/chromium"
# As root Chromium needs --no-sandbox; the rest keeps it off a closed network: without
# them it calls Google's update, sync and field-trial services at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-gpu",
]
VIEWPORT: ViewportSize = {"width": 1100, "height": 860}
WAIT_MS = 60_000  # bounds a hang only: each wait ends as soon as its element shows

# The rendered text under an element: through open shadow roots and slots (assigned
# nodes, or the slot's fallback), visible elements only, in document order.
DEEP_TEXT = """
(root) => {
  const parts = [];
  const shown = (el) => {
    const style = getComputedStyle(el);
    return style.display !== 'none' && style.visibility !== 'hidden';
  };
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.textContent.replace(/\\s+/g, ' ').trim();
      if (text) parts.push(text);
      return;
    }
    if (node.nodeType === Node.ELEMENT_NODE) {
      if (['STYLE', 'SCRIPT', 'TEMPLATE'].includes(node.tagName) || !shown(node)) return;
      if (node.shadowRoot) { node.shadowRoot.childNodes.forEach(walk); return; }
      if (node.tagName === 'SLOT') { node.assignedNodes({flatten: true}).forEach(walk); return; }
    }
    node.childNodes.forEach(walk);
  };
  walk(root);
  return parts;
}
"""

# Values typed into text inputs anywhere on the page (password fields excluded: they show
# dots), through shadow roots.
INPUT_VALUES = """
() => {
  const values = [];
  const walk = (root) => {
    root.querySelectorAll('*').forEach((el) => {
      if ((el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') && el.type !== 'password'
          && el.value) values.push(el.value);
      if (el.shadowRoot) walk(el.shadowRoot);
    });
  };
  walk(document);
  return values;
}
"""


REJECTIONS = """
window.addEventListener('unhandledrejection', (event) => {
  let reason = event.reason;
  try { reason = JSON.stringify(reason); } catch (e) { reason = String(reason); }
  console.error('Unhandled rejection: ' + reason);
});
"""


@dataclass
class Seen:
    """What the browser reported while the check ran."""

    console: list[dict[str, str]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    # Every config or options flow step Home Assistant sent the frontend, in order.
    flow_steps: list[dict[str, Any]] = field(default_factory=list)


class Session:
    """One browser page logged into Home Assistant, with what it reported."""

    def __init__(self, page: Page, seen: Seen) -> None:
        self.page = page
        self.seen = seen
        self.step_arrived = asyncio.Event()
        page.set_default_timeout(WAIT_MS)
        page.on("console", self._console)
        page.on("pageerror", self._page_error)
        page.on("response", self._response)

    def _page_error(self, error: Exception) -> None:
        details = getattr(error, "stack", None) or getattr(error, "message", None) or repr(error)
        self.seen.page_errors.append(f"{error} on {self.page.url}: {str(details)[:500]}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.seen.console.append(
                {"type": message.type, "text": message.text, "url": message.location["url"]}
            )

    async def _response(self, response: Response) -> None:
        """Keep each flow step the frontend receives (its schema, errors, placeholders)."""
        if re.search(r"/api/config/config_entries/(options/)?flow", response.url):
            try:
                body = await response.json()
            except Exception:  # a DELETE or an error page: not a step
                return
            if isinstance(body, dict) and "type" in body:
                self.seen.flow_steps.append(body)
                self.step_arrived.set()

    async def text(self, locator: Locator) -> list[str]:
        """The rendered text pieces under ``locator``."""
        parts: list[str] = await locator.evaluate(DEEP_TEXT)
        return parts

    async def input_values(self) -> list[str]:
        values: list[str] = await self.page.evaluate(INPUT_VALUES)
        return values

    async def login(self, url: str, username: str, password: str) -> None:
        """Through Home Assistant's own login form."""
        await self.page.goto(f"{url}/")
        await self.page.locator("input[name=username]").fill(username)
        await self.page.locator("input[name=password]").fill(password)
        await self.page.keyboard.press("Enter")
        await self.page.wait_for_url(re.compile(r"/(home|lovelace)"))

    def last_step(self) -> dict[str, Any]:
        return self.seen.flow_steps[-1]


@asynccontextmanager
async def session(language: str) -> AsyncIterator[Session]:
    """Chromium with the user's language as the browser's own."""
    async with async_playwright() as playwright:
        browser: Browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            context: BrowserContext = await browser.new_context(
                locale=language,
                viewport=VIEWPORT,
                accept_downloads=True,
            )
            # A promise rejected with a plain object reaches Playwright as "Object": say
            # what the object was.
            await context.add_init_script(REJECTIONS)
            yield Session(await context.new_page(), Seen())
        finally:
            await browser.close()


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1)
