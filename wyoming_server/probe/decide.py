"""The verdict: which transport and settings the server would settle on for this account.

The rules are the server's own (``faseeh_transport`` for Faseeh: the socket unless it
refuses the key while REST accepts it, fails as a transport, or stays silent past the
first-audio limit; Hamsa: its socket with the key in the header, the pool and the pace),
applied to what the probe saw. Without a synthesis some of it cannot be known yet; the
verdict says what.
"""

from __future__ import annotations

from typing import Any

from arabic_tts_core.budget import DEFAULT_FIRST_AUDIO_DEADLINE
from arabic_tts_core.faseeh import REGIONS, TRANSPORT_REST, TRANSPORT_WEBSOCKET
from arabic_tts_core.faseeh_transport import FIRST_AUDIO_LIMIT, SOCKET_SHARE
from arabic_tts_core.faseeh_ws import MAX_QUIET_AFTER_FINAL, QUIET_AFTER_FINAL
from arabic_tts_core.hamsa import SHORT_REPLY_RETRIES

from .config import FaseehProbeConfig, HamsaProbeConfig
from .report import OK, REFUSED, SKIPPED, ProviderReport, Step, Verdict

# The socket auth forms the server can use, in the order it tries them.
SERVER_FASEEH_FORMS = ("init", "query")
FORM_WORDS = {
    "init": "x_api_key in initConnection",
    "query": "?x-api-key= in the URL",
    "header": "the x-api-key header",
}


def _ok(step: Step | None) -> bool:
    return step is not None and step.outcome == OK


def _said(step: Step | None) -> str:
    """A step's failure in a few words: our code and the provider's text."""
    if step is None:
        return "not tried"
    if step.provider_text:
        return f"{step.error_code or step.outcome}: {step.provider_text}"
    if step.details:
        return f"{step.error_code or step.outcome}: {step.details[-1]}"
    return step.outcome


def _ran(step: Step | None) -> bool:
    return step is not None and step.outcome != SKIPPED


# --- Faseeh ------------------------------------------------------------------------------


def faseeh_first_audio_limit(timeout: float) -> float:
    """The server's wait for a socket's first audio in ``auto`` with its default voice to
    fall back on (faseeh_transport.py: the socket's share of the first-audio deadline)."""
    return min(FIRST_AUDIO_LIMIT, timeout / 2, DEFAULT_FIRST_AUDIO_DEADLINE * SOCKET_SHARE)


def breaker_checks(report: ProviderReport, checks: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """What each transport's background check would find now. The server checks a
    resting transport for free (breaker.py), with what this probe's free steps do: a
    socket that opens (and greets or initialises), a key check over REST."""
    found: dict[str, str] = {}
    for transport, step_ids in checks.items():
        steps = [step for step_id in step_ids if _ran(step := report.step(step_id)) and step]
        if not steps:
            found[transport] = "not checked"
        elif any(_ok(step) for step in steps):
            found[transport] = "passes"
        else:
            found[transport] = f"fails ({_said(steps[-1])})"
    return found


def faseeh_verdict(
    report: ProviderReport, config: FaseehProbeConfig, synthesis_ran: bool
) -> Verdict:
    """What the server would do with this Faseeh account (see the module docstring)."""
    settings: dict[str, Any] = {
        "region": REGIONS[config.region].label,
        "transport_mode": config.transport,
        "model": config.settings.model_id,
        "voice": config.settings.voice_id,
        "sample_rate": config.settings.sample_rate,
        "dialect": config.settings.dialect,
    }
    settings["breaker_checks"] = breaker_checks(
        report,
        {
            TRANSPORT_WEBSOCKET: tuple(f"socket_auth_{form}" for form in SERVER_FASEEH_FORMS),
            TRANSPORT_REST: ("key",),
        },
    )
    key = report.step("key")
    if not _ok(key):
        return _faseeh_key_verdict(key, settings)
    reasons: list[str] = []
    unknown: list[str] = []
    if key is not None and key.data.get("model_listed") is False:
        reasons.append(
            f"the account does not list the model {config.settings.model_id}: requests may "
            "be refused (choose one of the listed models with --faseeh-model)"
        )
    form = next(
        (form for form in SERVER_FASEEH_FORMS if _ok(report.step(f"socket_auth_{form}"))), None
    )
    transport, why = _faseeh_transport(report, config, form, synthesis_ran)
    reasons.insert(0, why)
    socket = report.step("synthesis_socket")
    if transport == TRANSPORT_WEBSOCKET:
        settings["socket_auth"] = FORM_WORDS[form] if form else None
        gaps = socket.data.get("gaps_after_final_s", []) if _ok(socket) and socket else []
        settings["socket_reuse"] = not gaps
        if gaps:
            quiet = min(MAX_QUIET_AFTER_FINAL, max(QUIET_AFTER_FINAL, 2 * max(gaps)))
            settings["quiet_after_final_s"] = round(quiet, 2)
            reasons.append(
                f"audio came {max(gaps):.2f} s after an isFinal: isFinal ends batches on this "
                f"account, so every reply waits {quiet:.2f} s of quiet after isFinal and no "
                "socket is reused"
            )
    if not synthesis_ran and transport == TRANSPORT_WEBSOCKET:
        unknown += [
            "whether the WebSocket speaks at all (a silent socket can only be seen with --yes; "
            "the server then moves to REST after the first request)",
            "whether isFinal ends batches (only a reply shows it)",
            "whether the wallet can pay (only a reply shows it)",
        ]
    elif not synthesis_ran:
        unknown.append("whether the wallet can pay (only a reply shows it: run with --yes)")
    speaking = report.step(
        "synthesis_socket" if transport == TRANSPORT_WEBSOCKET else "synthesis_rest"
    )
    if form is None and transport == TRANSPORT_WEBSOCKET:
        can_speak = False
    elif synthesis_ran and _ran(speaking):
        can_speak = _ok(speaking)
        if not can_speak:
            reasons.append(f"the reply over {_name(transport)} failed ({_said(speaking)})")
    else:
        can_speak = True
    summary = (
        f"The server would speak over {_name(transport)}"
        + (f" with {FORM_WORDS[form]}" if transport == TRANSPORT_WEBSOCKET and form else "")
        + "."
    )
    return Verdict(can_speak, transport, summary, settings, reasons, unknown)


def _name(transport: str | None) -> str:
    return {TRANSPORT_WEBSOCKET: "the WebSocket", TRANSPORT_REST: "REST"}.get(
        transport or "", "nothing"
    )


def _faseeh_key_verdict(key: Step | None, settings: dict[str, Any]) -> Verdict:
    hint = key.data.get("region_hint") if key is not None else None
    if hint:
        label = REGIONS[hint].label
        return Verdict(
            False,
            None,
            f"The key belongs to the {label} region: run with --faseeh-region {hint}.",
            settings,
            [f"REST refused the key in the {settings['region']} region ({_said(key)})"],
        )
    refused = key is not None and key.outcome == REFUSED
    return Verdict(
        False,
        None,
        "Faseeh refused the key." if refused else "Faseeh's REST API could not check the key.",
        settings,
        [f"GET /models: {_said(key)}"],
    )


def _faseeh_transport(
    report: ProviderReport, config: FaseehProbeConfig, form: str | None, synthesis_ran: bool
) -> tuple[str, str]:
    """(transport, why), by the rules of ``faseeh_transport``."""
    if config.transport == TRANSPORT_REST:
        return TRANSPORT_REST, "REST was chosen with --faseeh-transport rest"
    if config.settings.needs_rest:
        return (
            TRANSPORT_REST,
            f"the dialect {config.settings.dialect} exists only over REST (every request "
            "goes over REST; the account stays where it is)",
        )
    if config.transport == TRANSPORT_WEBSOCKET:
        if form is None:
            return (
                TRANSPORT_WEBSOCKET,
                "the WebSocket was chosen with --faseeh-transport websocket, but it refused "
                f"every form of the key the server uses ({_refusals(report)}); no REST fallback",
            )
        return TRANSPORT_WEBSOCKET, "the WebSocket was chosen with --faseeh-transport websocket"
    # auto
    if form is None:
        refused = any(
            (step := report.step(f"socket_auth_{f}")) is not None
            and step.error_code == "auth_failed"
            for f in SERVER_FASEEH_FORMS
        )
        if refused:
            return (
                TRANSPORT_REST,
                f"the WebSocket refused the key ({_refusals(report)}) while REST accepted it",
            )
        return (
            TRANSPORT_REST,
            f"the WebSocket failed before any audio ({_refusals(report)}); the first request "
            "moves the account to REST",
        )
    socket = report.step("synthesis_socket")
    if not synthesis_ran or not _ran(socket) or socket is None:
        return (
            TRANSPORT_WEBSOCKET,
            f"the WebSocket accepted the key ({FORM_WORDS[form]}); auto stays on it unless a "
            "reply shows it silent",
        )
    limit = faseeh_first_audio_limit(config.timeout)
    first = socket.data.get("first_audio_s")
    if socket.data.get("silent"):
        return (
            TRANSPORT_REST,
            f"the WebSocket accepted the text but sent no audio within {limit:g} s of the "
            "trigger (a silent socket)",
        )
    if isinstance(first, float | int) and first > limit:
        return (
            TRANSPORT_REST,
            f"the WebSocket's first audio came {first:.2f} s after the trigger; the server "
            f"waits at most {limit:g} s before it moves the account to REST",
        )
    if socket.error_code in ("provider_unavailable", "timeout") or socket.data.get("unreadable"):
        return (
            TRANSPORT_REST,
            f"the WebSocket failed before any audio ({_said(socket)}); the server moves the "
            "account to REST",
        )
    return TRANSPORT_WEBSOCKET, f"the WebSocket accepted the key ({FORM_WORDS[form]}) and spoke"


def _refusals(report: ProviderReport) -> str:
    said = [
        f"{FORM_WORDS[form]}: {_said(step)}"
        for form in SERVER_FASEEH_FORMS
        if (step := report.step(f"socket_auth_{form}")) is not None
    ]
    return "; ".join(said) or "not tried"


# --- Hamsa -------------------------------------------------------------------------------


def hamsa_verdict(report: ProviderReport, config: HamsaProbeConfig, synthesis_ran: bool) -> Verdict:
    """What the server would do with this Hamsa account: its socket, key in the header."""
    speaker, dialect = config.speaker_and_dialect
    catalogue = report.step("catalogue")
    ids = catalogue.data.get("with_ids", 0) if _ok(catalogue) and catalogue else 0
    settings: dict[str, Any] = {
        "socket_auth": "X-Api-Key header",
        "pool": config.pool_size,
        "connect_interval_s": config.connect_interval,
        "short_reply_retries": SHORT_REPLY_RETRIES,
        "short_reply_retry": "at once, on another warm connection or the REST stream",
        "no_warm_connection_free": "the REST stream at once (never a wait for the pace)",
        "voice": f"{speaker} ({dialect})",
        "catalogue_ids": ids,
        "breaker_checks": breaker_checks(
            report, {"websocket": ("socket_auth_header",), "rest": ("key",)}
        ),
    }
    reasons: list[str] = []
    unknown: list[str] = []
    key = report.step("key")
    header = report.step("socket_auth_header")
    query = report.step("socket_auth_query")
    if not _ok(key):
        reasons.append(f"the key check failed ({_said(key)})")
    if ids:
        reasons.append(
            f"requests name voices by catalogue id ({ids} known), which pins a speaker's accent"
        )
    elif _ran(catalogue):
        reasons.append("the catalogue gave no ids: requests name speakers by name")
    if catalogue is not None and catalogue.data.get("all_bcp47") is False and _ok(catalogue):
        kinds = catalogue.data.get("tag_kinds", {})
        odd = sorted(tag for tag, kind in kinds.items() if kind != "bcp47")
        reasons.append(
            "the catalogue's language tags are not all BCP-47 ("
            + ", ".join(odd)
            + "): those are read as Hamsa dialect codes or left to the speaker's own dialect"
        )
    if _ok(header):
        can_speak = _ok(key) or not _ran(key)
        summary = "The server would speak over the WebSocket with the key in the X-Api-Key header."
        reasons.insert(0, "the socket accepted the key in the X-Api-Key header")
    elif _ok(query):
        can_speak = False
        summary = (
            "The socket refuses the key in the X-Api-Key header but accepts ?api_key=: the "
            "server sends the header, so it cannot speak. Please report this."
        )
        reasons.insert(0, f"header: {_said(header)}")
    else:
        can_speak = False
        summary = "The socket refused the key in both forms."
        reasons.insert(0, f"header: {_said(header)}; ?api_key=: {_said(query)}")
    speaking = report.step("synthesis_socket")
    if can_speak and synthesis_ran and _ran(speaking) and speaking is not None:
        can_speak = _ok(speaking)
        if speaking.data.get("implausibly_short"):
            reasons.append(
                "the reply was implausibly short (Hamsa's 640-byte glitch): the server retries "
                f"such replies up to {SHORT_REPLY_RETRIES} times, at once, on another warm "
                "connection or over the REST stream; run the "
                "probe again, and report it if it repeats"
            )
        elif not can_speak:
            reasons.append(f"the reply failed ({_said(speaking)})")
    elif can_speak and not synthesis_ran:
        unknown += [
            "whether replies are whole (Hamsa's 640-byte glitch shows only in a reply: run "
            "with --yes)",
            "whether the wallet can pay (an empty wallet is refused only when speaking, with "
            "close 4003)",
        ]
    return Verdict(
        can_speak, "websocket" if _ok(header) else None, summary, settings, reasons, unknown
    )


__all__ = ["breaker_checks", "faseeh_first_audio_limit", "faseeh_verdict", "hamsa_verdict"]
