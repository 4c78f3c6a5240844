"""Command line entry point: ``wyoming-arabic-tts`` and ``python -m wyoming_server``.

Flags, defaults and environment variables are part of the contract in design.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
import ssl
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from arabic_tts_core.budget import DEFAULT_FIRST_AUDIO_DEADLINE, DEFAULT_STALL_TIMEOUT, Budget
from arabic_tts_core.errors import UnknownVoice
from arabic_tts_core.fallback import FallbackPolicy
from arabic_tts_core.frontend import STEPS, TextPolicy, parse_steps
from arabic_tts_core.hamsa import is_custom_voice_id
from arabic_tts_core.native_imports import import_numpy
from arabic_tts_core.offline import espeak_available
from arabic_tts_core.piper_catalog import DEFAULT_VOICE as DEFAULT_PIPER_VOICE
from arabic_tts_core.piper_model import onnxruntime_available
from arabic_tts_core.websocket import default_ssl_context
from wyoming.server import AsyncServer, AsyncTcpServer
from wyoming.tts import SynthesizeVoice

from . import __version__
from . import download as download_command
from .download import add_data_flags, data_dir
from .flags import (
    FlagParser,
    add_provider_flags,
    non_negative_float,
    positive_float,
    positive_int,
    provider_flag_problem,
    resolve_provider_urls,
)
from .handler import ArabicTtsEventHandler, ServerContext
from .info import build_info, piper_status
from .lexicon import LexiconFile
from .limits import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_EVENT_BYTES,
    DEFAULT_MAX_TEXT_CHARS,
    ServerLimits,
)
from .logs import REDACTED, setup_logging
from .piper_voice import NONE as PIPER_NONE
from .piper_voice import PiperService, resolve_piper_voice
from .providers import ProviderConfig, Providers
from .text import ENGINES, ServerText
from .voices import OFFLINE_VOICE_NAME, PIPER, VoiceCatalog, VoiceRoute, build_catalog

_LOGGER = logging.getLogger("wyoming_server")  # not "__main__" under python -m

DEFAULT_URI = "tcp://0.0.0.0:10200"
PROBE_COMMAND = "probe"
PROG = "wyoming-arabic-tts"
DEFAULT_ZEROCONF_NAME = "arabic-tts"
SECRET_ARGS = ("hamsa_api_key", "faseeh_api_key")
SHUTDOWN_GRACE = 3.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
FALLBACK_OFFLINE = "offline"
FALLBACK_NONE = "none"


def _custom_voice(value: str) -> str:
    if not is_custom_voice_id(value):
        raise argparse.ArgumentTypeError(f"'{value}' is not a Hamsa custom voice id (a UUID)")
    return value


def _text_steps(value: str) -> TextPolicy:
    try:
        return parse_steps(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def build_parser() -> argparse.ArgumentParser:
    """Every flag in the contract."""
    parser = FlagParser(
        prog=PROG,
        description="Wyoming text-to-speech server for Arabic (Hamsa, Faseeh, offline Piper "
        "and espeak-ng).",
        epilog=f"To check what your Hamsa or Faseeh account does: {PROG} {PROBE_COMMAND} "
        f"--help. To fetch Piper voices ahead of time: {PROG} {download_command.COMMAND} --help",
    )
    parser.add_argument(
        "--uri", default=DEFAULT_URI, help=f"tcp://, unix:// or stdio:// (default {DEFAULT_URI})"
    )
    add_provider_flags(parser)
    parser.add_argument(
        "--custom-voice",
        action="append",
        default=[],
        type=_custom_voice,
        metavar="UUID",
        help="Hamsa cloned voice id, offered as hamsa-<UUID> (repeatable)",
    )
    parser.add_argument(
        "--samples-per-chunk", type=positive_int, default=1024, help="samples per AudioChunk"
    )
    parser.add_argument(
        "--piper-voice",
        default=DEFAULT_PIPER_VOICE,
        metavar="NAME_OR_PATH",
        help="the offline neural voice: ar_JO-kareem-medium or ar_JO-kareem-low (downloaded "
        "into --data-dir when missing), a path to a Piper .onnx file (its .onnx.json beside "
        f"it), or {PIPER_NONE} (default {DEFAULT_PIPER_VOICE})",
    )
    add_data_flags(parser)
    parser.add_argument(
        "--fallback",
        choices=(FALLBACK_OFFLINE, FALLBACK_NONE),
        default=None,
        help="when a cloud voice fails (key, wallet, rate limit, timeout, outage), speak the "
        f"rest with the offline voice {OFFLINE_VOICE_NAME} (default: offline when espeak-ng "
        "is installed, else none)",
    )
    parser.add_argument(
        "--fallback-voice",
        metavar="NAME",
        default=None,
        help="another voice to try first when the requested one fails, e.g. faseeh-ar-najdi-male-2",
    )
    # The time budget (arabic_tts_core/budget.py): how long a voice may keep a reply
    # waiting while another voice could speak it.
    parser.add_argument(
        "--first-audio-deadline",
        type=positive_float,
        default=DEFAULT_FIRST_AUDIO_DEADLINE,
        metavar="SECONDS",
        help="seconds a voice has to start a reply before the next voice (--fallback-voice, "
        "--fallback) speaks it, so the reply starts within 1.5 s "
        f"(default {DEFAULT_FIRST_AUDIO_DEADLINE:g})",
    )
    parser.add_argument(
        "--stall-timeout",
        type=positive_float,
        default=DEFAULT_STALL_TIMEOUT,
        metavar="SECONDS",
        help="seconds without audio in the middle of a reply before the next voice speaks "
        f"the rest (default {DEFAULT_STALL_TIMEOUT:g})",
    )
    # What one client may cost the server (limits.py); a limit past which a client gets
    # an error event and a closed connection.
    parser.add_argument(
        "--max-event-bytes",
        type=positive_int,
        default=DEFAULT_MAX_EVENT_BYTES,
        metavar="N",
        help="largest event a client may send: header, data and payload together "
        f"(default {DEFAULT_MAX_EVENT_BYTES})",
    )
    parser.add_argument(
        "--max-text-chars",
        type=positive_int,
        default=DEFAULT_MAX_TEXT_CHARS,
        metavar="N",
        help=f"longest text of one request, plain or streamed (default {DEFAULT_MAX_TEXT_CHARS})",
    )
    parser.add_argument(
        "--idle-timeout",
        type=non_negative_float,
        default=DEFAULT_IDLE_TIMEOUT,
        metavar="S",
        help="seconds a connection may send nothing while nothing is spoken for it, or read "
        f"nothing of its reply, before it is closed; 0 = never (default {DEFAULT_IDLE_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-connections",
        type=positive_int,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help="most clients connected at once; the next one gets an error and is closed "
        f"(default {DEFAULT_MAX_CONNECTIONS})",
    )
    parser.add_argument(
        "--zeroconf",
        nargs="?",
        const=DEFAULT_ZEROCONF_NAME,
        metavar="NAME",
        help=f"advertise _wyoming._tcp for discovery (default name {DEFAULT_ZEROCONF_NAME})",
    )
    # Text front-end: the steps each engine's text goes through (docs/text-frontend.md).
    for engine in ENGINES:
        default = TextPolicy.default_for(engine)
        parser.add_argument(
            f"--{engine}-text",
            type=_text_steps,
            default=default,
            metavar="STEPS",
            help=f"text steps for {engine} voices: any of {','.join(STEPS)}, or none "
            f"(default {default.describe()})",
        )
    parser.add_argument(
        "--lexicon",
        type=Path,
        metavar="FILE",
        default=None,
        help="pronunciation lexicon for every voice: one 'written = spoken' a line, # comments, "
        "UTF-8; reread when the file changes",
    )
    parser.add_argument("--debug", action="store_true", help="log DEBUG messages")
    parser.add_argument("--version", action="version", version=__version__)
    return parser


def redacted_args(args: argparse.Namespace) -> dict[str, Any]:
    """The arguments, safe to log."""
    return {
        key: (REDACTED if key in SECRET_ARGS and value else value)
        for key, value in vars(args).items()
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse and check the command line (a provider is on when its key is given).

    Also sets ``args.offline``: whether espeak-ng is installed, which offers the offline
    voice and makes ``--fallback offline`` the default. Without any key the server still
    starts when it can speak offline, so a new user hears Arabic before signing up.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    args.offline = espeak_available()
    if not args.hamsa_api_key and not args.faseeh_api_key and not args.offline:
        parser.error(
            "no provider configured: set HAMSA_API_KEY and/or FASEEH_API_KEY "
            "(or --hamsa-api-key / --faseeh-api-key), or install espeak-ng for the "
            "offline voice"
        )
    if args.fallback is None:
        args.fallback = FALLBACK_OFFLINE if args.offline else FALLBACK_NONE
    elif args.fallback == FALLBACK_OFFLINE and not args.offline:
        parser.error("--fallback offline needs espeak-ng (apt-get install espeak-ng)")
    if args.custom_voice and not args.hamsa_api_key:
        parser.error("--custom-voice needs a Hamsa API key")
    if args.zeroconf and not args.uri.startswith("tcp://"):
        parser.error("--zeroconf needs a tcp:// --uri")
    if (problem := provider_flag_problem(args)) is not None:
        parser.error(problem)
    resolve_provider_urls(args)
    args.data_dir = data_dir(args)
    try:
        args.piper_source = resolve_piper_voice(args.piper_voice, args.data_dir)
    except ValueError as err:
        parser.error(f"--piper-voice: {err}")
    return args


async def main(argv: Sequence[str] | None = None) -> None:
    """Start providers, serve until SIGTERM/SIGINT, then close everything."""
    args = parse_args(argv)
    setup_logging(debug=args.debug, secrets=[args.hamsa_api_key or "", args.faseeh_api_key or ""])
    _LOGGER.debug("Arguments: %s", redacted_args(args))
    # Reading the CA store blocks: do it once, in a thread, before any connection.
    ssl_context = await asyncio.to_thread(default_ssl_context)

    providers = Providers(
        ProviderConfig(
            hamsa_api_key=args.hamsa_api_key,
            hamsa_url=args.hamsa_url,
            hamsa_api_url=args.hamsa_api_url,
            faseeh_api_key=args.faseeh_api_key,
            faseeh_url=args.faseeh_url,
            faseeh_api_url=args.faseeh_api_url if args.faseeh_own_api_url else None,
            faseeh_model=args.faseeh_model,
            provider_timeout=args.provider_timeout,
            offline=args.offline,
            ssl_context=ssl_context,
            faseeh_region=args.faseeh_region,
            faseeh_transport=args.faseeh_transport,
            faseeh_dialect=args.faseeh_dialect,
            faseeh_sample_rate=args.faseeh_sample_rate,
            hamsa_pool=args.hamsa_pool,
            hamsa_connect_interval=args.hamsa_connect_interval,
        )
    )
    loop = asyncio.get_running_loop()
    text = ServerText.create(
        {engine: getattr(args, f"{engine}_text") for engine in ENGINES},
        LexiconFile(args.lexicon) if args.lexicon else None,
    )
    piper = piper_service(args, ssl_context)
    try:
        if text.lexicon is not None:
            await text.lexicon.load()  # before the first request
        catalog = text.apply(
            build_catalog(
                hamsa=providers.hamsa,
                faseeh=providers.faseeh,
                offline=providers.offline,
                piper=piper,
                custom_voices=args.custom_voice,
                faseeh_settings=providers.faseeh_settings,
                faseeh_live_voices=await providers.faseeh_live_voices(),
            )
        )
        context = ServerContext(
            catalog=catalog,
            info_event=build_info(catalog, piper_status(piper)).event(),
            samples_per_chunk=args.samples_per_chunk,
            fallback=fallback_policy(args, catalog),
            text=text,
            limits=server_limits(args),
        )
        _log_voices(args, context)
        _LOGGER.debug(
            "Text steps: %s",
            "; ".join(f"{engine} {policy.describe()}" for engine, policy in text.policies.items()),
        )
        # Everything made so far (about 800 voice routes among it) lives as long as the
        # process: out of the collector's sight, full collections stay short while many
        # replies stream (per-chunk p99 at 100 streams, see docs/benchmarks.md).
        gc.collect()
        gc.freeze()
        if text.vowelizer is not None or piper is not None:
            # Before the models load in worker threads: the event loop's own first use
            # of numpy (resampling) must not race their first import of it.
            await asyncio.to_thread(import_numpy)
        providers.start(args.custom_voice)
        text.start()
        if piper is not None:
            piper.on_change = lambda: context.refresh_info(
                build_info(catalog, piper_status(piper)).event()
            )
            piper.start()
        await _serve(args, context)
    finally:
        try:
            if piper is not None:
                await piper.close()
            await text.close()
            await providers.close()
            _LOGGER.info("Stopped")
        finally:
            for signum in STOP_SIGNALS:
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(signum)
                # Still stopping (worker threads end, the interpreter tears down): a second
                # SIGTERM (docker stop, systemd, a supervisor) must not turn a clean exit
                # into a kill. SIGKILL still works. main() runs only as the process's main.
                with contextlib.suppress(ValueError, OSError):
                    signal.signal(signum, signal.SIG_IGN)


def piper_service(
    args: argparse.Namespace, ssl_context: ssl.SSLContext | None
) -> PiperService | None:
    """The Piper voice, or None (and why, in the log) when it is off or cannot run here."""
    source = args.piper_source
    if source is None:
        return None
    if not args.offline:
        _LOGGER.info(
            "No Piper voice: it needs espeak-ng for its phonemes (apt-get install espeak-ng)"
        )
        return None
    if not onnxruntime_available():
        _LOGGER.warning(
            "No Piper voice: onnxruntime is not installed (pip install "
            "'wyoming-arabic-tts[piper]'); %s is espeak-ng",
            OFFLINE_VOICE_NAME,
        )
        return None
    return PiperService(
        source,
        base_url=args.piper_voices_url,
        ssl_context=ssl_context,
        timeout=args.provider_timeout,
    )


def fallback_policy(args: argparse.Namespace, catalog: VoiceCatalog) -> FallbackPolicy:
    """The voices that take over when a requested voice fails, in order."""
    voices: list[VoiceRoute] = []
    if args.fallback_voice:
        try:
            voices.append(catalog.resolve(SynthesizeVoice(name=args.fallback_voice)))
        except UnknownVoice as err:
            raise SystemExit(
                f"wyoming-arabic-tts: error: --fallback-voice {args.fallback_voice}: {err.message}"
            ) from None
    if args.fallback == FALLBACK_OFFLINE:
        voices.append(catalog.resolve(SynthesizeVoice(name=OFFLINE_VOICE_NAME)))
    unique = {voice.name: voice for voice in voices}  # --fallback-voice offline-ar: once
    budget = Budget(args.first_audio_deadline, args.stall_timeout)
    return FallbackPolicy(tuple(unique.values()), budget)


def server_limits(args: argparse.Namespace) -> ServerLimits:
    """The limits from the command line (``--idle-timeout 0``: no idle limit)."""
    return ServerLimits(
        max_event_bytes=args.max_event_bytes,
        max_text_chars=args.max_text_chars,
        idle_timeout=args.idle_timeout or None,
        max_connections=args.max_connections,
    )


def _log_voices(args: argparse.Namespace, context: ServerContext) -> None:
    """Say plainly what this server can speak with and what happens when the cloud fails."""
    if not args.hamsa_api_key and not args.faseeh_api_key:
        piper = [route.name for route in context.catalog.routes if route.voice.provider == PIPER]
        _LOGGER.warning(
            "No API key given: serving only the offline voice %s (espeak-ng%s). Set "
            "HAMSA_API_KEY and/or FASEEH_API_KEY for the Hamsa and Faseeh voices.",
            OFFLINE_VOICE_NAME,
            f"; the Piper voice {piper[0]} once it is ready" if piper else "",
        )
        return
    if not args.offline:
        _LOGGER.info(
            "espeak-ng is not installed: no offline voice, and a failing cloud voice "
            "ends its reply with an error (apt-get install espeak-ng to change that)"
        )
    if context.fallback.voices:
        budget = context.fallback.budget
        late = (
            f", gives no audio within {budget.first_audio:g} s or stops for {budget.stall:g} s"
            if budget is not None
            else ""
        )
        _LOGGER.info(
            "When a voice fails%s, the rest of its reply is spoken by: %s",
            late,
            ", ".join(context.fallback.names),
        )
    else:
        _LOGGER.info("No fallback: a failing voice ends its reply with an error event")


async def _serve(args: argparse.Namespace, context: ServerContext) -> None:
    server = AsyncServer.from_uri(args.uri)
    zeroconf = await _start_zeroconf(args.zeroconf, server) if args.zeroconf else None
    server_task = asyncio.create_task(
        server.run(partial(ArabicTtsEventHandler, context)), name="wyoming server"
    )
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        # Newer wyoming releases install their own graceful SIGTERM handler inside run();
        # either way the server task ends and the clean-up below runs.
        with contextlib.suppress(NotImplementedError):  # event loops without signals
            loop.add_signal_handler(signum, server_task.cancel)
    _LOGGER.info(
        "Ready on %s with %d voice%s (default %s)",
        args.uri,
        len(context.catalog.routes),
        "" if len(context.catalog.routes) == 1 else "s",
        context.catalog.default.name,
    )
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await server_task
    finally:
        # Already stopping: a second SIGTERM/SIGINT (docker, systemd, an impatient test)
        # must not kill the clean-up half way; wyoming drops its own handler on stop,
        # which would leave the default "die at once". main() removes these at the end.
        for signum in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, _LOGGER.debug, "Already stopping")
        await server.stop()
        await _wait_for_connections(context)
        if zeroconf is not None:
            await _stop_zeroconf(zeroconf)


async def _wait_for_connections(context: ServerContext) -> None:
    """Let connection handlers finish (they cancel their synthesis), then cancel stragglers."""
    if not context.connections:
        return
    _, still_running = await asyncio.wait(list(context.connections), timeout=SHUTDOWN_GRACE)
    for task in still_running:
        task.cancel()
    if still_running:
        await asyncio.wait(still_running)


async def _start_zeroconf(name: str, server: AsyncServer) -> Any:
    """Advertise ``_wyoming._tcp`` so Home Assistant discovers the server."""
    if not isinstance(server, AsyncTcpServer):
        raise ValueError("--zeroconf needs a tcp:// --uri")
    try:
        from wyoming.zeroconf import HomeAssistantZeroconf  # noqa: PLC0415
    except ImportError as err:
        raise SystemExit("--zeroconf needs the zeroconf package: pip install zeroconf") from err
    # A wildcard address cannot be advertised: let the library detect this host's IP.
    host = None if server.host in ("0.0.0.0", "::", "") else server.host
    zeroconf = HomeAssistantZeroconf(port=server.port, name=name, host=host)
    await zeroconf.register_server()
    _LOGGER.info("Zeroconf discovery enabled as %s", name)
    return zeroconf


async def _stop_zeroconf(zeroconf: Any) -> None:
    """Withdraw the advertisement so Home Assistant stops offering a dead server."""
    aiozc = getattr(zeroconf, "_aiozc", None)
    if aiozc is not None:
        with contextlib.suppress(Exception):
            await aiozc.async_close()


def run() -> None:
    """Console script entry point: the server, ``probe`` (the account probe) or
    ``download`` (Piper voices ahead of time)."""
    if sys.argv[1:2] == [PROBE_COMMAND]:
        from .probe import run as run_probe  # noqa: PLC0415 - only the probe needs it

        sys.exit(run_probe(sys.argv[2:]))
    if sys.argv[1:2] == [download_command.COMMAND]:
        sys.exit(download_command.run(sys.argv[2:], PROG))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


if __name__ == "__main__":
    run()
