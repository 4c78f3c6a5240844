"""Probing a Hamsa account: the free REST calls, both socket auth forms, one reply.

The probe drives the protocol itself (it needs every frame's size and time), with the
core's pieces: its URLs, request message, error mapping, decoder and 640-byte threshold.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import Counter
from functools import partial
from typing import Any
from urllib.parse import urlencode

import aiohttp
from arabic_tts_core.audio import AudioFormat, PcmStreamDecoder
from arabic_tts_core.errors import ProviderError, ProviderTimeout, TtsError, error_for_message
from arabic_tts_core.hamsa import (
    CLOSE_INVALID_KEY,
    LIST_PAGE_SIZE,
    PCM_RATE,
    PROVIDER,
    SHORT_REPLY_RETRIES,
    error_for_close,
)
from arabic_tts_core.hamsa_live import HamsaVoiceBook
from arabic_tts_core.hamsa_reply import HamsaRequest, implausibly_short, parse_message
from arabic_tts_core.hamsa_voices import (
    BCP47_DIALECTS,
    dialect_for_tag,
    is_uuid,
    known_speaker,
)
from arabic_tts_core.redact import url_without_query
from arabic_tts_core.rest import dicts_under, request_json
from arabic_tts_core.voices import HAMSA_DIALECTS
from arabic_tts_core.websocket import close_quietly
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .config import HamsaProbeConfig
from .decide import hamsa_verdict
from .report import FAILED, OK, ProviderReport, Step
from .steps import AudioLog, Clock, Progress, ProviderProbe, ms, open_socket, skip

# How long an opened socket is watched for a refusal when no ``info`` message comes.
ACCEPT_WAIT = 2.0
NAMES_SHOWN = 6
AUTH_HEADER = "header"
AUTH_QUERY = "query"
AUTH_FORMS = (AUTH_HEADER, AUTH_QUERY)
AUTH_LABELS = {AUTH_HEADER: "in the X-Api-Key header", AUTH_QUERY: "as ?api_key= in the URL"}


class HamsaProbe(ProviderProbe):
    """Runs the Hamsa steps and keeps what they found."""

    def __init__(
        self,
        config: HamsaProbeConfig,
        session: aiohttp.ClientSession,
        ssl_context: ssl.SSLContext,
        clock: Clock,
        progress: Progress,
    ) -> None:
        self.config = config
        self._book = HamsaVoiceBook()
        self._project_id: str | None = None
        self._last_open: float | None = None
        super().__init__(
            ProviderReport(
                "hamsa",
                PROVIDER,
                {
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
        """Everything that costs nothing: the key, the voice lists, the auth forms."""
        key = await self._step(Step("key", "key check"), self._key)
        if key.outcome == OK:
            await self._step(Step("catalogue", "voice catalogue"), self._catalogue)
            await self._step(Step("voices", "voices list"), self._voices)
        else:
            for step_id, label in (("catalogue", "voice catalogue"), ("voices", "voices list")):
                self.report.steps.append(
                    skip(Step(step_id, label), "skipped: the key check did not pass")
                )
        for form in AUTH_FORMS:
            step = Step(f"socket_auth_{form}", f"socket auth: {form}")
            await self._step(step, partial(self._auth, form=form))

    async def run_synthesis(self, allowed: bool, why_not: str, text: str) -> None:
        """One short reply over the socket (only when spending credits was allowed)."""
        step = Step("synthesis_socket", "speak: WebSocket")
        form = self._accepted_form()
        if not allowed:
            self.report.steps.append(skip(step, why_not))
        elif form is None:
            self.report.steps.append(skip(step, "skipped: no socket auth form was accepted"))
        else:
            limit = self.config.connect_interval + 3 * self.config.timeout + 10
            await self._step(step, lambda s: self._synthesize(s, form, text), limit=limit)

    def decide(self, synthesis_ran: bool) -> None:
        """The verdict: what the server would do with this account."""
        self.report.verdict = hamsa_verdict(self.report, self.config, synthesis_ran)

    def _default_limit(self) -> float:
        return 2 * self.config.timeout + ACCEPT_WAIT

    def _accepted_form(self) -> str | None:
        for form in AUTH_FORMS:
            step = self.report.step(f"socket_auth_{form}")
            if step is not None and step.outcome == OK:
                return form
        return None

    # --- REST ----------------------------------------------------------------------------

    async def _get(self, path: str, what: str) -> Any:
        return await request_json(
            self._session,
            "GET",
            f"{self.config.api_url.rstrip('/')}{path}",
            provider=PROVIDER,
            what=what,
            headers={"Authorization": f"Token {self.config.api_key}"},
            timeout=self.config.timeout,
        )

    async def _key(self, step: Step) -> None:
        body = await self._get("/v1/projects/by-api-key", "checking the API key")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or "id" not in data:
            raise ProviderError("Hamsa answered the key check with an unexpected body.")
        self._project_id = str(data["id"])
        step.data["project_id"] = self._project_id
        step.details.append(f"accepted: project {self._project_id}")

    async def _catalogue(self, step: Step) -> None:
        body = await self._get("/v2/tts/voices/catalog", "listing the catalogue")
        entries = dicts_under(body, "voices")
        self._book.learn_catalog(entries)
        names = [str(entry.get("name")) for entry in entries if entry.get("name")]
        tags = Counter(_tag(entry.get("language")) for entry in entries)
        mapping = {tag: dialect_for_tag(tag) for tag in tags}
        kinds = {tag: _tag_kind(tag) for tag in tags}
        with_ids = sum(1 for entry in entries if isinstance(entry.get("id"), str) and entry["id"])
        step.data.update(
            voices=len(entries),
            names=names[:NAMES_SHOWN],
            with_ids=with_ids,
            language_tags=dict(tags.most_common()),
            tag_dialects=mapping,
            tag_kinds=kinds,
            all_bcp47=bool(tags) and all(kind == "bcp47" for kind in kinds.values()),
        )
        step.details.append(f"{len(entries)} voices ({_names(names)}); {with_ids} with an id")
        for kind, title in (
            ("bcp47", "BCP-47 tags"),
            ("hamsa", "Hamsa dialect codes"),
            ("unknown", "tags the server does not know (Fusha or the speaker's own)"),
        ):
            shown = [
                f"{tag}→{mapping[tag] or '?'} ({count})"
                for tag, count in tags.most_common()
                if kinds[tag] == kind
            ]
            if shown:
                step.details.append(f"{title}: {', '.join(shown)}")

    async def _voices(self, step: Step) -> None:
        if self._project_id is None:
            raise ProviderError("no project id from the key check", provider=PROVIDER)
        query = urlencode(
            {
                "q": "",
                "page": 1,
                "perPage": LIST_PAGE_SIZE,
                "source": "jobs",
                "projectId": self._project_id,
            }
        )
        body = await self._get(f"/v2/tts/voices?{query}", "listing voices")
        data = body.get("data") if isinstance(body, dict) else None
        entries = dicts_under(data, "voices")
        voices = self._book.learn_listed(entries)
        clones = [voice for voice in voices if voice.custom]
        builtins = len(voices) - len(clones)
        total = data.get("total") if isinstance(data, dict) else None
        step.data.update(
            voices=len(entries),
            total=total if isinstance(total, int) else len(entries),
            builtins=builtins,
            clones=len(clones),
            clone_ids=[voice.voice_id for voice in clones][:NAMES_SHOWN],
            names=[str(entry.get("name")) for entry in entries if entry.get("name")][:NAMES_SHOWN],
        )
        more = f" of {total}" if isinstance(total, int) and total > len(entries) else ""
        step.details.append(
            f"{len(entries)}{more} voices: {builtins} built-in (with ids), {len(clones)} cloned"
        )

    # --- WebSocket -----------------------------------------------------------------------

    def _url_and_headers(self, form: str) -> tuple[str, dict[str, str]]:
        if form == AUTH_HEADER:
            return self.config.ws_url, {"X-Api-Key": self.config.api_key}
        separator = "&" if "?" in self.config.ws_url else "?"
        query = urlencode({"api_key": self.config.api_key})
        return f"{self.config.ws_url}{separator}{query}", {}

    async def _open(self, step: Step, form: str) -> ClientConnection:
        url, headers = self._url_and_headers(form)
        started = self._clock.now()
        conn = await open_socket(
            url,
            headers,
            provider=PROVIDER,
            label="Hamsa",
            timeout=self.config.timeout,
            ssl_context=self._ssl,
        )
        self._last_open = self._clock.now()
        step.timings_ms["connect"] = ms(self._last_open - started)
        return conn

    async def _auth(self, step: Step, form: str) -> None:
        step.data["form"] = form
        step.details.append(f"key {AUTH_LABELS[form]}")
        conn = await self._open(step, form)
        try:
            opened = self._clock.now()
            async with asyncio.timeout(ACCEPT_WAIT):
                message = await conn.recv()
            step.timings_ms["answer"] = ms(self._clock.now() - opened)
            if isinstance(message, bytes):
                step.details.append("accepted: open (an unexpected binary frame came first)")
                return
            kind, payload = parse_message(message)
            step.provider_text = message
            if kind == "error":
                error = error_for_message(str(payload.get("message") or message), provider=PROVIDER)
                error.provider_text = message
                raise error
            step.details.append(f"accepted: open, '{kind}' message received")
        except TimeoutError:
            step.details.append(f"accepted: open, no message and no close within {ACCEPT_WAIT:g} s")
        except ConnectionClosed as closed:
            error = error_for_close(closed, False)
            if closed.rcvd is not None and closed.rcvd.code == CLOSE_INVALID_KEY:
                step.details.append("refused: the socket was closed with 4001 (invalid key)")
            raise error from None
        finally:
            await close_quietly(conn)

    async def _synthesize(self, step: Step, form: str, text: str) -> None:
        speaker, dialect = self.config.speaker_and_dialect
        known = known_speaker(speaker)
        name = known.name if known is not None else speaker
        wire = self._book.wire_speaker(name, dialect)
        step.data.update(
            transport="websocket",
            auth=form,
            speaker=name,
            dialect=dialect,
            sent_as="catalogue id" if wire != name else "name",
            characters=len(text),
        )
        step.details.append(
            f"{name} in {dialect}, sent as "
            + (f"catalogue id {wire}" if wire != name else "the name")
            + f"; key {AUTH_LABELS[form]}"
        )
        if is_uuid(wire) and not self._book.is_builtin(wire):
            await self._preload(step, wire)
        await self._pace(step)
        conn = await self._open(step, form)
        try:
            await self._exchange(step, conn, HamsaRequest(text, wire, dialect), text)
        finally:
            await close_quietly(conn)

    async def _preload(self, step: Step, voice_id: str) -> None:
        """A cloned voice is preloaded first (free), as the server does before using it."""
        try:
            await request_json(
                self._session,
                "POST",
                f"{self.config.api_url.rstrip('/')}/v2/tts/voices/custom/preload",
                provider=PROVIDER,
                what=f"preloading custom voice {voice_id}",
                headers={"Authorization": f"Token {self.config.api_key}"},
                json_body={"voiceId": voice_id},
                timeout=self.config.timeout,
            )
        except TtsError as err:
            step.data["preload"] = err.provider_text or err.code
            step.details.append(
                f"preloading the cloned voice failed ({err.provider_text or err.message}); "
                "trying it anyway, as the server does"
            )
            return
        step.data["preload"] = "ok"
        step.details.append("cloned voice preloaded")

    async def _pace(self, step: Step) -> None:
        """Open the reply's socket no sooner after the auth checks' sockets than the server
        would (``--hamsa-connect-interval``): a burst may be what causes 640-byte replies."""
        if self._last_open is None or self.config.connect_interval <= 0:
            return
        wait = self._last_open + self.config.connect_interval - self._clock.now()
        if wait > 0:
            step.details.append(
                f"waited {wait:.1f} s first (--hamsa-connect-interval "
                f"{self.config.connect_interval:g})"
            )
            await asyncio.sleep(wait)

    async def _exchange(
        self, step: Step, conn: ClientConnection, request: HamsaRequest, text: str
    ) -> None:
        await conn.send(request.message())
        log = AudioLog(self._clock.now())
        decoder = PcmStreamDecoder(AudioFormat(PCM_RATE))
        pcm_bytes = 0
        ended_at: float | None = None
        timeout = self.config.timeout
        while ended_at is None:
            try:
                async with asyncio.timeout(timeout):
                    message = await conn.recv()
            except TimeoutError:
                raise ProviderTimeout(
                    f"Hamsa sent nothing for {timeout:g} s"
                    + (" (no audio at all)" if not log.frames else " in the middle of the reply"),
                    provider=PROVIDER,
                ) from None
            except ConnectionClosed as closed:
                self._audio_findings(step, log, pcm_bytes, decoder.format, text)
                raise error_for_close(closed, bool(log.frames)) from None
            now = self._clock.now()
            if isinstance(message, bytes):
                log.frame(now, message)
                try:
                    pcm_bytes += len(decoder.feed(message))
                except ValueError as err:
                    raise ProviderError(
                        f"Hamsa sent unusable audio ({err})", provider=PROVIDER
                    ) from None
                continue
            kind, payload = parse_message(message)
            if kind == "ack":
                step.timings_ms["ack"] = ms(now - log.sent_at)
            elif kind == "end":
                ended_at = now
            elif kind == "error":
                self._audio_findings(step, log, pcm_bytes, decoder.format, text)
                error = error_for_message(str(payload.get("message") or message), provider=PROVIDER)
                error.provider_text = message
                raise error
        pcm_bytes += len(decoder.flush())
        step.timings_ms["end"] = ms(ended_at - log.sent_at)
        self._audio_findings(step, log, pcm_bytes, decoder.format, text)
        if step.data["implausibly_short"]:
            step.outcome = FAILED
            step.error_code = "provider_error"
            step.provider_text = f"{log.summary()['total_bytes']} bytes of audio, then end"

    def _audio_findings(
        self, step: Step, log: AudioLog, pcm_bytes: int, fmt: AudioFormat, text: str
    ) -> None:
        """Frames, rate, header, length per character and the 640-byte check."""
        if (first := log.first_audio) is not None:
            step.timings_ms["first_audio"] = ms(first)
        seconds = fmt.seconds(pcm_bytes)
        short = implausibly_short(seconds, text)
        step.data.update(
            frames=log.summary(),
            wav_header=log.wav_header,
            sample_rate=fmt.rate,
            sample_rate_source="WAV header" if log.wav_header else "assumed (16 kHz PCM)",
            audio_seconds=round(seconds, 3),
            seconds_per_character=round(seconds / len(text), 4),
            implausibly_short=short,
        )
        step.details.append(log.describe())
        step.details.append(
            f"{seconds:.2f} s of audio at {fmt.rate} Hz "
            f"({'from a WAV header' if log.wav_header else 'no WAV header; 16 kHz assumed'}), "
            f"{seconds / len(text):.3f} s per character"
        )
        if short:
            step.details.append(
                f"implausibly short: {seconds * 1000:.0f} ms for {len(text)} characters "
                "(Hamsa's one-frame glitch); the server retries such a reply on another "
                f"connection, up to {SHORT_REPLY_RETRIES} times"
            )


def _tag(language: object) -> str:
    return language if isinstance(language, str) and language else "(none)"


def _tag_kind(tag: str) -> str:
    """``bcp47`` (``ar-EG``), ``hamsa`` (a dialect code such as ``egy``) or ``unknown``."""
    if tag in BCP47_DIALECTS:
        return "bcp47"
    if tag in HAMSA_DIALECTS or tag.lower() in HAMSA_DIALECTS:
        return "hamsa"
    if dialect_for_tag(tag) is not None:
        return "bcp47"  # another spelling of a known tag (ar-eg)
    return "unknown"


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    return shown + (", …" if len(names) > NAMES_SHOWN else "")
