"""The repository and the app follow the Supervisor's rules (supervisor_rules.py).

Each rule is the Supervisor's own, cited there; a file that broke one would make the
Supervisor skip the repository, skip the app, drop an option or log a warning.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import PurePosixPath
from typing import Any

import pytest
import voluptuous as vol

from . import supervisor_rules as rules
from .app import APP, ROOT, app_config, load_yaml, repository_tree, supervisor_options

UUID = "123e4567-e89b-12d3-a456-426614174000"
ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")


def test_the_repository_has_one_description_and_the_supervisor_reads_it() -> None:
    tree = repository_tree()
    assert rules.repository_files(tree) == ["repository.yaml"]
    description = rules.SCHEMA_REPOSITORY_CONFIG(load_yaml(ROOT / "repository.yaml"))
    assert description["url"] == "https://github.com/arabic-tts/wyoming-arabic-tts"


def test_only_the_app_folder_is_read_as_an_app() -> None:
    # The HACS integration, the Python package and the tests share the repository: none
    # of their files may look like an app's config to the Supervisor's recursive search.
    assert rules.app_config_files(repository_tree()) == ["addon/config.yaml"]


def test_the_app_has_no_build_yaml_and_a_dockerfile() -> None:
    # Without build.yaml (deprecated) the Dockerfile alone says how to build.
    tree = repository_tree()
    assert rules.build_config_files(tree, "addon") == []
    assert "addon/Dockerfile" in tree
    assert not [path for path in tree if PurePosixPath(path).name.startswith("Dockerfile.")]


def test_config_passes_the_supervisor_schema() -> None:
    config = rules.SCHEMA_APP_CONFIG(app_config())
    assert config["slug"] == "arabic_tts"
    assert config["arch"] == ["amd64", "aarch64"]
    assert config["init"] is False  # the Debian base image's s6-overlay is the init
    assert config["discovery"] == ["wyoming"]
    assert config["ports"] == {"10200/tcp": None}


def test_backups_leave_out_the_voice_files_only() -> None:
    # Downloaded again when missing; the options (and so the keys) are kept.
    patterns = app_config()["backup_exclude"]
    for name in ("ar_JO-kareem-medium.onnx", "ar_JO-kareem-medium.onnx.json", "x.onnx.part"):
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name
    assert not any(fnmatch.fnmatch("options.json", pattern) for pattern in patterns)


def test_the_versions_agree() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    dockerfile = (APP / "Dockerfile").read_text("utf-8")
    pinned = re.search(r"^ARG ARABIC_TTS_VERSION=(\S+)$", dockerfile, re.M)
    assert pinned is not None
    assert app_config()["version"] == project["version"] == pinned.group(1)
    changelog = (APP / "CHANGELOG.md").read_text("utf-8")
    assert f"## {project['version']}\n" in changelog


def test_the_defaults_are_valid_options() -> None:
    # What the Supervisor checks when a user starts the app without changing anything.
    config = app_config()
    assert rules.AppOptions(config["schema"])(config["options"]) == config["options"]


def test_an_option_has_a_default_or_is_optional_never_both() -> None:
    # A default makes an option required (docs: "Options / Schema"); an optional one
    # without "?" and without a default could never be left empty.
    config = app_config()
    for key, typ in config["schema"].items():
        element = typ[0] if isinstance(typ, list) else typ
        optional = element.endswith("?")
        has_default = key in config["options"]
        assert optional != has_default or isinstance(typ, list), key
    assert set(config["options"]) <= set(config["schema"])


@pytest.mark.parametrize("key", ["hamsa_api_key", "faseeh_api_key"])
def test_keys_are_hidden_and_optional(key: str) -> None:
    assert rules.ui_type(app_config()["schema"][key]) == {
        "optional": True,
        "type": "string",
        "format": "password",
    }


def test_a_full_configuration_is_valid() -> None:
    options = supervisor_options(
        hamsa_api_key="hamsa-key",
        faseeh_api_key="faseeh-key",
        faseeh_region="uae",
        faseeh_transport="rest",
        faseeh_dialect="emirati",
        faseeh_model="faseeh-mini-v1-preview",
        custom_voices=[UUID, UUID.upper()],
        piper_voice="/share/piper/ar_SA-voice-medium.onnx",
        fallback="none",
        fallback_voice="faseeh-ar-najdi-male-2",
        first_audio_deadline="1.2",
        stall_timeout=2,
        lexicon="/config/arabic_tts/lexicon.txt",
        hamsa_text="markup,words,numbers",
        faseeh_text="none",
        offline_text="markup",
        hamsa_url="wss://hamsa.example/ws",
        hamsa_api_url="https://hamsa.example",
        faseeh_url="wss://api.munsit.com/api/v1/websocket/text-to-speech",
        faseeh_api_url="https://api.munsit.com/api/v1",
        debug=True,
    )
    assert options["first_audio_deadline"] == 1.2
    assert options["stall_timeout"] == 2.0
    assert options["custom_voices"] == [UUID, UUID.upper()]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("faseeh_region", "mars"),
        ("faseeh_transport", "carrier-pigeon"),
        ("faseeh_dialect", "najdi"),
        ("fallback", "espeak"),
        ("custom_voices", ["Mariam"]),
        ("custom_voices", UUID),
        ("lexicon", "/etc/passwd"),
        ("lexicon", "lexicon.txt"),
        ("first_audio_deadline", "soon"),
        ("hamsa_url", "hamsa"),
        ("debug", "perhaps"),
        ("piper_voice", None),
    ],
)
def test_the_supervisor_refuses_a_bad_value(key: str, value: Any) -> None:
    with pytest.raises(vol.Invalid):
        supervisor_options(**{key: value})


def test_the_lexicon_and_voice_paths_are_the_mapped_folders() -> None:
    # The lexicon option accepts exactly the folders the app can read.
    config = app_config()
    mapped = {entry.get("path", "/" + entry["type"]) for entry in config["map"]}
    assert mapped == {"/share", "/config"}
    assert all(entry.get("read_only", True) for entry in config["map"])
    pattern = rules.RE_SCHEMA_ELEMENT.match(config["schema"]["lexicon"])
    assert pattern is not None
    for folder in mapped:
        assert re.match(pattern.group("match"), f"{folder}/arabic_tts/lexicon.txt")
    assert not re.match(pattern.group("match"), "/data/options.json")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_translations_name_every_option_and_port(language: str) -> None:
    config = app_config()
    translations = rules.SCHEMA_APP_TRANSLATIONS(
        load_yaml(APP / "translations" / f"{language}.yaml")
    )
    assert list(translations["configuration"]) == list(config["schema"])
    assert set(translations["network"]) == set(config["ports"])
    for key, text in translations["configuration"].items():
        assert text["name"].strip() and (text.get("description") or "").strip(), key
        if language == "ar":
            assert ARABIC_LETTER.search(text["name"]), key
            assert ARABIC_LETTER.search(text["description"]), key


def test_only_translation_files_in_translations() -> None:
    # Every file there is read as a translation (supervisor/store/data.py:59-73).
    folder = "addon/translations/"
    found = [path for path in repository_tree() if path.startswith(folder)]
    assert found == [f"{folder}ar.yaml", f"{folder}en.yaml"]


def test_icon_and_logo_are_the_integrations_brand_images() -> None:
    brand = ROOT / "custom_components" / "arabic_tts" / "brand"
    for name in ("icon.png", "logo.png"):
        image = (APP / name).read_bytes()
        assert image == (brand / name).read_bytes(), name
        assert image.startswith(b"\x89PNG\r\n\x1a\n"), name
    icon = (APP / "icon.png").read_bytes()
    width, height = int.from_bytes(icon[16:20]), int.from_bytes(icon[20:24])
    assert width == height  # the icon must be square (developer docs, "App icon & logo")


def test_the_documented_host_name_is_the_supervisors() -> None:
    description = load_yaml(ROOT / "repository.yaml")
    hostname = rules.app_hostname(description["url"], app_config()["slug"])
    assert hostname == "0c28933d-arabic-tts"
    assert f"`{hostname}`" in (APP / "DOCS.md").read_text("utf-8")


# The rules above must be able to fail: each broken copy of the config is refused.
@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"slug": "arabic tts"}, "a slug with a space"),
        ({"arch": ["amd64", "armv7"]}, "a deprecated architecture"),
        ({"discovry": ["wyoming"]}, "a misspelt key the Supervisor would drop"),
        ({"ports": {"10200/sctp": None}}, "a port protocol Docker mapping does not know"),
        ({"map": [{"type": "addon_config"}]}, "a legacy map type"),
        ({"map": [{"type": "app_config"}]}, "a map type older Supervisors refuse"),
        ({"schema": {"debug": "boolean"}}, "an option type the Supervisor does not know"),
        ({"url": "github.com/arabic-tts"}, "a URL without a scheme"),
        ({"version": None}, "no version"),
    ],
)
def test_the_config_rules_catch_a_broken_config(change: dict[str, Any], why: str) -> None:
    config = {**app_config(), **change}
    config = {key: value for key, value in config.items() if value is not None}
    with pytest.raises(vol.Invalid):
        rules.SCHEMA_APP_CONFIG(config)
        pytest.fail(f"not refused: {why}")


def test_the_options_rules_catch_a_missing_or_unknown_option() -> None:
    schema = app_config()["schema"]
    options = dict(app_config()["options"])
    del options["fallback"]
    with pytest.raises(vol.Invalid, match="Missing option 'fallback'"):
        rules.AppOptions(schema)(options)
    with pytest.raises(vol.Invalid, match="does not exist"):
        rules.AppOptions(schema)({**app_config()["options"], "voice": "x"})


def test_the_tree_rules_find_a_stray_config_file() -> None:
    tree = ["addon/config.yaml", "tests/fixtures/config.json", ".github/config.yml"]
    assert rules.app_config_files(tree) == ["addon/config.yaml", "tests/fixtures/config.json"]
    assert rules.repository_files(["repository.yaml", "docs/repository.json"]) == [
        "docs/repository.json",
        "repository.yaml",
    ]
