"""The probe against every behaviour the fakes can show: the report says what each did.

Each test asserts on the JSON (outcomes, codes, verdicts), on the table a user pastes,
and on what the fakes received (nothing spoken without --yes; exactly one reply per
transport with it). The run_probe fixture scans every output for key material.
"""

from __future__ import annotations

import re

import pytest

from tests.fakes.faseeh import FakeFaseeh
from tests.fakes.faseeh import Fault as FaseehFault
from tests.fakes.hamsa import INFO_MESSAGE, FakeHamsa, speaker_id
from tests.fakes.hamsa import Fault as HamsaFault
from wyoming_server.probe.config import PROBE_TEXT
from wyoming_server.probe.faseeh import LISTEN_AFTER_FINAL

from .conftest import EMPTY_WALLET_KEY, FASEEH_KEY, UAE_KEY, RunProbe

FREE_STEPS = {
    "hamsa": ["key", "catalogue", "voices", "socket_auth_header", "socket_auth_query"],
    "faseeh": [
        "key",
        "voices",
        "socket_auth_init",
        "socket_auth_query",
        "socket_auth_header",
    ],
}


def nothing_spoken(hamsa: FakeHamsa | None, faseeh: FakeFaseeh | None) -> None:
    """The fakes received no synthesis request of any kind."""
    if hamsa is not None:
        assert hamsa.requests == []
    if faseeh is not None:
        assert faseeh.generations == []
        assert faseeh.silent_texts == []
        assert faseeh.rest_tts_requests == []
        assert not any(
            isinstance(m, dict) and m.get("type") == "text"
            for conn in faseeh.connections
            for m in conn.messages
        )


# --- working accounts ---------------------------------------------------------------------


async def test_working_accounts_without_yes_run_only_the_free_steps(
    run_probe: RunProbe, hamsa: FakeHamsa, faseeh: FakeFaseeh
) -> None:
    run = await run_probe(hamsa=hamsa, faseeh=faseeh)
    assert run.status == 0
    data = run.data
    assert data["schema"] == "arabic-tts-probe/1"
    assert data["synthesis"]["allowed"] is False
    assert "--yes" in data["synthesis"]["reason"]
    for provider, steps in FREE_STEPS.items():
        outcomes = {s: run.step(provider, s)["outcome"] for s in steps}
        expected = {s: "ok" for s in steps}
        if provider == "faseeh":
            expected["socket_auth_header"] = "refused"  # the strict default fake
        assert outcomes == expected
    for provider, step_id in (
        ("hamsa", "synthesis_socket"),
        ("faseeh", "synthesis_socket"),
        ("faseeh", "synthesis_rest"),
    ):
        step = run.step(provider, step_id)
        assert step["outcome"] == "skipped"
        assert "run with --yes" in step["details"][0]
    nothing_spoken(hamsa, faseeh)

    hamsa_verdict = run.verdict("hamsa")
    assert hamsa_verdict["can_speak"] is True
    assert hamsa_verdict["transport"] == "websocket"
    assert hamsa_verdict["settings"]["socket_auth"] == "X-Api-Key header"
    assert any("640-byte" in line for line in hamsa_verdict["unknown"])
    faseeh_verdict = run.verdict("faseeh")
    assert faseeh_verdict["can_speak"] is True
    assert faseeh_verdict["transport"] == "websocket"
    assert faseeh_verdict["settings"]["socket_auth"] == "x_api_key in initConnection"
    assert any("silent socket can only be seen with --yes" in u for u in faseeh_verdict["unknown"])
    # What the fakes saw: each socket auth form once, nothing else.
    assert [c.key_via for c in hamsa.connections] == ["header", "query"]
    assert [c.key_via for c in faseeh.connections] == ["init", "query", None]
    assert "Exit status 0: every configured provider can speak." in run.stdout
    assert "not known yet: whether the WebSocket speaks at all" in run.stdout


async def test_working_accounts_with_yes_speak_once_per_transport(
    run_probe: RunProbe, hamsa: FakeHamsa, faseeh: FakeFaseeh
) -> None:
    run = await run_probe("--yes", hamsa=hamsa, faseeh=faseeh)
    assert run.status == 0
    # Exactly one reply per transport, with the fixed text.
    assert [r["text"] for r in hamsa.requests] == [PROBE_TEXT]
    assert sorted(g.transport for g in faseeh.generations) == ["rest", "websocket"]
    assert {g.text for g in faseeh.generations} == {PROBE_TEXT}

    spoken = run.step("hamsa", "synthesis_socket")
    assert spoken["outcome"] == "ok"
    # The server's own choice of speaker: Ali in Palestinian, by catalogue id.
    assert hamsa.requests[0]["speaker"] == speaker_id("Ali", "pls")
    assert spoken["data"]["sent_as"] == "catalogue id"
    assert spoken["data"]["sample_rate"] == 16000
    assert spoken["data"]["wav_header"] is False
    assert spoken["data"]["implausibly_short"] is False
    frames = spoken["data"]["frames"]
    assert frames["count"] == 5 and frames["max"] == 4096  # the fake's 4096-byte frames
    assert frames["total_bytes"] == round(len(PROBE_TEXT) * 0.02 * 16000) * 2
    assert spoken["data"]["seconds_per_character"] == pytest.approx(0.02, abs=1e-3)
    assert {"connect", "first_audio", "end"} <= set(spoken["timings_ms"])

    socket = run.step("faseeh", "synthesis_socket")
    assert socket["outcome"] == "ok"
    assert socket["data"]["auth"] == "init"
    assert socket["data"]["sample_rates"] == [24000]
    assert len(socket["data"]["is_final_ms"]) == 1
    assert socket["data"]["audio_after_final"] is False
    rest = run.step("faseeh", "synthesis_rest")
    assert rest["outcome"] == "ok"
    assert rest["data"]["sample_rate"] == 24000
    assert rest["data"]["sample_rate_source"] == "Content-Type"
    assert rest["data"]["content_type"].startswith("audio/raw")

    verdict = run.verdict("faseeh")
    assert verdict["transport"] == "websocket"
    assert verdict["settings"]["socket_reuse"] is True
    assert verdict["unknown"] == []
    assert run.verdict("hamsa")["unknown"] == []
    assert "speak: WebSocket     ok" in run.stdout


# --- Faseeh socket variants ---------------------------------------------------------------


async def test_faseeh_header_refused_is_quoted_verbatim(
    run_probe: RunProbe, faseeh: FakeFaseeh
) -> None:
    run = await run_probe(faseeh=faseeh)
    header = run.step("faseeh", "socket_auth_header")
    assert header["outcome"] == "refused"
    assert header["error_code"] == "auth_failed"
    assert header["provider_text"] == (
        '{"errorCode": 40101, "errorMessage": "Invalid API key"}; then close 1008: Invalid API key'
    )
    assert 'provider said: {"errorCode": 40101' in run.stdout


async def test_faseeh_silent_socket_moves_to_rest(run_probe: RunProbe, faseeh: FakeFaseeh) -> None:
    faseeh.silent_socket = True
    run = await run_probe("--yes", faseeh=faseeh)
    assert faseeh.silent_texts == [PROBE_TEXT]  # the socket swallowed the text
    assert [g.transport for g in faseeh.generations] == ["rest"]
    socket = run.step("faseeh", "synthesis_socket")
    assert socket["outcome"] == "failed"
    assert socket["error_code"] == "timeout"
    assert socket["data"]["silent"] is True
    assert "silent socket" in socket["details"][-1]
    verdict = run.verdict("faseeh")
    assert verdict["transport"] == "rest"
    assert verdict["can_speak"] is True
    # The server's wait: half of its first-audio deadline, so REST's first audio fits.
    assert "sent no audio within 0.5 s of the trigger" in verdict["reasons"][0]
    # The socket opens and initialises: its background check would pass (the silence
    # is a reason to move to REST for good, not a breaker).
    assert verdict["settings"]["breaker_checks"] == {"websocket": "passes", "rest": "passes"}
    assert run.status == 0


async def test_faseeh_silent_socket_cannot_be_seen_without_yes(
    run_probe: RunProbe, faseeh: FakeFaseeh
) -> None:
    faseeh.silent_socket = True
    run = await run_probe(faseeh=faseeh)
    verdict = run.verdict("faseeh")
    assert verdict["transport"] == "websocket"
    assert any("silent socket can only be seen with --yes" in u for u in verdict["unknown"])
    nothing_spoken(None, faseeh)


async def test_faseeh_batches_turn_reuse_off(run_probe: RunProbe, faseeh: FakeFaseeh) -> None:
    faseeh.batches = 3
    faseeh.batch_gap = 0.3
    run = await run_probe("--yes", faseeh=faseeh)
    socket = run.step("faseeh", "synthesis_socket")
    assert socket["outcome"] == "ok"
    assert len(socket["data"]["is_final_ms"]) == 3  # two batch ends and the last
    assert socket["data"]["audio_after_final"] is True
    gaps = socket["data"]["gaps_after_final_s"]
    # Each gap is the fake's 0.3 s at least (a busy machine only adds to it), and within
    # the probe's listening window, or the batch after it would not have been seen.
    assert len(gaps) == 2 and all(0.25 <= gap <= LISTEN_AFTER_FINAL for gap in gaps)
    verdict = run.verdict("faseeh")
    assert verdict["transport"] == "websocket"
    assert verdict["settings"]["socket_reuse"] is False
    assert verdict["settings"]["quiet_after_final_s"] == pytest.approx(
        min(2.0, 2 * max(gaps)), abs=0.01
    )
    assert any("isFinal ends batches" in reason for reason in verdict["reasons"])
    assert "audio came after an isFinal" in run.stdout


async def test_faseeh_rest_only_when_the_socket_refuses_every_form(
    run_probe: RunProbe, faseeh: FakeFaseeh
) -> None:
    faseeh.init_key_auth = False
    faseeh.query_key_auth = False
    run = await run_probe("--yes", faseeh=faseeh)
    for form in ("init", "query", "header"):
        step = run.step("faseeh", f"socket_auth_{form}")
        assert (step["outcome"], step["error_code"]) == ("refused", "auth_failed")
        assert "40101" in step["provider_text"]
    assert run.step("faseeh", "synthesis_socket")["outcome"] == "skipped"
    assert run.step("faseeh", "synthesis_rest")["outcome"] == "ok"
    assert [g.transport for g in faseeh.generations] == ["rest"]
    verdict = run.verdict("faseeh")
    assert verdict["transport"] == "rest"
    assert verdict["can_speak"] is True
    assert "refused the key" in verdict["reasons"][0]
    assert "while REST accepted it" in verdict["reasons"][0]
    assert run.status == 0


async def test_faseeh_websocket_transport_without_a_usable_form_cannot_speak(
    run_probe: RunProbe, faseeh: FakeFaseeh
) -> None:
    faseeh.init_key_auth = False
    faseeh.query_key_auth = False
    run = await run_probe("--faseeh-transport", "websocket", faseeh=faseeh)
    verdict = run.verdict("faseeh")
    assert verdict["can_speak"] is False
    assert "no REST fallback" in verdict["reasons"][0]
    assert run.status == 1


async def test_faseeh_query_form_when_init_is_refused(
    run_probe: RunProbe, faseeh: FakeFaseeh
) -> None:
    faseeh.init_key_auth = False
    run = await run_probe("--yes", faseeh=faseeh)
    assert run.step("faseeh", "socket_auth_init")["outcome"] == "refused"
    assert run.step("faseeh", "socket_auth_query")["outcome"] == "ok"
    assert run.step("faseeh", "synthesis_socket")["data"]["auth"] == "query"
    verdict = run.verdict("faseeh")
    assert verdict["settings"]["socket_auth"] == "?x-api-key= in the URL"
    # The URL with the key is never printed.
    assert not re.search(r"x-api-key=\S", run.stdout + run.json_text)


# --- keys and wallets ---------------------------------------------------------------------


async def test_bad_keys(run_probe: RunProbe, hamsa: FakeHamsa, faseeh: FakeFaseeh) -> None:
    run = await run_probe(
        "--yes",
        hamsa=hamsa,
        faseeh=faseeh,
        hamsa_key="hk_bad1Xq9Wz3Lm7Pv5Rt2",
        faseeh_key="fk_bad8Kd2Hs6Ny4Jb1Vc0",
    )
    assert run.status == 1
    key = run.step("hamsa", "key")
    assert (key["outcome"], key["error_code"]) == ("refused", "auth_failed")
    assert key["provider_text"] == "HTTP 401, code 401: Unauthorized"
    header = run.step("hamsa", "socket_auth_header")
    assert header["outcome"] == "refused"
    assert header["provider_text"] == "close code 4001: Invalid API key"
    assert run.step("hamsa", "catalogue")["outcome"] == "skipped"
    assert run.step("hamsa", "synthesis_socket")["outcome"] == "skipped"
    assert run.verdict("hamsa")["can_speak"] is False

    key = run.step("faseeh", "key")
    assert (key["outcome"], key["error_code"]) == ("refused", "auth_failed")
    assert "40101" in key["provider_text"] and "Invalid API key" in key["provider_text"]
    assert "the other region was not asked" in key["details"][-1]
    verdict = run.verdict("faseeh")
    assert (verdict["can_speak"], verdict["transport"]) == (False, None)
    assert verdict["summary"] == "Faseeh refused the key."
    # With --yes but no socket form accepted, no credit could be spent.
    assert hamsa.requests == [] and faseeh.generations == []
    assert "CANNOT SPEAK" in run.stdout


async def test_empty_wallets_are_found_only_by_speaking(
    run_probe: RunProbe, hamsa: FakeHamsa, faseeh: FakeFaseeh
) -> None:
    faseeh.balances[FASEEH_KEY] = 0.0
    free = await run_probe(hamsa=hamsa, faseeh=faseeh, hamsa_key=EMPTY_WALLET_KEY)
    assert free.status == 0  # the keys are fine; the wallets cannot be seen for free
    assert any("wallet" in u for u in free.verdict("hamsa")["unknown"])
    assert any("wallet" in u for u in free.verdict("faseeh")["unknown"])

    run = await run_probe("--yes", hamsa=hamsa, faseeh=faseeh, hamsa_key=EMPTY_WALLET_KEY)
    assert run.status == 1
    spoken = run.step("hamsa", "synthesis_socket")
    assert (spoken["outcome"], spoken["error_code"]) == ("refused", "insufficient_funds")
    assert spoken["provider_text"] == "close code 4003: Wallet balance depleted"
    socket = run.step("faseeh", "synthesis_socket")
    assert (socket["outcome"], socket["error_code"]) == ("refused", "insufficient_funds")
    assert '"errorCode": 40201' in socket["provider_text"]
    rest = run.step("faseeh", "synthesis_rest")
    assert (rest["outcome"], rest["error_code"]) == ("refused", "insufficient_funds")
    assert rest["provider_text"].startswith('402 {"errorCode": 40201')
    assert run.verdict("hamsa")["can_speak"] is False
    assert run.verdict("faseeh")["can_speak"] is False
    assert run.verdict("faseeh")["transport"] == "websocket"  # Faseeh's own error: no switch


async def test_key_from_the_other_faseeh_region(
    run_probe: RunProbe, faseeh: FakeFaseeh, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arabic_tts_core import faseeh_api  # noqa: PLC0415 - the probe's import name

    async with FakeFaseeh(valid_keys={UAE_KEY}) as uae:
        for name, label, fake in (("global", "Global", faseeh), ("uae", "UAE", uae)):
            region = faseeh_api.FaseehRegion(name, label, fake.api_url, fake.ws_url)
            monkeypatch.setitem(faseeh_api.REGIONS, name, region)
        # No URL flags: the region's own addresses, as a user would run it.
        run = await run_probe("--yes", faseeh=faseeh, faseeh_key=UAE_KEY, urls=False)
        assert run.status == 1
        key = run.step("faseeh", "key")
        assert key["outcome"] == "refused"
        assert key["data"]["region_hint"] == "uae"
        assert "run with --faseeh-region uae" in key["details"][-1]
        verdict = run.verdict("faseeh")
        assert verdict["summary"] == (
            "The key belongs to the UAE region: run with --faseeh-region uae."
        )
        for step_id in ("voices", "socket_auth_init", "synthesis_socket", "synthesis_rest"):
            assert run.step("faseeh", step_id)["outcome"] == "skipped"
        assert faseeh.generations == [] and uae.generations == []

        good = await run_probe(
            "--faseeh-region", "uae", faseeh=faseeh, faseeh_key=UAE_KEY, urls=False
        )
        assert good.status == 0
        assert good.provider("faseeh")["endpoints"]["region"] == "UAE"
        assert good.step("faseeh", "socket_auth_init")["outcome"] == "ok"


# --- Hamsa variants -----------------------------------------------------------------------


async def test_hamsa_640_byte_reply_is_reported(run_probe: RunProbe, hamsa: FakeHamsa) -> None:
    hamsa.faults = [HamsaFault.short_reply()]
    run = await run_probe("--yes", hamsa=hamsa)
    assert run.status == 1
    assert hamsa.short_replies == [hamsa.connections[-1].index]
    assert len(hamsa.requests) == 1  # no retry: one reply per transport
    spoken = run.step("hamsa", "synthesis_socket")
    assert spoken["outcome"] == "failed"
    assert spoken["data"]["implausibly_short"] is True
    assert spoken["data"]["frames"]["count"] == 1
    assert spoken["data"]["frames"]["total_bytes"] == 640
    assert spoken["provider_text"] == "640 bytes of audio, then end"
    verdict = run.verdict("hamsa")
    assert verdict["can_speak"] is False
    assert any("640-byte glitch" in reason for reason in verdict["reasons"])
    assert "implausibly short" in run.stdout


async def test_hamsa_connection_rate_limit_and_the_pace(
    run_probe: RunProbe, hamsa: FakeHamsa
) -> None:
    """A reply on a connection opened right after the auth checks' is a 640-byte reply;
    opened at the server's pace, it is whole."""
    hamsa.connect_min_interval = 0.8
    burst = await run_probe("--yes", hamsa=hamsa)
    assert burst.step("hamsa", "synthesis_socket")["data"]["implausibly_short"] is True
    assert hamsa.connections[-1].throttled

    paced = await run_probe("--yes", "--hamsa-connect-interval", "1", hamsa=hamsa)
    spoken = paced.step("hamsa", "synthesis_socket")
    assert spoken["outcome"] == "ok"
    assert not hamsa.connections[-1].throttled
    assert spoken["details"][1].startswith("waited ")
    assert paced.verdict("hamsa")["settings"]["connect_interval_s"] == 1.0


async def test_hamsa_bcp47_catalogue_and_its_mapping(run_probe: RunProbe, hamsa: FakeHamsa) -> None:
    run = await run_probe(hamsa=hamsa)
    catalogue = run.step("hamsa", "catalogue")
    data = catalogue["data"]
    assert data["voices"] == len(hamsa.catalog)
    assert data["with_ids"] == len(hamsa.catalog)
    assert data["language_tags"]["ar-EG"] == sum(v.language == "ar-EG" for v in hamsa.catalog)
    assert data["tag_dialects"]["ar-EG"] == "egy"
    assert data["tag_dialects"]["ar-SA"] == "ksa"
    assert data["tag_kinds"]["ar-EG"] == "bcp47"
    assert data["tag_kinds"]["ar-sa"] == "hamsa"  # the fake's Gulf code, not Saudi
    assert "ar-EG→egy" in run.stdout and "ar-SA→ksa" in run.stdout
    voices = run.step("hamsa", "voices")["data"]
    assert voices["builtins"] == len(hamsa.catalog) and voices["clones"] == 0
    assert run.verdict("hamsa")["settings"]["catalogue_ids"] == len(hamsa.catalog)


async def test_hamsa_catalogue_with_dialect_codes_and_clones(
    run_probe: RunProbe, hamsa: FakeHamsa
) -> None:
    hamsa.catalog_tags = {"Mariam": "egy", "Samir": "xx-YY"}
    hamsa.custom_voices["3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"] = "Grandma"
    run = await run_probe(hamsa=hamsa)
    data = run.step("hamsa", "catalogue")["data"]
    assert data["tag_kinds"]["egy"] == "hamsa"
    assert data["tag_kinds"]["xx-YY"] == "unknown"
    assert data["tag_dialects"]["xx-YY"] is None
    assert data["all_bcp47"] is False
    assert run.step("hamsa", "voices")["data"]["clones"] == 1
    assert any("not all BCP-47" in reason for reason in run.verdict("hamsa")["reasons"])
    assert "tags the server does not know" in run.stdout


async def test_hamsa_socket_refusing_the_header_only(run_probe: RunProbe, hamsa: FakeHamsa) -> None:
    """The server sends the header; an account that takes only ?api_key= cannot speak."""
    hamsa.key_header = "X-Other"  # the fake no longer reads the key from X-Api-Key
    run = await run_probe(hamsa=hamsa)
    assert run.step("hamsa", "socket_auth_header")["outcome"] == "refused"
    assert run.step("hamsa", "socket_auth_query")["outcome"] == "ok"
    verdict = run.verdict("hamsa")
    assert verdict["can_speak"] is False
    assert "Please report this" in verdict["summary"]
    # The server's background check of its socket (the same free step) would fail too.
    checks = verdict["settings"]["breaker_checks"]
    assert checks["websocket"].startswith("fails (") and checks["rest"] == "passes"
    assert "breaker_checks=(websocket fails (" in " ".join(run.stdout.split())


async def test_hamsa_info_is_quoted(run_probe: RunProbe, hamsa: FakeHamsa) -> None:
    run = await run_probe(hamsa=hamsa)
    header = run.step("hamsa", "socket_auth_header")
    assert INFO_MESSAGE in header["provider_text"]
    hamsa.send_info = False
    quiet = await run_probe(hamsa=hamsa)
    header = quiet.step("hamsa", "socket_auth_header")
    assert header["outcome"] == "ok"
    assert "no message and no close within 2 s" in header["details"][-1]


async def test_provider_texts_that_echo_the_key_are_redacted(
    run_probe: RunProbe, hamsa: FakeHamsa, faseeh: FakeFaseeh
) -> None:
    """A provider that repeats the key (or part of it) in its error does not leak it:
    run_probe scans every output for every 6-character piece of the keys."""
    from .conftest import HAMSA_KEY  # noqa: PLC0415

    hamsa.faults = [HamsaFault.error(f"API key {HAMSA_KEY} is inactive")]
    faseeh.faults = [FaseehFault.error_code(40301, f"key {FASEEH_KEY[2:11]}… has no access")]
    run = await run_probe("--yes", "--debug", hamsa=hamsa, faseeh=faseeh)
    spoken = run.step("hamsa", "synthesis_socket")
    assert spoken["error_code"] == "auth_failed"
    assert "**REDACTED**" in spoken["provider_text"]
    socket = run.step("faseeh", "synthesis_socket")
    assert socket["error_code"] == "bad_request"
    assert "**REDACTED**" in socket["provider_text"]


async def test_hamsa_cloned_voice_is_preloaded_before_it_speaks(
    run_probe: RunProbe, hamsa: FakeHamsa
) -> None:
    clone = "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
    hamsa.custom_voices[clone] = "Grandma"
    run = await run_probe("--yes", "--hamsa-voice", clone, hamsa=hamsa)
    spoken = run.step("hamsa", "synthesis_socket")
    assert spoken["outcome"] == "ok"
    assert spoken["data"]["preload"] == "ok"
    assert (spoken["data"]["speaker"], spoken["data"]["dialect"]) == (clone, "msa")
    assert [r["voice_name"] for r in hamsa.requests] == ["Grandma"]
    assert clone in hamsa.preloaded


async def test_faseeh_replies_cut_short_are_reported(
    run_probe: RunProbe, faseeh: FakeFaseeh
) -> None:
    """A socket reply that ends (isFinal, then nothing for 2 s) after 20 ms of audio."""
    faseeh.frame_sizes = [960]
    faseeh.batches = 99  # isFinal after every 960-byte frame: the first ends the reply...
    faseeh.batch_gap = 3.0  # ...because the next batch comes after the 2 s we listen
    run = await run_probe("--yes", faseeh=faseeh)
    socket = run.step("faseeh", "synthesis_socket")
    assert socket["outcome"] == "failed"
    assert socket["data"]["implausibly_short"] is True
    assert socket["data"]["frames"]["total_bytes"] == 960
    assert "implausibly short: 20 ms of audio for 29 characters" in socket["details"]
    assert run.step("faseeh", "synthesis_rest")["data"]["implausibly_short"] is False
