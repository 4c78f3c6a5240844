"""Static checks: translations complete in both languages, manifest and hacs.json rules."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from custom_components.arabic_tts.core.errors import ERROR_CODES

ROOT = Path(__file__).parents[2]
COMPONENT = ROOT / "custom_components" / "arabic_tts"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# The oldest Home Assistant release we claim (see requirements_test.txt for why).
OLDEST_SUPPORTED = "2025.10.0"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Dotted key -> string."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            assert isinstance(value, str), f"{prefix}{key}"
            flat[f"{prefix}{key}"] = value
    return flat


def test_translations_same_keys_and_placeholders() -> None:
    """en.json and ar.json have the same keys, the same placeholders, and no blanks."""
    english = flatten(load(COMPONENT / "translations" / "en.json"))
    arabic = flatten(load(COMPONENT / "translations" / "ar.json"))
    assert english.keys() == arabic.keys()
    for key, text in english.items():
        assert text.strip() and arabic[key].strip(), key
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(arabic[key])), key
    # The Arabic file is a translation, not a copy.
    assert sum(english[k] != arabic[k] for k in english) > len(english) * 0.9
    assert any("\u0600" <= ch <= "\u06ff" for ch in arabic["config.step.user.title"])


def test_strings_json_is_english() -> None:
    """strings.json (the hassfest source) matches translations/en.json."""
    assert load(COMPONENT / "strings.json") == load(COMPONENT / "translations" / "en.json")


def test_every_error_code_translated() -> None:
    """Each shared error code (and the setup/option errors) has an exception string."""
    exceptions = load(COMPONENT / "strings.json")["exceptions"]
    for code in (*ERROR_CODES, "setup_failed", "invalid_option"):
        assert code in exceptions, code
        assert "message" in exceptions[code]


def test_manifest_rules() -> None:
    """hassfest/HACS: domain, name, then alphabetical; the required keys present."""
    manifest = load(COMPONENT / "manifest.json")
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == "arabic_tts" == COMPONENT.name
    assert manifest["iot_class"] == "cloud_push"
    assert manifest["config_flow"] is True
    for key in ("documentation", "issue_tracker", "codeowners", "requirements", "version"):
        assert key in manifest, key
    assert manifest["documentation"].startswith("https://")
    assert manifest["issue_tracker"].startswith("https://")
    assert all(owner.startswith("@") for owner in manifest["codeowners"])
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert not any(req.startswith(("homeassistant", "wyoming")) for req in manifest["requirements"])
    for requirement in ("numpy", "websockets", "sentence-stream"):
        assert any(req.startswith(requirement) for req in manifest["requirements"])


def test_hacs_json_rules() -> None:
    """hacs.json at the root: name, the oldest Home Assistant we test, README rendered."""
    hacs = load(ROOT / "hacs.json")
    assert hacs["name"]
    assert hacs["homeassistant"] == OLDEST_SUPPORTED
    assert hacs["render_readme"] is True
    # HACS installs exactly one integration folder.
    assert [p.name for p in (ROOT / "custom_components").iterdir() if p.is_dir()
            and not p.name.startswith("__")] == ["arabic_tts"]  # fmt: skip


def test_oldest_supported_is_the_one_tested() -> None:
    """hacs.json, README and the oldest test stack name the same Home Assistant release."""
    requirements = (ROOT / "requirements_test.txt").read_text(encoding="utf-8")
    assert f"oldest Home Assistant we support (hacs.json, README): {OLDEST_SUPPORTED}" in (
        requirements
    )
    major, minor, _patch = OLDEST_SUPPORTED.split(".")
    assert f"Home Assistant {major}.{minor} or later" in (ROOT / "README.md").read_text("utf-8")


def test_running_home_assistant_is_supported() -> None:
    """Whichever stack runs the tests, it is not older than what we claim."""
    from homeassistant.const import __version__  # noqa: PLC0415

    def as_tuple(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", version)[:3])

    assert as_tuple(__version__) >= as_tuple(OLDEST_SUPPORTED)


def test_core_imports_no_home_assistant() -> None:
    """The shared core never imports Home Assistant (the Wyoming server uses it too)."""
    for path in (COMPONENT / "core").glob("*.py"):
        assert "homeassistant" not in path.read_text(encoding="utf-8"), path.name
