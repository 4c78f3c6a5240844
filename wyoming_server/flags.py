"""The provider flags, defined once for the server and the account probe.

Both commands reach the providers the same way (keys from the same flags and
environment variables, the same hosts, regions and settings), so a probe run with the
server's flags tests exactly what the server would use.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, NoReturn

from arabic_tts_core import hamsa as hamsa_core
from arabic_tts_core.faseeh import (
    DEFAULT_RATE,
    DIALECTS,
    REGION_GLOBAL,
    REGIONS,
    SAMPLE_RATES,
    TRANSPORT_AUTO,
    TRANSPORT_WEBSOCKET,
    TRANSPORTS,
)
from arabic_tts_core.redact import Redactor
from arabic_tts_core.voices import FASEEH_DEFAULT_MODEL

DEFAULT_PROVIDER_TIMEOUT = 10.0


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def non_negative_float(value: str) -> float:
    """An argparse type: a number of 0 or more."""
    number = float(value)
    if not number >= 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


def positive_float(value: str) -> float:
    """An argparse type: a number greater than 0."""
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return number


# A command-line value that may be a key: long, and not a URL, path, number or name.
_SECRET_SHAPED = 16


def _secret_shaped(token: str) -> str | None:
    value = token.split("=", 1)[1] if token.startswith("-") and "=" in token else token
    if value.startswith("-") or len(value) < _SECRET_SHAPED or any(c in value for c in "/:."):
        return None
    return value


class FlagParser(argparse.ArgumentParser):
    """argparse that never repeats an API key in a usage error.

    Abbreviations are off (``--hamsa-api=KEY`` would be echoed as an ambiguous option),
    and an error's message has every piece of the keys in the environment and of every
    key-shaped value on the command line removed (a key after a misspelt flag is echoed
    as an unrecognised argument).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_abbrev=False, **kwargs)

    def error(self, message: str) -> NoReturn:
        secrets = [os.environ.get("HAMSA_API_KEY"), os.environ.get("FASEEH_API_KEY")]
        secrets += [_secret_shaped(token) for token in sys.argv[1:]]
        super().error(Redactor(secrets).text(message))


def add_provider_flags(parser: argparse.ArgumentParser) -> None:
    """Keys, hosts, regions and per-provider settings (docs/wyoming-server.md: the flag table)."""
    parser.add_argument(
        "--hamsa-api-key",
        default=os.environ.get("HAMSA_API_KEY") or None,
        help="Hamsa API key (or env HAMSA_API_KEY; prefer the variable: flags show in ps)",
    )
    parser.add_argument("--hamsa-url", default=hamsa_core.DEFAULT_WS_URL, help="Hamsa WebSocket")
    parser.add_argument("--hamsa-api-url", default=hamsa_core.DEFAULT_API_URL, help="Hamsa REST")
    parser.add_argument(
        "--hamsa-pool",
        type=positive_int,
        default=hamsa_core.DEFAULT_POOL_SIZE,
        metavar="N",
        help="Hamsa connections kept open ahead of requests: the replies you expect at "
        f"the same moment (default {hamsa_core.DEFAULT_POOL_SIZE})",
    )
    parser.add_argument(
        "--hamsa-connect-interval",
        type=non_negative_float,
        default=hamsa_core.DEFAULT_CONNECT_INTERVAL,
        metavar="S",
        help="least seconds between two new Hamsa connections; Hamsa is suspected of "
        "answering bursts with 640-byte replies "
        f"(default {hamsa_core.DEFAULT_CONNECT_INTERVAL:g}; 0: no limit)",
    )
    parser.add_argument(
        "--faseeh-api-key",
        default=os.environ.get("FASEEH_API_KEY") or None,
        help="Faseeh API key (or env FASEEH_API_KEY; prefer the variable: flags show in ps)",
    )
    parser.add_argument(
        "--faseeh-url", default=None, help="Faseeh WebSocket (default: the region's)"
    )
    parser.add_argument(
        "--faseeh-api-url", default=None, help="Faseeh REST base (default: the region's)"
    )
    parser.add_argument(
        "--faseeh-region",
        choices=list(REGIONS),
        default=REGION_GLOBAL,
        help=f"Faseeh region; keys work only in their own (default {REGION_GLOBAL})",
    )
    parser.add_argument(
        "--faseeh-transport",
        choices=TRANSPORTS,
        default=TRANSPORT_AUTO,
        help="auto: the WebSocket, moving to REST if it refuses the key, fails or stays "
        f"silent; websocket; rest (default {TRANSPORT_AUTO})",
    )
    parser.add_argument(
        "--faseeh-dialect",
        choices=DIALECTS,
        default="auto",
        help="Faseeh dialect (REST only: auto, emirati, fusha; default auto)",
    )
    parser.add_argument(
        "--faseeh-sample-rate",
        type=int,
        choices=SAMPLE_RATES,
        default=DEFAULT_RATE,
        metavar="HZ",
        help=f"Faseeh audio rate: 8000, 16000, 22050 or 24000 (default {DEFAULT_RATE})",
    )
    parser.add_argument("--faseeh-model", default=FASEEH_DEFAULT_MODEL, help="Faseeh model id")
    parser.add_argument(
        "--provider-timeout",
        type=positive_float,
        default=DEFAULT_PROVIDER_TIMEOUT,
        metavar="S",
        help="seconds without audio from the provider before a request fails "
        f"(default {DEFAULT_PROVIDER_TIMEOUT:g})",
    )


def provider_flag_problem(args: argparse.Namespace) -> str | None:
    """Why the provider flags cannot be used together, or None."""
    if args.faseeh_dialect != "auto" and args.faseeh_transport == TRANSPORT_WEBSOCKET:
        return (
            "--faseeh-dialect needs REST (the WebSocket has no dialect): use "
            "--faseeh-transport auto or rest"
        )
    return None


def resolve_provider_urls(args: argparse.Namespace) -> None:
    """Fill in the Faseeh region's addresses where none was given.

    Explicit addresses win over the region's; a refused key is checked against the
    other region only when the REST address is the region's own
    (``args.faseeh_own_api_url`` says whether it was given).
    """
    region = REGIONS[args.faseeh_region]
    args.faseeh_own_api_url = args.faseeh_api_url is not None
    args.faseeh_url = args.faseeh_url or region.ws_url
    args.faseeh_api_url = args.faseeh_api_url or region.api_url
