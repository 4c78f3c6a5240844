"""The text front-end through the real server: what the fakes received, plain and streamed."""

from __future__ import annotations

import pytest
from arabic_tts_core.frontend import tashkeel_available
from arabic_tts_core.offline import espeak_available
from wyoming.audio import AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.tts import Synthesize, SynthesizeTextFormat

from tests.core.frontend_corpus import CORPUS
from tests.fakes.audio import pcm_for_text
from tests.fakes.faseeh import FakeFaseeh
from tests.fakes.hamsa import FakeHamsa
from tests.fakes.hamsa_catalog import CatalogVoice

from .conftest import FASEEH_KEY, HAMSA_KEY, StartServer
from .helpers import (
    HOST,
    assert_failed,
    assert_plain_success,
    assert_stream_success,
    read_reply,
    synthesize,
    synthesize_streaming,
    voice,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")

HAMSA = "hamsa-Samir"
FASEEH = "faseeh-ar-najdi-male-2"
# Replies with markup, Latin words and numbers, long enough for Faseeh's 3-word minimum.
CASES = [
    case
    for case in CORPUS
    if len(case.spoken.split()) >= 3 and any(ch.isdigit() for ch in case.text + case.spoken)
][:4] + [case for case in CORPUS if case.origin == "llm" and "```" not in case.text][:3]


def received(fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh, provider: str) -> list[str]:
    if provider == "hamsa":
        return [request["text"] for request in fake_hamsa.requests]
    return [generation.text for generation in fake_faseeh.generations]


def words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize("provider", ["hamsa", "faseeh"])
async def test_provider_receives_cleaned_text_plain_and_streamed(
    start_server: StartServer, fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh, provider: str
) -> None:
    """Default policy (markup, Latin words): the provider never sees ** or °C or on."""
    server = await start_server("--debug")
    name = HAMSA if provider == "hamsa" else FASEEH
    for case in CASES:
        expected = case.cloud or case.spoken
        before = len(received(fake_hamsa, fake_faseeh, provider))
        assert_plain_success(await synthesize(server.port, case.text, name))
        sent = received(fake_hamsa, fake_faseeh, provider)[before:]
        assert words(" ".join(sent)) == words(expected), case.text

        before = len(received(fake_hamsa, fake_faseeh, provider))
        chunks = [case.text[i : i + 3] for i in range(0, len(case.text), 3)]
        assert_stream_success(await synthesize_streaming(server.port, chunks, name))
        sent = received(fake_hamsa, fake_faseeh, provider)[before:]
        assert words(" ".join(sent)) == words(expected), case.text
    # --debug shows what went upstream, and never a key.
    output = server.output
    assert f"{name}: sending" in output
    assert "كيلوواط ساعة" in output or "مطفأ" in output or "درجة مئوية" in output
    assert HAMSA_KEY not in output and FASEEH_KEY not in output


async def test_numbers_step_for_a_cloud_voice(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    server = await start_server("--hamsa-text", "markup,words,numbers")
    case = next(c for c in CORPUS if c.text == "تم ضبط المؤقت لمدة 5 دقائق")
    assert_plain_success(await synthesize(server.port, case.text, HAMSA))
    assert fake_hamsa.requests[-1]["text"] == case.spoken


async def test_a_typed_hamsa_voice_gets_the_same_text_steps(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    """A voice made when it is asked for (hamsa-<any name>) speaks through the same
    front-end as the advertised ones: numbers and Latin words for a Hamsa voice."""
    fake_hamsa.catalog.append(CatalogVoice("Zaid", "msa"))
    server = await start_server("--hamsa-text", "markup,words,numbers")
    case = next(c for c in CORPUS if c.text == "تم ضبط المؤقت لمدة 5 دقائق")
    assert_plain_success(await synthesize(server.port, case.text, "hamsa-Zaid-egy"))
    assert fake_hamsa.requests[-1]["text"] == case.spoken
    assert fake_hamsa.requests[-1]["dialect"] == "egy"


async def test_no_steps_sends_the_text_as_written(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    server = await start_server("--hamsa-text", "none")
    text = "حالة **الضوء** هي on"
    assert_plain_success(await synthesize(server.port, text, HAMSA))
    assert fake_hamsa.requests[-1]["text"] == text


async def test_ssml_break_is_silence_for_hamsa_and_a_tag_for_faseeh(
    start_server: StartServer, fake_hamsa: FakeHamsa, fake_faseeh: FakeFaseeh
) -> None:
    server = await start_server()
    ssml = '<speak>مرحبا بكم جميعا <break time="500ms"/> في البيت الذكي</speak>'
    for name in (HAMSA, FASEEH):
        async with AsyncTcpClient(HOST, server.port) as client:
            await client.write_event(
                Synthesize(
                    text=ssml, voice=voice(name), text_format=SynthesizeTextFormat.SSML
                ).event()
            )
            reply = await read_reply(client, until=AudioStop().event().type)
        assert_plain_success(reply)
        if name == HAMSA:
            first, second = (request["text"] for request in fake_hamsa.requests[-2:])
            assert (first.strip(), second.strip()) == ("مرحبا بكم جميعا", "في البيت الذكي")
            silence = bytes(16000 * 500 // 1000 * 2)
            assert reply.pcm == pcm_for_text(first, 16000) + silence + pcm_for_text(second, 16000)
        else:
            sent = fake_faseeh.generations[-1].text
            assert words(sent) == words('مرحبا بكم جميعا <break time="500ms"/> في البيت الذكي')
            assert reply.pcm == pcm_for_text(sent, 24000)


async def test_speak_root_is_ssml_without_text_format(
    start_server: StartServer, fake_hamsa: FakeHamsa
) -> None:
    """Home Assistant's client sends no text_format: a <speak> root is still SSML."""
    server = await start_server()
    text = '<speak>انتباه <sub alias="هوم أسيستنت">HA</sub> جاهز</speak>'
    assert_plain_success(await synthesize(server.port, text, HAMSA))
    assert words(fake_hamsa.requests[-1]["text"]) == ["انتباه", "هوم", "أسيستنت", "جاهز"]


async def test_text_that_is_only_markup_is_a_bad_request(start_server: StartServer) -> None:
    server = await start_server()
    assert_failed(await synthesize(server.port, "```\ncode\n``` 😊", HAMSA), "bad_request")
    reply = await synthesize_streaming(server.port, ["**", "🎉", "**"], HAMSA)
    assert_failed(reply, "bad_request")


async def test_offline_voice_gets_numbers_words_and_vowels(start_server: StartServer) -> None:
    """The offline voice's default: everything, tashkeel included (seen in --debug)."""
    if not espeak_available():
        pytest.skip("espeak-ng is installed by script/setup")
    server = await start_server("--debug")
    assert_plain_success(
        await synthesize(server.port, "حالة الضوء هي on عند 2:05 مساءا", "offline-ar")
    )
    line = next(line for line in server.output.splitlines() if "offline-ar: sending" in line)
    assert "2:05" not in line and " on" not in line
    if tashkeel_available():
        assert "\u064e" in line or "\u064f" in line or "\u0650" in line  # vowel marks
