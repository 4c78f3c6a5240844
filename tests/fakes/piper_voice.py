"""A tiny voice in Piper's format, made at test time: no download, a few kilobytes.

Its graph has the inputs and output of Piper's exporter (``input`` int64 [1, N],
``input_lengths`` int64 [1], ``scales`` float32 [3], ``sid`` int64 [1] in multi-speaker
voices; ``output`` float32 [1, 1, 1, T]: ``model_g.infer(...)[0].unsqueeze(1)``), and its
JSON is shaped like rhasspy/piper-voices' (Piper's default phoneme ids, espeak voice
``ar``). Instead of speech it writes what it was given, so a test reads the phoneme ids
and scales back out of the audio:

- a header of ``BLOCK`` samples each: 1.0 (full scale, so Piper's normalisation leaves
  every level as it is), noise_scale / 4, noise_w / 4, input_lengths / 1024, and in a
  multi-speaker voice (sid + 1) / 64;
- then each id as ``floor(SAMPLES_PER_ID * length_scale)`` samples of (id + 1) / 512.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper

# Piper's default phoneme symbols in id order (piper-phonemize DEFAULT_PHONEME_ID_MAP):
# what espeak-type voices such as ar_JO-kareem use.
PIPER_SYMBOLS = (
    "_^$ !'(),-.:;?abcdefhijklmnopqrstuvwxyzæçðøħŋœǀǁǂǃɐɑɒɓɔɕɖɗɘəɚɛɜɞɟɠɡɢɣɤɥɦɧɨɪɫɬɭɮɯɰɱɲɳɴɵɶ"
    "ɸɹɺɻɽɾʀʁʂʃʄʈʉʊʋʌʍʎʏʐʑʒʔʕʘʙʛʜʝʟʡʢʲˈˌːˑ˞βθχᵻⱱ0123456789\u0327\u0303\u032a\u032f\u0329ʰˤε↓#"
    '"↑\u033a\u033bgʦX\u031d\u030a'
)
PIPER_ID_MAP = {symbol: [index] for index, symbol in enumerate(PIPER_SYMBOLS)}
BLOCK = 8
SAMPLES_PER_ID = 32
ID_LEVEL = 512.0
LENGTHS_LEVEL = 1024.0
SPEAKER_LEVEL = 64.0
OPSET = 15


@dataclass(frozen=True)
class DecodedAudio:
    """What the tiny voice was asked: read back from its PCM."""

    noise_scale: float
    noise_w: float
    input_length: int
    ids: list[int]
    samples_per_id: int
    speaker: int | None = None


def voice_json(
    *,
    sample_rate: int = 22050,
    espeak_voice: str = "ar",
    noise_scale: float = 0.667,
    length_scale: float = 1.0,
    noise_w: float = 0.8,
    num_speakers: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    """A ``.onnx.json`` as rhasspy/piper-voices publishes them (Kareem's shape)."""
    data: dict[str, Any] = {
        "dataset": "tiny",
        "audio": {"sample_rate": sample_rate, "quality": "medium"},
        "espeak": {"voice": espeak_voice},
        "language": {"code": "ar_JO", "family": "ar", "region": "JO"},
        "inference": {"noise_scale": noise_scale, "length_scale": length_scale, "noise_w": noise_w},
        "phoneme_type": "espeak",
        "phoneme_map": {},
        "phoneme_id_map": PIPER_ID_MAP,
        "num_symbols": 256,
        "num_speakers": num_speakers,
        "speaker_id_map": {},
        "piper_version": "1.0.0",
    }
    data.update(extra)
    return data


def model_bytes(*, speakers: bool = False, output_rank: int = 4) -> bytes:
    """The graph, serialized (see the module docstring for what it computes)."""
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []

    def const(name: str, value: Any, dtype: Any = np.float32) -> str:
        inits.append(helper.make_tensor(name, _tensor_type(dtype), *_shape_and_values(value)))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    block_shape = const("block_shape", [1, BLOCK], np.int64)

    def block_of(scalar: str, name: str) -> str:
        return node("Expand", [scalar, block_shape], name)

    const("one", 1.0)
    const("four", 4.0)
    const("id_level", ID_LEVEL)
    const("lengths_level", LENGTHS_LEVEL)
    const("per_id", float(SAMPLES_PER_ID))
    const("idx0", 0, np.int64)
    const("idx1", 1, np.int64)
    const("idx2", 2, np.int64)
    const("axis0", [0], np.int64)
    const("axis2", [2], np.int64)
    const("flat", [1, -1], np.int64)
    const("out_shape", [1] * (output_rank - 1) + [-1], np.int64)

    header = [block_of("one", "marker")]
    noise = node("Div", [node("Gather", ["scales", "idx0"], "noise_scale"), "four"], "noise_q")
    header.append(block_of(noise, "noise_block"))
    noise_w = node("Div", [node("Gather", ["scales", "idx2"], "noise_w"), "four"], "noise_w_q")
    header.append(block_of(noise_w, "noise_w_block"))
    lengths = node("Cast", ["input_lengths"], "lengths_f", to=TensorProto.FLOAT)
    header.append(block_of(node("Div", [lengths, "lengths_level"], "lengths_q"), "len_block"))
    if speakers:
        const("speaker_level", SPEAKER_LEVEL)
        sid = node("Add", [node("Cast", ["sid"], "sid_f", to=TensorProto.FLOAT), "one"], "sid1")
        header.append(block_of(node("Div", [sid, "speaker_level"], "sid_q"), "sid_block"))

    ids = node("Cast", ["input"], "ids_f", to=TensorProto.FLOAT)
    levels = node("Div", [node("Add", [ids, "one"], "ids1"), "id_level"], "levels")
    column = node("Unsqueeze", [levels, "axis2"], "column")  # [1, N, 1]
    length = node("Mul", [node("Gather", ["scales", "idx1"], "length_scale"), "per_id"], "len_f")
    repeat = node("Cast", [node("Floor", [length], "len_floor")], "repeat", to=TensorProto.INT64)
    target = node(
        "Concat",
        [node("Shape", ["input"], "in_shape"), node("Unsqueeze", [repeat, "axis0"], "rep1")],
        "target",
        axis=0,
    )  # [1, N, repeat]
    body = node("Reshape", [node("Expand", [column, target], "expanded"), "flat"], "body")
    audio = node("Concat", [*header, body], "audio", axis=1)
    node("Reshape", [audio, "out_shape"], "output")

    inputs = [
        helper.make_tensor_value_info("input", TensorProto.INT64, [1, "phonemes"]),
        helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
        helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3]),
    ]
    if speakers:
        inputs.append(helper.make_tensor_value_info("sid", TensorProto.INT64, [1]))
    output_shape: list[Any] = [1] * (output_rank - 1) + ["time"]
    outputs = [helper.make_tensor_value_info("output", TensorProto.FLOAT, output_shape)]
    graph = helper.make_graph(nodes, "tiny_piper", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def write_voice(
    folder: Path,
    name: str = "ar_JO-tiny-medium",
    *,
    speakers: bool = False,
    output_rank: int = 4,
    **json_options: Any,
) -> Path:
    """``folder/name.onnx`` and its ``.onnx.json``; returns the model's path."""
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / f"{name}.onnx"
    model.write_bytes(model_bytes(speakers=speakers, output_rank=output_rank))
    if speakers:
        json_options.setdefault("num_speakers", 2)
    config = folder / f"{name}.onnx.json"
    config.write_text(json.dumps(voice_json(**json_options), ensure_ascii=False), "utf-8")
    return model


def decode(pcm: bytes, *, speakers: bool = False) -> DecodedAudio:
    """Read one sentence's PCM (as Piper's scaling made it) back into what was asked."""
    values = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32767.0
    header_blocks = 5 if speakers else 4
    header = [values[i * BLOCK] for i in range(header_blocks)]
    assert abs(header[0] - 1.0) < 1e-4, "the full-scale marker is missing: not one sentence"
    body = values[header_blocks * BLOCK :]
    length = round(header[3] * LENGTHS_LEVEL)
    per_id = len(body) // length if length else 0
    assert per_id * length == len(body), (len(body), length)
    ids = [round(body[i * per_id] * ID_LEVEL) - 1 for i in range(length)]
    return DecodedAudio(
        noise_scale=header[1] * 4,
        noise_w=header[2] * 4,
        input_length=length,
        ids=ids,
        samples_per_id=per_id,
        speaker=round(header[4] * SPEAKER_LEVEL) - 1 if speakers else None,
    )


def decode_all(pcm: bytes, *, speakers: bool = False) -> list[DecodedAudio]:
    """Every sentence in a reply's PCM (each begins with the full-scale marker, a level no
    id reaches), decoded."""
    values = np.frombuffer(pcm, dtype="<i2")
    full = values == 32767
    starts = [i for i in range(len(values) - BLOCK + 1) if full[i] and (i == 0 or not full[i - 1])]
    bounds = [*starts, len(values)]
    return [
        decode(values[start:end].tobytes(), speakers=speakers)
        for start, end in itertools.pairwise(bounds)
    ]


def sentence_pcm_length(
    ids: list[int], *, length_scale: float = 1.0, speakers: bool = False
) -> int:
    """Bytes of PCM the tiny voice makes for one sentence of ``ids``."""
    header_blocks = 5 if speakers else 4
    per_id = int(np.floor(np.float32(SAMPLES_PER_ID) * np.float32(length_scale)))
    return 2 * (header_blocks * BLOCK + len(ids) * per_id)


def _tensor_type(dtype: Any) -> int:
    return int(TensorProto.INT64 if dtype is np.int64 else TensorProto.FLOAT)


def _shape_and_values(value: Any) -> tuple[list[int], list[Any]]:
    array = np.asarray(value)
    return list(array.shape), array.reshape(-1).tolist()
