"""Would ONNX Runtime embed builds faster than sentence-transformers? (issue: embed faster, same vectors)

    .venv/bin/pip install onnxruntime==1.31.1 onnx==1.23.2   # not project dependencies: a trial
    .venv/bin/python bench/onnx_trial.py

Exports our e5 model (mean pooling and normalisation included) to ONNX, optionally fuses it with
onnxruntime's BERT optimiser, and embeds the same XQuAD passages and sentences as plain
``SentenceTransformer.encode``: passages/s side by side, and the minimum cosine between them.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.config import Settings  # noqa: E402
from rag.embed import resolve_model  # noqa: E402

XQUAD = ROOT.parent / "shared" / "eval" / "xquad-dev" / "xquad-dev.zh.json"


class Pooled(torch.nn.Module):
    """The transformer plus e5's mean pooling and L2 normalisation, as one graph."""

    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, ids, mask):
        hidden = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        return torch.nn.functional.normalize((hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9), dim=-1)


def build_texts(limit: int = 600) -> list[str]:
    texts = []
    for article in json.loads(XQUAD.read_text("utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            texts += [context] + [s + "。" for s in context.split("。") if len(s) > 10]
    return ["passage: " + t for t in list(dict.fromkeys(texts))[:limit]]


def main() -> None:
    import onnxruntime as ort
    from onnxruntime.transformers import optimizer
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    model = SentenceTransformer(resolve_model(Settings.from_env()), device="cpu")
    tokenizer, texts = model.tokenizer, build_texts()
    work = Path(tempfile.mkdtemp())
    sample = tokenizer(["passage: 你好 hello"], return_tensors="pt")
    torch.onnx.export(Pooled(model[0].auto_model.eval()), (sample["input_ids"], sample["attention_mask"]),
                      str(work / "e5.onnx"), dynamo=False, input_names=["ids", "mask"], output_names=["vec"],
                      dynamic_axes={"ids": {0: "b", 1: "t"}, "mask": {0: "b", 1: "t"}}, opset_version=17)
    optimizer.optimize_model(str(work / "e5.onnx"), model_type="bert", num_heads=12,
                             hidden_size=384).save_model_to_file(str(work / "e5-fused.onnx"))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2

    def onnx_encode(session, batch: int = 32) -> np.ndarray:
        order = np.argsort([-len(t) for t in texts])  # longest first, so each batch pads little
        out = np.zeros((len(texts), 384), np.float32)
        for i in range(0, len(texts), batch):
            rows = order[i : i + batch]
            tokens = tokenizer([texts[j] for j in rows], padding=True, truncation=True, max_length=512,
                               return_tensors="np")
            out[rows] = session.run(None, {"ids": tokens["input_ids"].astype(np.int64),
                                           "mask": tokens["attention_mask"].astype(np.int64)})[0]
        return out

    sessions = {name: ort.InferenceSession(str(work / f"{name}.onnx"), options, providers=["CPUExecutionProvider"])
                for name in ("e5", "e5-fused")}
    print(f"{len(texts)} texts, {np.mean([len(t) for t in texts]):.0f} characters on average\n")
    print("| round | plain encode /s | ONNX /s (ratio, min cosine) | ONNX fused /s (ratio, min cosine) |")
    print("|---|---|---|---|")
    for round_ in range(1, 3):
        start = time.perf_counter()
        reference = model.encode(texts, batch_size=32, normalize_embeddings=True)
        plain = len(texts) / (time.perf_counter() - start)
        cells = []
        for session in sessions.values():
            start = time.perf_counter()
            vectors = onnx_encode(session)
            speed = len(texts) / (time.perf_counter() - start)
            cells.append(f"{speed:.1f} ({speed / plain:.2f}x, {np.min(np.sum(vectors * reference, 1)):.5f})")
        print(f"| {round_} | {plain:.1f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
