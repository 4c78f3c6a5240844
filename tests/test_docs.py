"""The documentation keeps up with the product.

Every flag the server and the probe accept, every environment variable the server reads,
every error code, every message the Home Assistant integration can show and every field of
its forms is written down on the page a user would look for it on; the README stays short
and every relative link in it and in docs/ leads somewhere. A new flag, error or option
fails here until its page says what it does.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from arabic_tts_core.errors import ERROR_CODES

from wyoming_server import __main__ as server_cli
from wyoming_server.probe import cli as probe_cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
STRINGS = ROOT / "custom_components" / "arabic_tts" / "strings.json"
README_MAX_LINES = 250
# A message's fixed words shorter than this ("account.") say nothing on their own.
MIN_FRAGMENT = 12


def page(name: str) -> str:
    return (DOCS / name).read_text("utf-8")


def section(text: str, heading: str) -> str:
    """The text under ``heading`` up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    start = text.index(f"\n{heading}\n")
    end = re.search(rf"\n#{{1,{level}}} ", text[start + len(heading) + 2 :])
    return text[start : start + len(heading) + 2 + end.start()] if end else text[start:]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def option_strings(parser: Any) -> set[str]:
    return {
        option
        for action in parser._actions
        for option in action.option_strings
        if option not in ("-h", "--help")
    }


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def test_readme_is_short() -> None:
    lines = (ROOT / "README.md").read_text("utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines"


def test_every_server_flag_is_on_the_server_page() -> None:
    flags = page("wyoming-server.md")
    table = section(flags, "## Flags and environment variables")
    for option in sorted(option_strings(server_cli.build_parser())):
        assert f"| `{option}" in table, f"{option} is not in the flag table of wyoming-server.md"


def test_every_environment_variable_is_on_the_server_page() -> None:
    """Whatever the server reads from the environment is in the flag table."""
    table = section(page("wyoming-server.md"), "## Flags and environment variables")
    names = set()
    for source in (ROOT / "wyoming_server").rglob("*.py"):
        names |= set(
            re.findall(
                r"(?:environ\.get|getenv|environ\[)\(?\s*\"([A-Z][A-Z0-9_]+)\"",
                source.read_text("utf-8"),
            )
        )
    assert names >= {"HAMSA_API_KEY", "FASEEH_API_KEY"}
    for name in sorted(names):
        assert f"`{name}`" in table, f"{name} is not in the flag table of wyoming-server.md"


def test_every_probe_flag_is_on_the_probe_page() -> None:
    """The probe's own flags in its table; the ones it shares with the server by name."""
    probe = page("probe.md")
    server = option_strings(server_cli.build_parser())
    for option in sorted(option_strings(probe_cli.build_parser())):
        if option in server:
            assert f"`{option}" in probe, f"{option} (shared with the server) is not in probe.md"
        else:
            assert f"| `{option}" in probe, f"{option} is not in the flag table of probe.md"


@pytest.mark.parametrize(
    ("name", "heading"),
    [("troubleshooting.md", "## Wyoming error codes"), ("ar/troubleshooting.md", None)],
)
def test_every_error_code_is_explained(name: str, heading: str | None) -> None:
    codes = section(page(name), heading) if heading else page(name)
    for code in ERROR_CODES:
        row = re.search(rf"^\| `{code}` \|(.+)\|(.+)\|$", codes, re.MULTILINE)
        assert row, f"{code} has no row (meaning, what to do) in troubleshooting.md"
        assert all(cell.strip() for cell in row.groups()), code


def _messages(strings: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(group, key, English text) of every message the integration can show."""
    for group in ("error", "abort"):
        for key, text in strings["config"][group].items():
            yield f"config.{group}", key, text
    for key, text in strings["options"]["error"].items():
        yield "options.error", key, text
    for key, value in strings["exceptions"].items():
        yield "exceptions", key, value["message"]
    for key, value in strings["issues"].items():
        yield "issues", key, value["title"]
        yield "issues", key, value["description"]


@pytest.mark.parametrize(
    ("translations", "where"),
    [
        (STRINGS, ("troubleshooting.md", "## Home Assistant messages")),
        (STRINGS.parent / "translations" / "ar.json", ("ar/troubleshooting.md", None)),
    ],
    ids=["en", "ar"],
)
def test_every_home_assistant_message_is_explained(
    translations: Path, where: tuple[str, str | None]
) -> None:
    """Each message's key is in a table and its fixed words are quoted as the user sees
    them, in English and, on the Arabic page, in Arabic."""
    strings = json.loads(translations.read_text("utf-8"))
    name, heading = where
    messages = flat(section(page(name), heading) if heading else page(name))
    for group, key, text in _messages(strings):
        assert f"`{key}`" in messages, f"{group}.{key} is not in troubleshooting.md"
        for piece in re.split(r"\{[^}]*\}", text):
            fragment = flat(piece).strip()
            if len(fragment) >= MIN_FRAGMENT:
                assert fragment in messages, f"{group}.{key}: {fragment!r} not quoted"


def test_every_form_field_is_on_the_home_assistant_page() -> None:
    """What each field of the setup, reconfigure and options forms is called, by name."""
    strings = json.loads(STRINGS.read_text("utf-8"))
    text = flat(page("home-assistant.md"))
    labels = set()
    for flow in ("config", "options"):
        for step in strings[flow]["step"].values():
            labels |= set(step.get("data", {}).values())
            for part in step.get("sections", {}).values():
                labels |= {part["name"], *part.get("data", {}).values()}
    assert "Default voice" in labels
    for label in sorted(labels):
        assert label in text, f"the field {label!r} is not in home-assistant.md"


def anchors(path: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, numbered
    when repeated."""
    seen: dict[str, int] = {}
    ids = set()
    in_code = False
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        match = None if in_code else re.match(r"#{1,6} (.+)", line)
        if not match:
            continue
        title = re.sub(r"[`*_]|\[([^]]*)\]\([^)]*\)", r"\1", match.group(1)).strip().lower()
        slug = "".join(
            char for char in title if char in " -_" or unicodedata.category(char)[0] in "LNM"
        ).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        ids.add(slug if count == 0 else f"{slug}-{count}")
    return ids


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)|<img [^>]*src=\"([^\"]+)\"")


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    text = re.sub(r"```.*?```", "", path.read_text("utf-8"), flags=re.DOTALL)
    for match in LINK.finditer(text):
        target = match.group(1) or match.group(2)
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        assert linked.exists(), f"{path.name}: {target} does not exist"
        assert ROOT in linked.parents or linked == ROOT, f"{path.name}: {target} leaves the repo"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked), f"{path.name}: no heading #{anchor} in {file_part}"
