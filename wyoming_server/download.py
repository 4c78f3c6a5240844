"""``wyoming-arabic-tts download [--data-dir DIR] [NAME ...]``: fetch Piper voices ahead of
time (the Home Assistant add-on runs it at its first start), so the server is offline
from its first request. Also the data-folder flags, shared with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import aiohttp
from arabic_tts_core.piper_catalog import CATALOG, DEFAULT_BASE_URL, DEFAULT_VOICE, default_data_dir
from arabic_tts_core.piper_download import DownloadError, download_voice
from arabic_tts_core.websocket import default_ssl_context

from .flags import FlagParser

_LOGGER = logging.getLogger("wyoming_server")

DATA_DIR_ENV = "ARABIC_TTS_DATA_DIR"
COMMAND = "download"


def add_data_flags(parser: argparse.ArgumentParser) -> None:
    """``--data-dir`` and ``--piper-voices-url``: where voice files live and come from."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"folder for voice files (or env {DATA_DIR_ENV}; default {default_data_dir()})",
    )
    parser.add_argument(
        "--piper-voices-url",
        default=DEFAULT_BASE_URL,
        metavar="URL",
        help=f"where catalogue voices are downloaded from (default {DEFAULT_BASE_URL})",
    )


def data_dir(args: argparse.Namespace) -> Path:
    """``--data-dir``, else ARABIC_TTS_DATA_DIR, else the per-user data folder."""
    if args.data_dir is not None:
        return Path(args.data_dir).expanduser()
    if value := os.environ.get(DATA_DIR_ENV):
        return Path(value).expanduser()
    return default_data_dir()


def build_parser(prog: str) -> argparse.ArgumentParser:
    """The download command's flags."""
    parser = FlagParser(
        prog=f"{prog} {COMMAND}",
        description="Download Piper voices into the data folder (checked against their "
        "pinned size and checksum), so the server needs no network later.",
    )
    add_data_flags(parser)
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        default=[DEFAULT_VOICE],
        help=f"voices to fetch: {', '.join(CATALOG)} (default {DEFAULT_VOICE})",
    )
    parser.add_argument("--debug", action="store_true", help="log DEBUG messages")
    return parser


def run(argv: Sequence[str], prog: str) -> int:
    """Fetch every named voice; 0 when all are in place, 1 (and why) otherwise."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if unknown := [name for name in args.names if name not in CATALOG]:
        parser.error(f"unknown voice {', '.join(unknown)}; the catalogue has {', '.join(CATALOG)}")
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    folder = data_dir(args)
    try:
        asyncio.run(_download(args.names, folder, args.piper_voices_url))
    except DownloadError as err:
        print(f"{prog} {COMMAND}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog} {COMMAND}: interrupted; run it again to continue", file=sys.stderr)
        return 130
    return 0


async def _download(names: Sequence[str], folder: Path, base_url: str) -> None:
    ssl_context = await asyncio.to_thread(default_ssl_context)
    connector = aiohttp.TCPConnector(ssl=ssl_context)
    async with aiohttp.ClientSession(connector=connector) as session:
        for name in dict.fromkeys(names):
            model = await download_voice(session, CATALOG[name], folder, base_url=base_url)
            _LOGGER.info("%s is ready: %s", name, model)
