"""The Home Assistant Supervisor's rules for an app repository, as the tests apply them.

The Supervisor is not a package we can install (it is not on PyPI and runs only inside
Home Assistant OS), so its rules are written out here from its source, with the same
voluptuous validators it uses. Source: home-assistant/supervisor at commit
090ef31ec024952c2469ed5a7c9f3ce8c1a5499e (2026-08-21); paths and line numbers below
refer to it. Where the Supervisor only logs a warning, drops an unknown key or skips a
file, these rules fail instead: a warning in the user's log, an option silently ignored
or an app missing from the store are all bugs of ours.

When this was written, the app's files were also put through that commit's own
validators (on Python 3.14, its hardware and core-system modules stubbed): the same
verdicts for the config, the translations, repository.yaml, the default and a full set of
options and the refused values in test_supervisor_rules.py; only the cases marked there
as warnings (a deprecated architecture, a legacy map type) or as dropped (a misspelt key)
or as new (``app_config``) passed that code, as expected.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

import voluptuous as vol

# supervisor/const.py:44
FILE_SUFFIX_CONFIGURATION = (".yaml", ".yml", ".json")
# supervisor/const.py:408-416. armhf, armv7 and i386 are accepted with a deprecation
# warning (apps/validate.py:235-242); only these two are accepted without one.
ARCH_ALL = ("aarch64", "amd64")
# supervisor/apps/const.py:54
RE_SLUG = r"[-_.A-Za-z0-9]+"
# supervisor/apps/const.py:16-33 (MappingType). The legacy `config`, `addons`,
# `all_addon_configs` and `addon_config` warn (apps/validate.py:261-274, 404-430);
# `local_apps`, `all_app_configs` and `app_config` are new in 2026.07, and an older
# Supervisor, failing vol.Coerce(MappingType) on them, would drop the whole app. These
# are accepted by every Supervisor since `homeassistant_config` arrived (2023-10).
MAP_TYPES = ("data", "ssl", "backup", "share", "media", "homeassistant_config")
# supervisor/const.py:480-496, 456-462
STARTUP = ("initialize", "system", "services", "application", "once")
STAGE = ("stable", "experimental", "deprecated")
BOOT = ("auto", "manual", "manual_only")

# supervisor/validate.py:67 and 160-162
network_port = vol.All(vol.Coerce(int), vol.Range(min=1, max=65535))
docker_port = vol.All(str, vol.Match(r"^\d+(?:/tcp|/udp)?$"))

# supervisor/apps/options.py:31-45: the option types a schema may name.
RE_SCHEMA_ELEMENT = re.compile(
    r"^(?:"
    r"|bool"
    r"|email"
    r"|url"
    r"|port"
    r"|device(?:\((?P<filter>subsystem=[a-z]+)\))?"
    r"|str(?:\((?P<s_min>\d+)?,(?P<s_max>\d+)?\))?"
    r"|password(?:\((?P<p_min>\d+)?,(?P<p_max>\d+)?\))?"
    r"|int(?:\((?P<i_min>-?\d+)?,(?P<i_max>-?\d+)?\))?"
    r"|float(?:\((?P<f_min>-?\d*\.?\d+)?,(?P<f_max>-?\d*\.?\d+)?\))?"
    r"|match\((?P<match>.*)\)"
    r"|list\((?P<list>.+)\)"
    r")\??$"
)
_RANGE_GROUPS = ("i_min", "i_max", "f_min", "f_max", "s_min", "s_max", "p_min", "p_max")

# supervisor/apps/validate.py:146-158: a value, a list of values or of dicts, or a dict.
SCHEMA_ELEMENT = vol.Schema(
    vol.Any(
        vol.Match(RE_SCHEMA_ELEMENT),
        [vol.Any(vol.Match(RE_SCHEMA_ELEMENT), {str: vol.Self})],
        {str: vol.Self},
    )
)

# supervisor/apps/validate.py:454-557 (_SCHEMA_APP_CONFIG), the keys this project may use
# with the Supervisor's own validators. `extra=vol.REMOVE_EXTRA` there silently drops a
# misspelt key; PREVENT_EXTRA here makes it an error. Keys we must not use are left out:
# `image` (the Supervisor builds this app from its Dockerfile), `advanced` and
# `codenotary` (deprecated, apps/validate.py:207-214, 255-259).
SCHEMA_APP_CONFIG = vol.Schema(
    {
        vol.Required("name"): str,
        vol.Required("version"): str,  # version_tag: AwesomeVersion of a string
        vol.Required("slug"): vol.Match(r"^" + RE_SLUG + r"$"),
        vol.Required("description"): str,
        vol.Required("arch"): [vol.In(ARCH_ALL)],
        vol.Optional("url"): vol.Url(),
        vol.Optional("startup"): vol.In(STARTUP),
        vol.Optional("boot"): vol.In(BOOT),
        vol.Optional("init"): vol.Boolean(),
        vol.Optional("stage"): vol.In(STAGE),
        vol.Optional("ports"): vol.Schema({docker_port: vol.Maybe(network_port)}),
        vol.Optional("ports_description"): vol.Schema({docker_port: str}),
        vol.Optional("homeassistant"): str,
        vol.Optional("hassio_api"): vol.Boolean(),
        vol.Optional("homeassistant_api"): vol.Boolean(),
        vol.Optional("map"): [
            vol.Schema(
                {
                    vol.Required("type"): vol.In(MAP_TYPES),
                    vol.Optional("read_only"): bool,
                    vol.Optional("path"): str,
                }
            )
        ],
        vol.Optional("environment"): {vol.Match(r"\w*"): str},
        vol.Optional("discovery"): [str],
        vol.Optional("backup_exclude"): [str],
        vol.Optional("options"): dict,
        vol.Optional("schema"): vol.Any(vol.Schema({str: SCHEMA_ELEMENT}), False),
        vol.Optional("timeout"): vol.All(vol.Coerce(int), vol.Range(min=10, max=300)),
    },
    extra=vol.PREVENT_EXTRA,
)

# supervisor/apps/validate.py:589-605: translations/<language>.{yaml,yml,json}.
SCHEMA_TRANSLATION_CONFIGURATION = vol.Schema(
    {
        vol.Required("name"): str,
        vol.Optional("description"): vol.Maybe(str),
        vol.Optional("fields"): {str: vol.Self},
    },
    extra=vol.PREVENT_EXTRA,
)
SCHEMA_APP_TRANSLATIONS = vol.Schema(
    {
        vol.Optional("configuration"): {str: SCHEMA_TRANSLATION_CONFIGURATION},
        vol.Optional("network"): {str: str},
    },
    extra=vol.PREVENT_EXTRA,
)

# supervisor/store/validate.py:10-17: repository.{yaml,yml,json}.
SCHEMA_REPOSITORY_CONFIG = vol.Schema(
    {
        vol.Required("name"): str,
        vol.Optional("url"): vol.Url(),
        vol.Optional("maintainer"): str,
    },
    extra=vol.PREVENT_EXTRA,
)


def repository_files(tree: Iterable[str]) -> list[str]:
    """The files the Supervisor could take as the repository's description.

    supervisor/store/data.py:86-89 with utils/common.py:22-30: the first file anywhere
    in the clone matching ``**/repository.*`` with a configuration suffix, so there must
    be exactly one.
    """
    return sorted(
        path
        for path in tree
        if fnmatch.fnmatch(PurePosixPath(path).name, "repository.*")
        and PurePosixPath(path).suffix in FILE_SUFFIX_CONFIGURATION
    )


def app_config_files(tree: Iterable[str]) -> list[str]:
    """The files the Supervisor reads as apps' config.

    supervisor/store/data.py:153-164: every ``**/config.*`` with a configuration suffix,
    at any depth, outside folders whose name starts with a dot and outside ``rootfs``.
    Any other file of that name in this repository would be read (and rejected with a
    warning) as an app.
    """
    found = []
    for path in tree:
        parts = PurePosixPath(path).parts
        if any(part.startswith(".") or part == "rootfs" for part in parts):
            continue
        name = PurePosixPath(path)
        if fnmatch.fnmatch(name.name, "config.*") and name.suffix in FILE_SUFFIX_CONFIGURATION:
            found.append(path)
    return sorted(found)


def build_config_files(tree: Iterable[str], app_folder: str) -> list[str]:
    """``build.*`` files in the app's folder: the deprecated build.yaml.

    supervisor/apps/build.py:82-116: any ``**/build.*`` below the app's folder is read as
    build.yaml (with a deprecation warning, 60-79) and then passes a BUILD_FROM of its own.
    """
    prefix = app_folder.rstrip("/") + "/"
    return sorted(
        path
        for path in tree
        if path.startswith(prefix)
        and fnmatch.fnmatch(PurePosixPath(path).name, "build.*")
        and PurePosixPath(path).suffix in FILE_SUFFIX_CONFIGURATION
    )


def repository_hash(url: str) -> str:
    """The folder (and app slug prefix) the Supervisor gives a repository added by URL.

    supervisor/store/utils.py:12-15 and store/repository.py:63-68.
    """
    return hashlib.sha1(url.lower().encode()).hexdigest()[:8]


def app_hostname(repository_url: str, slug: str) -> str:
    """The app's host name on the Supervisor's network: supervisor/apps/model.py:182-184
    with the store slug ``<repository>_<slug>`` of store/data.py:239-240."""
    return f"{repository_hash(repository_url)}_{slug}".replace("_", "-")


class AppOptions:
    """Validate options against an app's schema, as supervisor/apps/options.py:59-291.

    The Supervisor logs and drops an option that is not in the schema (84-92); here it
    is an error. ``device`` options need the host's hardware and are not supported.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema

    def __call__(self, options: dict[str, Any]) -> dict[str, Any]:
        valid = {}
        for key, value in options.items():
            if key not in self.schema:
                raise vol.Invalid(f"Option '{key}' does not exist in the schema")
            valid[key] = self._element(self.schema[key], value, key)
        self._check_missing(self.schema, valid, "root")
        return valid

    def _element(self, typ: Any, value: Any, key: str) -> Any:
        # options.py:106-115
        if isinstance(typ, list):
            if not isinstance(value, list):
                raise vol.Invalid(f"Invalid list for option '{key}'")
            return [self._element(typ[0], item, key) for item in value]
        if isinstance(typ, dict):
            if not isinstance(value, dict):
                raise vol.Invalid(f"Invalid dict for option '{key}'")
            valid = {}
            for sub_key, sub_value in value.items():
                if sub_key not in typ:
                    raise vol.Invalid(f"Unknown option '{sub_key}' in '{key}'")
                valid[sub_key] = self._element(typ[sub_key], sub_value, sub_key)
            self._check_missing(typ, valid, key)
            return valid
        return self._single(typ, value, key)

    @staticmethod
    def _single(typ: str, value: Any, key: str) -> Any:
        # options.py:118-197 (secrets, `!secret name`, are resolved before this)
        if value is None:
            raise vol.Invalid(f"Missing required option '{key}'")
        match = RE_SCHEMA_ELEMENT.match(typ)
        if not match:
            raise vol.Invalid(f"Unknown type '{typ}' for option '{key}'")
        bounds = {
            group[2:]: float(found) for group in _RANGE_GROUPS if (found := match.group(group))
        }
        if typ.startswith(("str", "password")):
            return vol.All(str, vol.Length(**bounds))(value)
        if typ.startswith("int"):
            return vol.All(vol.Coerce(int), vol.Range(**bounds))(value)
        if typ.startswith("float"):
            return vol.All(vol.Coerce(float), vol.Range(**bounds))(value)
        if typ.startswith("bool"):
            return vol.Boolean()(value)
        if typ.startswith("email"):
            return vol.Email()(value)
        if typ.startswith("url"):
            return vol.Url()(value)
        if typ.startswith("port"):
            return network_port(value)
        if typ.startswith("match"):
            return vol.Match(match.group("match"))(str(value))
        if typ.startswith("list"):
            return vol.In(match.group("list").split("|"))(str(value))
        raise vol.Invalid(f"Type '{typ}' of option '{key}' is not supported here")

    @staticmethod
    def _check_missing(schema: dict[str, Any], options: dict[str, Any], root: str) -> None:
        # options.py:274-291: a missing option is fine only if its type ends in "?"
        # (for a list, its element's type).
        for key in set(schema) - set(options):
            typ = schema[key]
            if isinstance(typ, list) and typ:
                typ = typ[0]
            if isinstance(typ, str) and typ.endswith("?"):
                continue
            raise vol.Invalid(f"Missing option '{key}' in {root}")


def ui_type(typ: str) -> dict[str, Any]:
    """How the Supervisor describes an option to the frontend: apps/options.py:329-405."""
    match = RE_SCHEMA_ELEMENT.match(typ)
    if not match:
        return {}
    node: dict[str, Any] = {"optional": True} if typ.endswith("?") else {"required": True}
    if typ.startswith("password"):
        node.update(type="string", format="password")
    elif typ.startswith(("str", "match")):
        node["type"] = "string"
    elif typ.startswith("url"):
        node.update(type="string", format="url")
    elif typ.startswith("list"):
        node.update(type="select", options=match.group("list").split("|"))
    elif typ.startswith("float"):
        node["type"] = "float"
    elif typ.startswith(("int", "port")):
        node["type"] = "integer"
    elif typ.startswith("bool"):
        node["type"] = "boolean"
    return node
