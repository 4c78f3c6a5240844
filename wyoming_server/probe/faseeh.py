"""Probing a Faseeh (Munsit) account: models and voices, each socket auth form, one reply
over the socket and one over REST.

The probe drives both transports itself (it needs every message's size, time and
``isFinal``), with the core's pieces: regions, the ``initConnection`` and REST bodies,
error shapes and their mapping, the Content-Type reader and the PCM decoder.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import ssl
from collections import Counter
from functools import partial
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from arabic_tts_core.audio import AudioFormat, PcmStreamDecoder
from arabic_tts_core.errors import (
    AuthFailed,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    TtsError,
)
from arabic_tts_core.faseeh import REGIONS, region_accepting_key
from arabic_tts_core.faseeh_api import (
    PROVIDER,
    UnreadableReply,
    error_for_http,
    error_from_body,
    parse_message,
    verbatim,
)
from arabic_tts_core.faseeh_rest import format_from_content_type
from arabic_tts_core.faseeh_ws import CLOSE_POLICY
from arabic_tts_core.hamsa_reply import implausibly_short
from arabic_tts_core.redact import url_without_query
from arabic_tts_core.rest import read_body_start, request_json
from arabic_tts_core.websocket import close_code, close_quietly
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .config import FaseehProbeConfig
from .decide import faseeh_first_audio_limit, faseeh_verdict
from .report import FAILED, OK, ProviderReport, Step
from .steps import (
    AudioLog,
    Clock,
    Progress,
    ProviderProbe,
    ms,
    open_socket,
    record_error,
    skip,
)

# After an isFinal the reply is listened to this long for later batches.
LISTEN_AFTER_FINAL = 2.0
# After an error message, how long to wait for the close that usually follows it.
CLOSE_WAIT = 1.0
NAMES_SHOWN = 6
AUTH_INIT = "init"
AUTH_QUERY = "query"
AUTH_HEADER = "header"
AUTH_FORMS = (AUTH_INIT, AUTH_QUERY, AUTH_HEADER)  # the server's order, then the old docs'
AUTH_LABELS = {
    AUTH_INIT: "x_api_key in initConnection",
    AUTH_QUERY: "?x-api-key= in the URL",
    AUTH_HEADER: "the x-api-key header",
}


class FaseehProbe(ProviderProbe):
    """Runs the Faseeh steps and keeps what they found."""

    def __init__(
        self,
        config: FaseehProbeConfig,
        session: aiohttp.ClientSession,
        ssl_context: ssl.SSLContext,
        clock: Clock,
        progress: Progress,
    ) -> None:
        self.config = config
        super().__init__(
            ProviderReport(
                "faseeh",
                PROVIDER,
                {
                    "region": REGIONS[config.region].label,
                    "websocket": url_without_query(config.ws_url),
                    "rest": url_without_query(config.api_url),
                },
            ),
            session,
            ssl_context,
            clock,
            progress,
        )

    # --- running -------------------------------------------------------------------------

    async def run_free_steps(self) -> None:
        """The key (with the models it lists), the voices, and each socket auth form."""
        key = await self._step(Step("key", "key check + models"), self._key)
        if key.data.get("region_hint"):
            reason = "skipped: the key belongs to another region (see the key check)"
            self.report.steps.append(skip(Step("voices", "voices list"), reason))
            for form in AUTH_FORMS:
                step = Step(f"socket_auth_{form}", f"socket auth: {form}")
                self.report.steps.append(skip(step, reason))
            return
        if key.outcome == OK:
            await self._step(Step("voices", "voices list"), self._voices)
        else:
            self.report.steps.append(
                skip(Step("voices", "voices list"), "skipped: the key check did not pass")
            )
        for form in AUTH_FORMS:
            step = Step(f"socket_auth_{form}", f"socket auth: {form}")
            await self._step(step, partial(self._auth, form=form))

    async def run_synthesis(self, allowed: bool, why_not: str, text: str) -> None:
        """One short reply over the socket (first accepted auth form) and one over REST."""
        socket = Step("synthesis_socket", "speak: WebSocket")
        rest = Step("synthesis_rest", "speak: REST")
        if not allowed:
            self.report.steps += [skip(socket, why_not), skip(rest, why_not)]
            return
        if self._key_elsewhere():
            reason = "skipped: the key belongs to another region"
            self.report.steps += [skip(socket, reason), skip(rest, reason)]
            return
        form = next(
            (f for f in AUTH_FORMS if _outcome(self.report.step(f"socket_auth_{f}")) == OK),
            None,
        )
        limit = 4 * self.config.timeout + LISTEN_AFTER_FINAL + 10
        if form is None:
            self.report.steps.append(skip(socket, "skipped: no socket auth form was accepted"))
        else:
            await self._step(socket, lambda s: self._speak_socket(s, form, text), limit=limit)
        await self._step(rest, lambda s: self._speak_rest(s, text), limit=limit)

    def decide(self, synthesis_ran: bool) -> None:
        """The verdict: what the server would do with this account."""
        self.report.verdict = faseeh_verdict(self.report, self.config, synthesis_ran)

    def _key_elsewhere(self) -> bool:
        key = self.report.step("key")
        return key is not None and bool(key.data.get("region_hint"))

    def _default_limit(self) -> float:
        return 3 * self.config.timeout + CLOSE_WAIT

    # --- REST: key, models, voices -------------------------------------------------------

    async def _get(self, path: str, what: str) -> Any:
        return await request_json(
            self._session,
            "GET",
            f"{self.config.api_url.rstrip('/')}{path}",
            provider=PROVIDER,
            what=what,
            headers={"x-api-key": self.config.api_key},
            timeout=self.config.timeout,
        )

    async def _key(self, step: Step) -> None:
        try:
            body = await self._get("/models", "listing models")
        except AuthFailed as refused:
            record_error(step, refused)
            await self._other_region(step)
            return
        items = body if isinstance(body, list) else (body or {}).get("models", [])
        if not isinstance(items, list):
            raise ProviderError("Faseeh answered the model list with an unexpected body.")
        models = [
            str(item["model_id"]) for item in items if isinstance(item, dict) and "model_id" in item
        ]
        wanted = self.config.settings.model_id
        step.data.update(models=models, configured_model=wanted, model_listed=wanted in models)
        step.details.append(f"accepted; {len(models)} models: {', '.join(models) or 'none'}")
        step.details.append(
            f"configured model {wanted}: " + ("listed" if wanted in models else "NOT listed")
        )

    async def _other_region(self, step: Step) -> None:
        """A refused key: does another region accept it? (Only with the region's own
        address: with --faseeh-api-url the region is the user's business.)"""
        if self.config.own_api_url:
            step.details.append("the other region was not asked (--faseeh-api-url was given)")
            return
        others = [region for name, region in REGIONS.items() if name != self.config.region]
        region = await region_accepting_key(
            self._session, self.config.api_key, others, timeout=self.config.timeout
        )
        if region is None:
            labels = ", ".join(other.label for other in others)
            step.details.append(f"the other region ({labels}) refuses it too")
            return
        step.data["region_hint"] = region.name
        step.details.append(
            f"the {region.label} region accepts this key: run with --faseeh-region {region.name}"
        )

    async def _voices(self, step: Step) -> None:
        body = await self._get("/voices", "listing voices")
        items = body if isinstance(body, list) else (body or {}).get("voices", [])
        voices = (
            [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
        )
        ids = [str(voice.get("voice_id")) for voice in voices if voice.get("voice_id")]
        dialects: Counter[str] = Counter()
        no_dialect = 0
        for voice in voices:
            dialect = voice.get("dialect")
            values = [dialect] if isinstance(dialect, str) else dialect
            if isinstance(values, list) and values:
                dialects.update(str(value) for value in values)
            else:
                no_dialect += 1
        clones = [voice_id for voice_id in ids if voice_id.startswith("cl-")]
        wanted = self.config.settings.voice_id
        step.data.update(
            voices=len(voices),
            ids=ids[:NAMES_SHOWN],
            dialects=dict(dialects.most_common()),
            without_dialect=no_dialect,
            clones=len(clones),
            configured_voice=wanted,
            voice_listed=wanted in ids,
        )
        step.details.append(f"{len(voices)} voices ({_shown(ids)}); {len(clones)} cloned (cl-)")
        tally = ", ".join(f"{name} {count}" for name, count in dialects.most_common())
        step.details.append(f"dialects: {tally or 'none'}; {no_dialect} without a dialect")
        step.details.append(f"voice {wanted}: " + ("listed" if wanted in ids else "NOT listed"))

    # --- WebSocket -----------------------------------------------------------------------

    async def _open(self, step: Step, form: str) -> ClientConnection:
        """A socket with the key in ``form``, initialised; raises the provider's refusal."""
        url = self.config.ws_url
        headers: dict[str, str] = {}
        if form == AUTH_QUERY:
            url += ("&" if "?" in url else "?") + urlencode({"x-api-key": self.config.api_key})
        elif form == AUTH_HEADER:
            headers = {"x-api-key": self.config.api_key}
        init = self.config.settings.init_message(self.config.api_key)
        if form != AUTH_INIT:
            del init["x_api_key"]  # each form alone: what this form is worth by itself
        started = self._clock.now()
        conn = await open_socket(
            url,
            headers,
            provider=PROVIDER,
            label="Faseeh",
            timeout=self.config.timeout,
            ssl_context=self._ssl,
        )
        opened = self._clock.now()
        step.timings_ms["connect"] = ms(opened - started)
        try:
            with contextlib.suppress(ConnectionClosed):
                await conn.send(json.dumps(init))
            await self._initialised(step, conn)
        except BaseException:
            await close_quietly(conn)
            raise
        step.timings_ms["answer"] = ms(self._clock.now() - opened)
        return conn

    async def _initialised(self, step: Step, conn: ClientConnection) -> None:
        """Wait for ``connectionInitialized``; raise the refusal (with the close that
        follows it, verbatim) otherwise."""
        timeout = self.config.timeout
        try:
            async with asyncio.timeout(timeout):
                while True:
                    raw = await conn.recv()
                    data = parse_message(raw)
                    if data.get("type") == "connectionInitialized":
                        return
                    if (error := error_from_body(data, _text(raw))) is not None:
                        break
        except TimeoutError:
            raise ProviderTimeout(
                f"Faseeh did not initialise the connection within {timeout:g} s",
                provider=PROVIDER,
            ) from None
        except ConnectionClosed as closed:
            code = close_code(closed)
            said = _close_text(closed)
            if code == CLOSE_POLICY:
                raise AuthFailed(
                    "Faseeh closed the connection while checking the key (1008).",
                    provider=PROVIDER,
                    provider_text=said,
                ) from None
            raise ProviderUnavailable(
                f"Faseeh closed the connection while initialising it (code {code}).",
                provider=PROVIDER,
                provider_text=said,
            ) from None
        error.provider_text = (error.provider_text or "") + await _close_after(conn)
        raise error

    async def _auth(self, step: Step, form: str) -> None:
        step.data["form"] = form
        step.details.append(f"key as {AUTH_LABELS[form]}")
        conn = await self._open(step, form)
        await close_quietly(conn)
        step.details.append("accepted: connectionInitialized")

    async def _speak_socket(self, step: Step, form: str, text: str) -> None:
        settings = self.config.settings
        step.data.update(
            transport="websocket",
            auth=form,
            voice=settings.voice_id,
            model=settings.model_id,
            characters=len(text),
        )
        step.details.append(
            f"voice {settings.voice_id}, model {settings.model_id}, key as {AUTH_LABELS[form]}"
        )
        conn = await self._open(step, form)
        try:
            await self._socket_reply(step, conn, text)
        finally:
            await close_quietly(conn)

    async def _socket_reply(self, step: Step, conn: ClientConnection, text: str) -> None:
        request = {"type": "text", "text": text, "try_trigger_generation": True, "flush": True}
        await conn.send(json.dumps(request, ensure_ascii=False))
        log = AudioLog(self._clock.now())
        pcm_bytes = 0
        rates: set[int] = set()
        timeout = self.config.timeout
        while True:
            listening_after_final = bool(log.finals) and log.finals[-1][1] == len(log.frames)
            wait = LISTEN_AFTER_FINAL if listening_after_final else timeout
            try:
                async with asyncio.timeout(wait):
                    raw = await conn.recv()
            except TimeoutError:
                if listening_after_final:
                    break
                self._socket_findings(step, log, pcm_bytes, rates, text)
                if not log.frames:
                    self._silent(step, timeout)
                    return
                raise ProviderTimeout(
                    f"Faseeh's audio stopped for {timeout:g} s before isFinal", provider=PROVIDER
                ) from None
            except ConnectionClosed as closed:
                if log.finals:
                    step.details.append(
                        f"the socket closed after the reply ({_close_text(closed)})"
                    )
                    break
                self._socket_findings(step, log, pcm_bytes, rates, text)
                raise ProviderUnavailable(
                    "Faseeh closed the connection "
                    + ("in the middle of the reply" if log.frames else "before any audio"),
                    provider=PROVIDER,
                    provider_text=_close_text(closed),
                ) from None
            now = self._clock.now()
            data = parse_message(raw)
            if (error := error_from_body(data, _text(raw))) is not None:
                if log.finals:
                    step.details.append(f"an error came after isFinal: {error.message}")
                    break
                self._socket_findings(step, log, pcm_bytes, rates, text)
                raise error
            if "audio" not in data:
                continue
            if audio := data.get("audio") or "":
                try:
                    decoded = base64.b64decode(audio, validate=True)
                except (binascii.Error, ValueError):
                    step.data["unreadable"] = True
                    raise UnreadableReply(
                        "Faseeh sent audio that is not base64.", provider=PROVIDER
                    ) from None
                log.frame(now, decoded)
                pcm_bytes += len(decoded)
            if isinstance(data.get("sampleRate"), int):
                rates.add(data["sampleRate"])
            if data.get("isFinal"):
                log.final(now)
        self._socket_findings(step, log, pcm_bytes, rates, text)
        if not log.frames:
            step.outcome = FAILED
            step.error_code = "provider_error"
            step.details.append("isFinal came without any audio")
        elif step.data["implausibly_short"]:
            _short(step, step.data["audio_seconds"], text)

    def _silent(self, step: Step, timeout: float) -> None:
        limit = faseeh_first_audio_limit(self.config.timeout)
        step.outcome = FAILED
        step.error_code = "timeout"
        step.data["silent"] = True
        step.details.append(
            f"silent socket: the text was accepted but no audio came within {timeout:g} s of "
            f"the trigger (the server waits {limit:g} s, then moves the account to REST)"
        )

    def _socket_findings(
        self, step: Step, log: AudioLog, pcm_bytes: int, rates: set[int], text: str
    ) -> None:
        rate = max(rates) if rates else self.config.settings.sample_rate
        seconds = AudioFormat(rate).seconds(pcm_bytes - pcm_bytes % 2)
        finals = [round(ms(at - log.sent_at), 1) for at, _ in log.finals]
        gaps = log.audio_after_final()
        if (first := log.first_audio) is not None:
            step.timings_ms["first_audio"] = ms(first)
            step.data["first_audio_s"] = round(first, 3)
        if log.finals:
            step.timings_ms["end"] = ms(log.finals[-1][0] - log.sent_at)
        step.data.update(
            silent=step.data.get("silent", False),
            frames=log.summary(),
            sample_rates=sorted(rates),
            sample_rate=rate,
            sample_rate_source="messages" if rates else "requested (no sampleRate in messages)",
            wav_header=log.wav_header,
            is_final_ms=finals,
            audio_after_final=bool(gaps),
            gaps_after_final_s=[round(gap, 3) for gap in gaps],
            audio_seconds=round(seconds, 3),
            seconds_per_character=round(seconds / len(text), 4),
            implausibly_short=bool(log.frames) and implausibly_short(seconds, text),
        )
        if not log.frames:
            return
        step.details.append(log.describe())
        step.details.append(
            f"{seconds:.2f} s of audio at {rate} Hz (sampleRate "
            + (", ".join(str(r) for r in sorted(rates)) if rates else "absent")
            + f"), {seconds / len(text):.3f} s per character"
            + ("; starts with a WAV header" if log.wav_header else "")
        )
        step.details.append(
            f"isFinal {len(finals)} time(s), at "
            + (", ".join(f"{at:.0f} ms" for at in finals) or "never")
            + (
                f"; audio came after an isFinal ({', '.join(f'{gap:.2f} s' for gap in gaps)} "
                "later): isFinal ends batches on this account"
                if gaps
                else f"; nothing came in the {LISTEN_AFTER_FINAL:g} s after it"
                if finals
                else ""
            )
        )

    # --- REST ----------------------------------------------------------------------------

    async def _speak_rest(self, step: Step, text: str) -> None:
        settings = self.config.settings
        url = (
            f"{self.config.api_url.rstrip('/')}/text-to-speech/{quote(settings.model_id, safe='')}"
        )
        step.data.update(
            transport="rest",
            voice=settings.voice_id,
            model=settings.model_id,
            dialect=settings.dialect,
            characters=len(text),
        )
        step.details.append(
            f"voice {settings.voice_id}, model {settings.model_id}, dialect {settings.dialect}"
        )
        timeout = self.config.timeout
        client_timeout = aiohttp.ClientTimeout(total=None, connect=timeout, sock_read=timeout)
        started = self._clock.now()
        try:
            async with self._session.post(
                url,
                json=settings.rest_body(text),
                headers={"x-api-key": self.config.api_key},
                timeout=client_timeout,
            ) as response:
                answered = self._clock.now()
                step.timings_ms["answer"] = ms(answered - started)
                content_type = response.headers.get("Content-Type", "")
                step.data["status"] = response.status
                step.data["content_type"] = content_type
                if response.status >= 400 or content_type.startswith("application/json"):
                    raise await _rest_error(response)
                await self._rest_body(step, response, content_type, text, started)
        except aiohttp.ConnectionTimeoutError:
            raise ProviderTimeout(
                f"Faseeh did not accept a connection within {timeout:g} s", provider=PROVIDER
            ) from None
        except TimeoutError:
            raise ProviderTimeout(
                f"Faseeh sent nothing for {timeout:g} s", provider=PROVIDER
            ) from None
        except aiohttp.ClientError as err:
            raise ProviderUnavailable(
                f"cannot reach Faseeh, or it dropped the reply ({type(err).__name__})",
                provider=PROVIDER,
            ) from None

    async def _rest_body(
        self,
        step: Step,
        response: aiohttp.ClientResponse,
        content_type: str,
        text: str,
        started: float,
    ) -> None:
        fmt = format_from_content_type(content_type, self.config.settings.sample_rate)
        decoder = PcmStreamDecoder(fmt)
        log = AudioLog(started)
        pcm_bytes = 0
        async for chunk in response.content.iter_any():
            log.frame(self._clock.now(), chunk)
            try:
                pcm_bytes += len(decoder.feed(chunk))
            except ValueError as err:
                raise ProviderError(f"Faseeh sent audio we cannot read: {err}") from None
        pcm_bytes += len(decoder.flush())
        if (first := log.first_audio) is not None:
            step.timings_ms["first_audio"] = ms(first)
        step.timings_ms["end"] = ms(self._clock.now() - started)
        rate = decoder.format.rate
        rate_in_type = "rate=" in content_type.replace(" ", "").lower()
        source = "WAV header" if log.wav_header else "Content-Type" if rate_in_type else "requested"
        seconds = decoder.format.seconds(pcm_bytes)
        step.data.update(
            frames=log.summary(),
            sample_rate=rate,
            sample_rate_source=source,
            wav_header=log.wav_header,
            audio_seconds=round(seconds, 3),
            seconds_per_character=round(seconds / len(text), 4),
            implausibly_short=bool(pcm_bytes) and implausibly_short(seconds, text),
        )
        step.details.append(f"HTTP {response.status}, Content-Type {content_type or 'absent'}")
        step.details.append(f"body read in {log.describe()}")
        step.details.append(
            f"{seconds:.2f} s of audio at {rate} Hz (from the {source}), "
            f"{seconds / len(text):.3f} s per character"
        )
        if not pcm_bytes:
            step.outcome = FAILED
            step.error_code = "provider_error"
            step.details.append("the answer held no audio")
        elif step.data["implausibly_short"]:
            _short(step, seconds, text)


def _short(step: Step, seconds: float, text: str) -> None:
    """A reply too short for its text (the threshold the Hamsa client uses: 20 ms of
    audio per character is no speech)."""
    step.outcome = FAILED
    step.error_code = "provider_error"
    step.details.append(
        f"implausibly short: {seconds * 1000:.0f} ms of audio for {len(text)} characters"
    )


async def _rest_error(response: aiohttp.ClientResponse) -> TtsError:
    """The error a failed REST answer stands for, with its body verbatim."""
    body = (await read_body_start(response)).decode("utf-8", "replace")
    if response.status < 400:
        with contextlib.suppress(ProviderError):
            if (error := error_from_body(parse_message(body), body)) is not None:
                return error
        return ProviderError(
            "Faseeh answered with JSON instead of audio.",
            provider=PROVIDER,
            provider_text=verbatim(body),
        )
    return error_for_http(response.status, body)


async def _close_after(conn: ClientConnection) -> str:
    """The close that follows a refusal, in words (``"; close 1008: reason"``), if it comes."""
    try:
        async with asyncio.timeout(CLOSE_WAIT):
            while True:
                await conn.recv()
    except TimeoutError:
        return "; the socket stayed open"
    except ConnectionClosed as closed:
        return f"; then {_close_text(closed)}"


def _close_text(closed: ConnectionClosed) -> str:
    reason = closed.rcvd.reason if closed.rcvd is not None else ""
    return f"close {close_code(closed)}" + (f": {reason}" if reason else "")


def _text(raw: str | bytes) -> str:
    return verbatim(raw if isinstance(raw, str) else raw.decode("utf-8", "replace"))


def _outcome(step: Step | None) -> str | None:
    return step.outcome if step is not None else None


def _shown(items: list[str]) -> str:
    shown = ", ".join(items[:NAMES_SHOWN])
    return shown + (", …" if len(items) > NAMES_SHOWN else "")
