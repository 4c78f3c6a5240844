"""quality_scale.yaml: the schema hassfest applies, every rule answered, claims checked.

hassfest validates quality_scale.yaml only for integrations in Home Assistant's own tree
(`validate_iqs_file` returns at once for a custom integration, script/hassfest/
quality_scale.py), and hassfest is not part of the homeassistant package. So this test
applies the same schema (rule names and status forms copied from that file) and, like
hassfest's rule validators, checks the "done" claims that can be checked in code.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import voluptuous as vol
from homeassistant.util.yaml import load_yaml_dict

from custom_components.arabic_tts import config_flow, diagnostics, tts

COMPONENT = Path(__file__).parents[2] / "custom_components" / "arabic_tts"

RULES = {
    "bronze": [
        "action-setup", "appropriate-polling", "brands", "common-modules", "config-flow",
        "config-flow-test-coverage", "dependency-transparency", "docs-actions",
        "docs-conditions", "docs-high-level-description", "docs-installation-instructions",
        "docs-removal-instructions", "docs-triggers", "entity-event-setup", "entity-unique-id",
        "has-entity-name", "runtime-data", "test-before-configure", "test-before-setup",
        "unique-config-entry",
    ],
    "silver": [
        "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
        "docs-installation-parameters", "entity-unavailable", "integration-owner",
        "log-when-unavailable", "parallel-updates", "reauthentication-flow", "test-coverage",
    ],
    "gold": [
        "devices", "diagnostics", "discovery", "discovery-update-info", "docs-data-update",
        "docs-examples", "docs-known-limitations", "docs-supported-devices",
        "docs-supported-functions", "docs-troubleshooting", "docs-use-cases", "dynamic-devices",
        "entity-category", "entity-device-class", "entity-disabled-by-default",
        "entity-translations", "exception-translations", "icon-translations",
        "reconfiguration-flow", "repair-issues", "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}  # fmt: skip
ALL_RULES = [rule for tier in RULES.values() for rule in tier]

# hassfest's SCHEMA, rule for rule.
SCHEMA = vol.Schema(
    {
        vol.Required("rules"): vol.Schema(
            {
                vol.Optional(rule): vol.Any(
                    vol.In(["todo", "done"]),
                    vol.Schema(
                        {
                            vol.Required("status"): vol.In(["todo", "done"]),
                            vol.Required("comment"): str,
                        }
                    ),
                    vol.Schema({vol.Required("status"): "exempt", vol.Required("comment"): str}),
                )
                for rule in ALL_RULES
            }
        )
    }
)


def statuses() -> dict[str, str]:
    rules: dict[str, Any] = load_yaml_dict(str(COMPONENT / "quality_scale.yaml"))["rules"]
    return {name: v["status"] if isinstance(v, dict) else v for name, v in rules.items()}


def test_schema_and_every_rule_answered() -> None:
    data = load_yaml_dict(str(COMPONENT / "quality_scale.yaml"))
    SCHEMA(data)
    assert sorted(data["rules"]) == sorted(ALL_RULES)
    for name, value in data["rules"].items():
        if isinstance(value, dict):
            assert value["comment"].strip(), name  # an exemption or a todo says why


def test_done_claims_hold() -> None:
    """The claims hassfest's rule validators would check, checked here."""
    done = {name for name, status in statuses().items() if status == "done"}
    flow = config_flow.ArabicTtsConfigFlow
    claims = {
        "brands": (COMPONENT / "brand" / "icon.png").is_file(),
        "config-flow": (COMPONENT / "config_flow.py").is_file(),
        "reauthentication-flow": "async_step_reauth" in vars(flow),
        "reconfiguration-flow": "async_step_reconfigure" in vars(flow),
        "diagnostics": hasattr(diagnostics, "async_get_config_entry_diagnostics"),
        "parallel-updates": hasattr(tts, "PARALLEL_UPDATES"),
        "runtime-data": "runtime_data" in inspect.getsource(inspect.getmodule(tts.ArabicTtsEntity)),
        "unique-config-entry": "_abort_if_unique_id_configured" in inspect.getsource(flow),
        "test-before-setup": "ConfigEntryAuthFailed" in (COMPONENT / "__init__.py").read_text(),
    }
    for rule, holds in claims.items():
        if rule in done:
            assert holds, rule
