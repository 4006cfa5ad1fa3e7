"""A real llama.cpp server (llama-cpp-python's) for a test, over a tiny model the test writes.

The model is a llama-architecture GGUF whose weights are set, not trained: attention and the
feed-forward layers add nothing, so each token's next is read off its own embedding. Every token
outside ``SCRIPT`` leads to its first piece, and each piece of it to the next, the last to the end
of text, so whatever the prompt, the server streams ``SCRIPT`` token by token through its real
tokenizer, chat template, sampler and SSE code. It is small enough to load in a second.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import gguf
import numpy as np

from tests.helpers.server import free_port

ROOT = Path(__file__).resolve().parents[2]

# What the model writes, one token a piece ("▁" is a space in SentencePiece's pieces): a sentence
# citing passage 1, one citing only a passage that is not cited (7), one citing 1 and an uncited 9,
# one citing nothing, and one citing passage 2.
SCRIPT = ["Passage▁one▁says▁so", "▁[1].", "▁Passage▁seven▁is▁not▁given", "▁[7].", "▁Both▁agree",
          "▁[1][9].", "▁A▁claim▁with▁no▁source.", "▁The▁second▁adds▁more", "▁[2]."]
# The template of the model's chat: the server renders the messages with it (Jinja, as for real models).
CHAT_TEMPLATE = ("{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n"
                 "{% endfor %}<|assistant|>\n")
DIM = 32  # one direction for "any other token" and one for each piece of SCRIPT
CONTEXT = 4096


def write_model(path: Path, endless: bool = False) -> Path:
    """Write the scripted model to ``path`` (a few hundred kB) and return it; ``endless``: after the
    script's last piece it starts over instead of ending (a server that is still writing)."""
    specials = ["<unk>", "<s>", "</s>"]
    # byte pieces: SentencePiece spells every character it has no piece for in them (all of the prompt)
    tokens = specials + [f"<0x{b:02X}>" for b in range(256)] + SCRIPT
    types = ([gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
             + [gguf.TokenType.BYTE] * 256 + [gguf.TokenType.NORMAL] * len(SCRIPT))
    n_vocab, first = len(tokens), len(tokens) - len(SCRIPT)
    assert len(SCRIPT) < DIM

    embed = np.zeros((n_vocab, DIM), np.float32)
    embed[:first, 0] = 1.0  # every token not in the script looks the same: "start the script"
    for i in range(len(SCRIPT)):
        embed[first + i, i + 1] = 1.0
    out = np.zeros((n_vocab, DIM), np.float32)
    out[first, 0] = 4.0  # -> the script's first piece
    for i in range(1, len(SCRIPT)):
        out[first + i, i] = 4.0  # piece i-1 -> piece i
    out[first if endless else 2, len(SCRIPT)] = 4.0  # the last piece -> </s>, or the first again
    # (RMS norm scales a one-hot row by sqrt(DIM): the next token leads the rest by 4*sqrt(32) logits.)

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("rag-zh scripted test model")
    writer.add_context_length(CONTEXT)
    writer.add_embedding_length(DIM)
    writer.add_block_count(1)
    writer.add_feed_forward_length(DIM)
    writer.add_head_count(2)
    writer.add_head_count_kv(2)
    writer.add_rope_dimension_count(DIM // 2)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * n_vocab)
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(True)
    writer.add_chat_template(CHAT_TEMPLATE)
    ones, square = np.ones(DIM, np.float32), np.zeros((DIM, DIM), np.float32)
    writer.add_tensor("token_embd.weight", embed)
    writer.add_tensor("output_norm.weight", ones)
    writer.add_tensor("output.weight", out)
    writer.add_tensor("blk.0.attn_norm.weight", ones)
    for name in ("attn_q", "attn_k", "attn_v", "attn_output"):  # attention adds nothing (its output is 0)
        writer.add_tensor(f"blk.0.{name}.weight", square)
    writer.add_tensor("blk.0.ffn_norm.weight", ones)
    for name in ("ffn_gate", "ffn_up", "ffn_down"):  # nor does the feed-forward layer
        writer.add_tensor(f"blk.0.{name}.weight", square)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def server_python() -> str:
    """The python of the venv holding llama-cpp-python's server: built once (scripts/llm-server.sh,
    which `make test` runs first; on a machine where it has not run, this builds it)."""
    done = subprocess.run(["bash", str(ROOT / "scripts" / "llm-server.sh"), sys.executable],
                          capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError("scripts/llm-server.sh failed:\n" + done.stderr[-3000:])
    return done.stdout.strip().splitlines()[-1]


class LlamaServer:
    """`python -m llama_cpp.server` over ``model`` on a free port; its log counts the requests."""

    def __init__(self, python: str, model: Path, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.proc = subprocess.Popen(
            [python, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
             "--port", str(self.port), "--n_ctx", str(CONTEXT), "--n_threads", "1"],
            stdout=log.open("w"), stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/v1/models", timeout=2)
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("llama.cpp server stopped:\n" + log.read_text()[-3000:]) from None
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("llama.cpp server did not start:\n" + log.read_text()[-3000:])

    def completions(self) -> int:
        """How many chat completions it has been asked for (uvicorn's access log)."""
        return self.log.read_text(errors="replace").count("POST /v1/chat/completions")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
