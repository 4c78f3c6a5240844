"""Hamsa's live lists against the fake: BCP-47 dialects, built-in ids spoken by id, only
clones preloaded, and any speaker in any dialect on the wire."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from custom_components.arabic_tts.core import hamsa as hamsa_module
from custom_components.arabic_tts.core.audio import AudioFormat
from custom_components.arabic_tts.core.errors import (
    InsufficientFunds,
    RateLimited,
    TtsError,
    UnknownVoice,
)
from custom_components.arabic_tts.core.hamsa import (
    TRANSPORT_WEBSOCKET,
    HamsaClient,
    HamsaVoiceSettings,
)
from tests.core.helpers import collect
from tests.fakes.audio import pcm_for_text
from tests.fakes.hamsa import (
    PROJECT_ID,
    QUOTA_BODY,
    RATE_LIMIT_BODY,
    TTS_STREAM_PATH,
    FakeHamsa,
    Fault,
)
from tests.fakes.hamsa_catalog import CatalogVoice

TEXT = "الباب الأمامي مفتوح"
CLONE = "0b8e8a4e-6f3c-4a8e-9a0e-2c1d3f4b5a69"


@pytest.fixture
async def fake() -> AsyncIterator[FakeHamsa]:
    async with FakeHamsa() as server:
        server.connect_min_interval = None  # the connection-rate glitch: test_hamsa_retry.py
        yield server


@pytest.fixture
async def client(fake: FakeHamsa) -> AsyncIterator[HamsaClient]:
    hamsa = HamsaClient(
        "hamsa-key",
        ws_url=fake.ws_url,
        api_url=fake.api_url,
        provider_timeout=2.0,
        connect_interval=0,
    )
    yield hamsa
    await hamsa.close()


async def speak(client: HamsaClient, speaker: str, dialect: str) -> None:
    _, pcm, _ = await collect(client.synthesize(TEXT, HamsaVoiceSettings(speaker, dialect)))
    assert pcm == pcm_for_text(TEXT)


def preloads(fake: FakeHamsa) -> list[str]:
    return [r.json["voiceId"] for r in fake.rest_requests if r.path.endswith("/preload")]


async def test_speakers_in_their_own_and_any_other_dialect(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    """Without a live list: names on the wire, each with the dialect asked for."""
    _, pcm, _ = await collect(client.synthesize(TEXT))  # the default voice
    assert pcm == pcm_for_text(TEXT)
    for speaker, dialect in (
        ("Mariam", "egy"),
        ("Hiba", "ksa"),
        ("mariam", "ksa"),  # the catalogue's spelling goes out
        ("Salem", "egy"),
        ("Emma", "jor"),
        ("Khalid", "ar-sa"),
    ):
        await speak(client, speaker, dialect)
    assert [(r["speaker"], r["dialect"]) for r in fake.requests] == [
        ("Ali", "pls"),
        ("Mariam", "egy"),
        ("Hiba", "ksa"),
        ("Mariam", "ksa"),
        ("Salem", "egy"),
        ("Emma", "jor"),
        ("Khalid", "ar-sa"),
    ]
    assert preloads(fake) == []


async def test_live_lists_map_bcp47_tags_to_dialects(fake: FakeHamsa, client: HamsaClient) -> None:
    fake.catalog_tags["Samir"] = "ar-MA"  # a tag we have no code for
    fake.catalog.append(CatalogVoice("Zaid", "oma"))
    fake.catalog_tags["Zaid"] = "ar-XX"  # unknown tag, unknown name
    voices = await client.list_voices()
    dialects = {(v.name, v.dialect) for v in voices if not v.custom}
    assert {("Mariam", "egy"), ("Hiba", "ksa"), ("Ali", "pls"), ("Ali", "egy")} <= dialects
    assert {("Jasem", "jor"), ("Jasem", "ksa"), ("Khalid", "ar-sa"), ("Salem", "msa")} <= dialects
    assert {("Emma", "en"), ("Marwan", "leb")} <= dialects
    assert ("Samir", "egy") in dialects  # unknown tag: the catalogue's own dialect
    assert ("Zaid", "msa") in dialects  # nothing known at all: Fusha (logged)
    by_id = {voice.voice_id: voice for voice in voices}
    assert by_id["Mariam"].language == "ar-EG"
    assert by_id["Jasem-ksa"].dialect == "ksa"


async def test_voices_list_is_asked_as_the_real_client_does(
    fake: FakeHamsa, client: HamsaClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hamsa_module, "LIST_PAGE_SIZE", 20)
    fake.custom_voices[CLONE] = "Grandma"
    voices = await client.list_voices()
    listed = [r for r in fake.rest_requests if r.path == "/v2/tts/voices"]
    assert [r.query for r in listed] == [
        {"q": "", "page": str(page), "perPage": "20", "source": "jobs", "projectId": PROJECT_ID}
        for page in (1, 2, 3)
    ]
    assert [r.path for r in fake.rest_requests][:2] == [
        "/v2/tts/voices/catalog",
        "/v1/projects/by-api-key",
    ]
    clones = [voice for voice in voices if voice.custom]
    assert [(v.voice_id, v.name) for v in clones] == [(CLONE, "Grandma")]
    auth = {r.headers.get("Authorization") for r in fake.rest_requests}
    assert auth == {"Token hamsa-key"}


async def test_known_catalogue_voices_are_spoken_by_id_and_never_preloaded(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    await client.list_voices()
    await speak(client, "Mariam", "egy")  # her catalogue id pins the accent
    await speak(client, "Jasem", "ksa")  # one name, two accents: the ksa one
    await speak(client, "Mariam", "ksa")  # no id for that pair: the name
    assert [(r["speaker"], r["dialect"]) for r in fake.requests] == [
        (fake.voice_id("Mariam", "egy"), "egy"),
        (fake.voice_id("Jasem", "ksa"), "ksa"),
        ("Mariam", "ksa"),
    ]
    assert [r["voice_name"] for r in fake.requests] == ["Mariam", "Jasem", "Mariam"]
    hiba = fake.voice_id("Hiba", "ksa")
    await speak(client, hiba, "ksa")  # an id typed by a user
    assert fake.requests[-1]["speaker"] == hiba
    assert preloads(fake) == []


async def test_a_voice_known_only_from_the_voices_list_speaks_without_a_preload_failure(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    fake.unlisted_builtins = [CatalogVoice("Lamees", "leb"), CatalogVoice("Zaid", "egy")]
    fake.catalog = [v for v in fake.catalog if v.name != "Lamees"]
    voices = await client.list_voices()
    zaid = fake.voice_id("Zaid", "egy")
    # Zaid is no name we know: a clone as far as we can tell, in its listed dialect.
    assert {(v.voice_id, v.custom) for v in voices} >= {("Lamees", False), (f"{zaid}-egy", True)}
    # A speaker we know by name: spoken by the id the list gave, no preload.
    await speak(client, "Lamees", "leb")
    assert fake.requests[-1]["speaker"] == fake.voice_id("Lamees", "leb")
    assert preloads(fake) == []
    # An id we cannot tell from a clone: the preload is refused (404), it speaks anyway,
    # and it is not preloaded again.
    await speak(client, zaid, "egy")
    await speak(client, zaid, "egy")
    assert preloads(fake) == [zaid]
    assert [r["voice_name"] for r in fake.requests[-2:]] == ["Zaid", "Zaid"]


async def test_an_id_the_socket_refuses_is_retried_with_the_name(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    await client.list_voices()
    fake.accept_ids = False
    await speak(client, "Hiba", "ksa")
    await speak(client, "Fahd", "ksa")
    await speak(client, "Mariam", "egy")  # refused twice: names straight away from then on
    assert [r["speaker"] for r in fake.requests] == [
        fake.voice_id("Hiba", "ksa"),
        "Hiba",
        fake.voice_id("Fahd", "ksa"),
        "Fahd",
        "Mariam",
    ]


@pytest.fixture
async def rest_client(fake: FakeHamsa) -> AsyncIterator[HamsaClient]:
    """A client whose WebSocket rests (its breaker open, no check for 10 min): every
    request goes over the REST stream, as in a burst with no warm socket free."""
    hamsa = HamsaClient(
        "hamsa-key",
        ws_url=fake.ws_url,
        api_url=fake.api_url,
        provider_timeout=2.0,
        connect_interval=0,
        breaker_backoff=600.0,
    )
    hamsa.breakers[TRANSPORT_WEBSOCKET].failed("resting for this test")
    yield hamsa
    await hamsa.close()


async def test_an_id_the_rest_stream_refuses_is_retried_with_the_name(
    fake: FakeHamsa, rest_client: HamsaClient
) -> None:
    """The REST stream answers a refused speaker as the socket does ("aborted", here with
    HTTP 400): the id we chose for the name is retried with the name, not reported as
    the user's bad request."""
    await rest_client.list_voices()
    fake.accept_ids = False
    await speak(rest_client, "Hiba", "ksa")
    assert [(r["transport"], r["speaker"]) for r in fake.requests] == [
        ("rest", fake.voice_id("Hiba", "ksa")),
        ("rest", "Hiba"),
    ]


async def test_a_clone_the_rest_stream_forgot_is_preloaded_again(
    fake: FakeHamsa, rest_client: HamsaClient
) -> None:
    fake.custom_voices[CLONE] = "Grandma"
    await speak(rest_client, CLONE, "msa")
    fake.preloaded.discard(CLONE)  # Hamsa forgot it
    await speak(rest_client, CLONE, "msa")
    assert preloads(fake) == [CLONE, CLONE]
    assert [(r["transport"], r["voice_name"]) for r in fake.requests] == [
        ("rest", "Grandma"),
        ("rest", None),
        ("rest", "Grandma"),
    ]


async def test_the_rest_stream_takes_off_a_wav_header_and_carries_odd_bytes(
    fake: FakeHamsa, rest_client: HamsaClient
) -> None:
    """The docs' sample of the REST stream starts with a streaming WAV header; chunks
    need not be sample aligned."""
    fake.wav_header = True
    fake.frame_sizes = [333, 1001]
    formats, pcm, _ = await collect(
        rest_client.synthesize(TEXT, HamsaVoiceSettings("Mariam", "egy"))
    )
    assert fake.requests[-1]["transport"] == "rest"
    assert formats == {AudioFormat(fake.wav_rate)}
    assert pcm == pcm_for_text(TEXT, fake.wav_rate)


@pytest.mark.parametrize("in_pieces", [False, True], ids=["one-chunk", "two-chunks"])
@pytest.mark.parametrize(
    ("answer", "error"),
    [(QUOTA_BODY, InsufficientFunds), (RATE_LIMIT_BODY, RateLimited)],
    ids=["10429-allowance-used-up", "429-rate-limit"],
)
async def test_the_rest_stream_tells_the_plans_allowance_from_a_rate_limit(
    fake: FakeHamsa,
    rest_client: HamsaClient,
    answer: tuple[int, dict[str, Any]],
    error: type[TtsError],
    in_pieces: bool,
) -> None:
    """The code in the body decides, however the body arrives (a first read of a chunked
    answer may hold half of it)."""
    fake.rest_errors[TTS_STREAM_PATH] = answer
    fake.error_body_in_pieces = in_pieces
    with pytest.raises(error) as caught:
        await collect(rest_client.synthesize(TEXT, HamsaVoiceSettings("Mariam", "egy")))
    assert (
        caught.value.provider_text == f"HTTP 429, code {answer[1]['code']}: {answer[1]['message']}"
    )


async def test_a_long_text_whose_id_is_refused_goes_by_name_after_the_first_piece(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    """One refusal per text, not one refusal (and a new socket) per 2000-character piece."""
    await client.list_voices()
    fake.accept_ids = False
    text = ("جملة قصيرة عن البيت الذكي. " * 300).strip()  # over two Hamsa requests
    _, pcm, _ = await collect(client.synthesize(text, HamsaVoiceSettings("Hiba", "ksa")))
    speakers = [r["speaker"] for r in fake.requests]
    assert speakers[:2] == [fake.voice_id("Hiba", "ksa"), "Hiba"]
    assert len(speakers) >= 4 and set(speakers[2:]) == {"Hiba"}
    assert pcm == b"".join(pcm_for_text(r["text"]) for r in fake.requests[1:])


async def test_a_passing_abort_on_an_id_is_retried_with_the_name(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    await client.list_voices()
    fake.faults.append(Fault.error())
    await speak(client, "Hiba", "ksa")
    await speak(client, "Hiba", "ksa")  # ids are still used after one abort
    hiba = fake.voice_id("Hiba", "ksa")
    assert [r["speaker"] for r in fake.requests] == [hiba, "Hiba", hiba]


async def test_clones_from_the_list_are_preloaded_and_unknown_ones_reported(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    fake.custom_voices[CLONE] = "Grandma"
    await client.list_voices()
    await speak(client, CLONE, "egy")
    assert preloads(fake) == [CLONE]
    assert fake.requests[-1]["voice_name"] == "Grandma"
    missing = "11111111-2222-4333-8444-555555555555"
    with pytest.raises(UnknownVoice) as caught:
        await collect(client.synthesize(TEXT, HamsaVoiceSettings(missing, "msa")))
    assert missing in str(caught.value)
    assert caught.value.provider_text == "HTTP 404, code 404: Voice not found"
    assert preloads(fake) == [CLONE, missing, missing]  # before use, and once more


async def test_one_list_failing_leaves_the_other(fake: FakeHamsa, client: HamsaClient) -> None:
    fake.rest_status_override["/v2/tts/voices/catalog"] = 500
    voices = await client.list_voices()
    assert ("Mariam", "egy") in {(v.name, v.dialect) for v in voices}
    await speak(client, "Mariam", "egy")
    assert fake.requests[-1]["speaker"] == fake.voice_id("Mariam", "egy")


async def test_a_clone_whose_preload_failed_for_a_while_is_still_treated_as_a_clone(
    fake: FakeHamsa, client: HamsaClient
) -> None:
    """A 500 on preload is no evidence of a built-in voice: when Hamsa later forgets the
    clone, it is preloaded again (a 404 followed by speech would have been)."""
    fake.custom_voices[CLONE] = "Grandma"
    fake.preloaded.add(CLONE)  # still loaded from earlier
    fake.preload_status = 500
    await speak(client, CLONE, "msa")
    fake.preload_status = None
    fake.preloaded.discard(CLONE)  # Hamsa forgot it
    await speak(client, CLONE, "msa")
    assert preloads(fake) == [CLONE, CLONE]
