"""The offline espeak-ng voice produces real Arabic audio, streamed per sentence."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from custom_components.arabic_tts.core.audio import AudioFormat
from custom_components.arabic_tts.core.errors import BadRequest, ProviderUnavailable
from custom_components.arabic_tts.core.offline import OfflineClient, espeak_available
from tests.core.helpers import collect

pytestmark = pytest.mark.skipif(
    not espeak_available(), reason="espeak-ng is installed by script/setup"
)


async def test_speaks_arabic_as_pcm_per_sentence() -> None:
    client = OfflineClient()
    one = await collect(client.synthesize("الباب الأمامي مفتوح."))
    two = await collect(client.synthesize("الباب الأمامي مفتوح. الجو بارد اليوم في المنزل."))
    assert one[0] == {AudioFormat(22050)}
    samples = np.frombuffer(one[1], dtype="<i2")
    seconds = len(samples) / 22050
    assert 0.5 < seconds < 5  # a short sentence, plausibly long
    assert np.abs(samples).max() > 1000  # not silence
    assert len(two[1]) > len(one[1]) * 1.5
    assert two[1].startswith(one[1][:2000])  # first sentence spoken first, alone


async def test_empty_text_is_bad_request() -> None:
    with pytest.raises(BadRequest):
        await collect(OfflineClient().synthesize("  "))


async def test_missing_program_is_unavailable(tmp_path: object) -> None:
    assert shutil.which("no-such-espeak") is None
    with pytest.raises(ProviderUnavailable):
        await collect(OfflineClient(executable="no-such-espeak").synthesize("مرحبا بكم"))
