"""``wyoming-arabic-tts probe``: what a real Hamsa or Faseeh account actually does.

The evidence about both providers conflicts and nothing in our tests can reach them;
a user with a key can. The probe runs the free checks (key, lists, every socket auth
form), then, only with ``--yes`` or a "y" at the prompt, one short reply per transport,
and prints a report fit to paste into a bug report (``--json`` for machines). No piece of
any key reaches the report, the JSON or the log.

Exit status: 0 when every configured provider can speak, 1 when one cannot, 2 for a
usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import aiohttp
from arabic_tts_core.faseeh import FaseehVoiceSettings
from arabic_tts_core.redact import Redactor
from arabic_tts_core.voices import FASEEH_DEFAULT_VOICE
from arabic_tts_core.websocket import default_ssl_context

from .. import __version__
from ..flags import FlagParser, add_provider_flags, provider_flag_problem, resolve_provider_urls
from ..logs import LOG_FORMAT, RedactingFilter
from .config import PROBE_TEXT, FaseehProbeConfig, HamsaProbeConfig
from .faseeh import FaseehProbe
from .hamsa import HamsaProbe
from .report import Report, render_text, to_json
from .steps import Clock

PROG = "wyoming-arabic-tts probe"
HAMSA = "hamsa"
FASEEH = "faseeh"
DEFAULT_HAMSA_VOICE = "Ali"
USAGE_ERROR = 2

# What one run sends, per provider: (transport, what it is called).
SYNTHESES = {HAMSA: ("WebSocket",), FASEEH: ("WebSocket", "REST")}

Ask = Callable[[str], str]


def build_parser() -> argparse.ArgumentParser:
    """The probe's flags: its own, and the server's provider flags (shared)."""
    parser = FlagParser(
        prog=PROG,
        description="Check what a Hamsa or Faseeh account does: the key, the voice lists, "
        "each way of sending the key, and (with --yes) one short reply per transport. "
        "Prints a report to paste into a bug report; keys never appear in it.",
    )
    parser.add_argument(
        "--provider",
        choices=(HAMSA, FASEEH),
        help="probe only this provider (default: every provider with a key)",
    )
    parser.add_argument(
        "--json", metavar="FILE", help="also write the report as JSON to FILE ('-': stdout)"
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="spend credits without asking: one short sentence per transport "
        f"({len(PROBE_TEXT)} characters each)",
    )
    parser.add_argument(
        "--hamsa-voice",
        default=DEFAULT_HAMSA_VOICE,
        metavar="VOICE",
        help="Hamsa voice to speak with: Speaker, Speaker-dialect or a cloned voice's UUID "
        f"(default {DEFAULT_HAMSA_VOICE})",
    )
    parser.add_argument(
        "--faseeh-voice",
        default=FASEEH_DEFAULT_VOICE,
        metavar="ID",
        help=f"Faseeh voice id to speak with (default {FASEEH_DEFAULT_VOICE})",
    )
    add_provider_flags(parser)
    parser.add_argument("--debug", action="store_true", help="log DEBUG messages (redacted)")
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse and check the flags (exits with status 2 on a usage error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.provider == HAMSA and not args.hamsa_api_key:
        parser.error("--provider hamsa needs a Hamsa key: set HAMSA_API_KEY or --hamsa-api-key")
    if args.provider == FASEEH and not args.faseeh_api_key:
        parser.error("--provider faseeh needs a Faseeh key: set FASEEH_API_KEY or --faseeh-api-key")
    if not args.hamsa_api_key and not args.faseeh_api_key:
        parser.error(
            "no key to probe: set HAMSA_API_KEY and/or FASEEH_API_KEY "
            "(or --hamsa-api-key / --faseeh-api-key)"
        )
    if (problem := provider_flag_problem(args)) is not None:
        parser.error(problem)
    try:
        args.faseeh_settings = FaseehVoiceSettings(
            voice_id=args.faseeh_voice,
            model_id=args.faseeh_model,
            sample_rate=args.faseeh_sample_rate,
            dialect=args.faseeh_dialect,
        )
    except ValueError as err:
        parser.error(str(err))
    resolve_provider_urls(args)
    args.providers = [
        name
        for name, key in ((HAMSA, args.hamsa_api_key), (FASEEH, args.faseeh_api_key))
        if key and args.provider in (None, name)
    ]
    return args


def run(argv: Sequence[str] | None = None) -> int:
    """Console entry point (``wyoming-arabic-tts probe ...``); returns the exit status."""
    try:
        return asyncio.run(
            probe(
                sys.argv[2:] if argv is None else argv,
                stdout=sys.stdout,
                stderr=sys.stderr,
                ask=_ask_terminal if sys.stdin.isatty() else None,
            )
        )
    except KeyboardInterrupt:
        return 130


async def probe(
    argv: Sequence[str], *, stdout: TextIO, stderr: TextIO, ask: Ask | None = None
) -> int:
    """Run the probe; ``ask`` reads the answer to a prompt (None: no terminal to ask)."""
    try:
        args = parse_args(argv)
    except SystemExit as leaving:  # argparse: usage errors and --help
        return leaving.code if isinstance(leaving.code, int) else USAGE_ERROR
    redactor = Redactor([args.hamsa_api_key, args.faseeh_api_key])
    root = logging.getLogger()
    level = root.level
    handler = _setup_logging(stderr, args.debug, [args.hamsa_api_key, args.faseeh_api_key])
    try:
        return await _probe(args, redactor, stdout=stdout, stderr=stderr, ask=ask)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def _probe(
    args: argparse.Namespace,
    redactor: Redactor,
    *,
    stdout: TextIO,
    stderr: TextIO,
    ask: Ask | None,
) -> int:
    def progress(line: str) -> None:
        print(redactor.text(f"probe: {line}"), file=stderr, flush=True)

    allowed, reason = await _consent(args, stderr, ask, redactor)
    report = Report(
        version=__version__,
        started_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        synthesis={
            "text": PROBE_TEXT,
            "characters": len(PROBE_TEXT),
            "allowed": allowed,
            "reason": reason,
            "planned": _plan(args.providers),
        },
    )
    clock = Clock()
    # Reading the CA store blocks: once, in a thread, as the server does.
    ssl_context = await asyncio.to_thread(default_ssl_context)
    connector = aiohttp.TCPConnector(ssl=ssl_context)
    async with aiohttp.ClientSession(connector=connector) as session:
        probes: list[HamsaProbe | FaseehProbe] = []
        if HAMSA in args.providers:
            probes.append(HamsaProbe(_hamsa_config(args), session, ssl_context, clock, progress))
        if FASEEH in args.providers:
            probes.append(FaseehProbe(_faseeh_config(args), session, ssl_context, clock, progress))
        for one in probes:
            await one.run_free_steps()
        why_not = f"skipped: {reason}"
        for one in probes:
            await one.run_synthesis(allowed, why_not, PROBE_TEXT)
            one.decide(allowed)
            report.providers.append(one.report)
    data = redactor.data(report.as_dict())
    text = redactor.text(render_text(data))
    if args.json == "-":
        stdout.write(to_json(data))
        stderr.write(text)
    else:
        stdout.write(text)
        if args.json:
            try:
                await asyncio.to_thread(Path(args.json).write_text, to_json(data), "utf-8")
            except OSError as err:
                print(f"{PROG}: cannot write {args.json}: {err.strerror}", file=stderr)
                return USAGE_ERROR
    stdout.flush()
    return report.exit_status


async def _consent(
    args: argparse.Namespace, stderr: TextIO, ask: Ask | None, redactor: Redactor
) -> tuple[bool, str]:
    """Whether synthesis may spend credits, and why (asked before anything is sent)."""
    plan = _plan(args.providers)
    total = sum(item["characters"] for item in plan)
    sends = ", ".join(
        f"{item['characters']} characters to {item['provider']} ({item['transport']})"
        for item in plan
    )
    statement = (
        f"Synthesis sends one short sentence per transport: {sends}; {total} characters in "
        "all, billed by the provider as usual."
    )
    if args.yes:
        print(redactor.text(f"probe: {statement} Confirmed with --yes."), file=stderr)
        return True, "confirmed with --yes"
    if ask is None:
        print(
            f"probe: {statement} Not sent: run with --yes to include it (only the free checks "
            "run now).",
            file=stderr,
        )
        return False, f"not confirmed: run with --yes to send {total} characters"
    answer = await _ask_in_daemon_thread(ask, f"{statement} Send it? [y/N] ")
    if answer.strip().lower() in ("y", "yes"):
        return True, "confirmed at the prompt"
    return False, "declined at the prompt"


async def _ask_in_daemon_thread(ask: Ask, prompt: str) -> str:
    """``ask(prompt)`` without blocking the loop, in a thread that does not hold the
    process: on Ctrl-C at the prompt the probe ends at once (``asyncio.to_thread`` would
    wait for the terminal read to finish, that is for the user to press Enter)."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()

    def settle(value: str | None, error: BaseException | None) -> None:
        if answer.done():
            return
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(value or "")

    def read() -> None:
        try:
            value, error = ask(prompt), None
        except Exception as err:  # EOF, a closed terminal: no consent
            value, error = None, err
        with contextlib.suppress(RuntimeError):  # the loop is gone (Ctrl-C)
            loop.call_soon_threadsafe(settle, value, error)

    threading.Thread(target=read, name="probe-prompt", daemon=True).start()
    return await answer


def _plan(providers: Sequence[str]) -> list[dict[str, Any]]:
    names = {HAMSA: "Hamsa", FASEEH: "Faseeh"}
    return [
        {"provider": names[provider], "transport": transport, "characters": len(PROBE_TEXT)}
        for provider in providers
        for transport in SYNTHESES[provider]
    ]


def _ask_terminal(prompt: str) -> str:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    return sys.stdin.readline()


def _hamsa_config(args: argparse.Namespace) -> HamsaProbeConfig:
    return HamsaProbeConfig(
        api_key=args.hamsa_api_key,
        ws_url=args.hamsa_url,
        api_url=args.hamsa_api_url,
        pool_size=args.hamsa_pool,
        connect_interval=args.hamsa_connect_interval,
        timeout=args.provider_timeout,
        voice=args.hamsa_voice,
    )


def _faseeh_config(args: argparse.Namespace) -> FaseehProbeConfig:
    return FaseehProbeConfig(
        api_key=args.faseeh_api_key,
        ws_url=args.faseeh_url,
        api_url=args.faseeh_api_url,
        own_api_url=args.faseeh_own_api_url,
        region=args.faseeh_region,
        transport=args.faseeh_transport,
        settings=args.faseeh_settings,
        timeout=args.provider_timeout,
    )


def _setup_logging(stream: TextIO, debug: bool, secrets: list[str | None]) -> logging.Handler:
    """Log to ``stream`` (WARNING, or DEBUG with --debug), every piece of a key removed."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RedactingFilter(secrets, pieces=True))
    root = logging.getLogger()
    root.addHandler(handler)
    handler.setLevel(logging.DEBUG if debug else logging.WARNING)
    if debug:
        root.setLevel(logging.DEBUG)
    return handler
