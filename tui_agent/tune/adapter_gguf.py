"""A trained LoRA as a llama.cpp LoRA adapter GGUF (F16), in the layout of llama.cpp's own
``convert_lora_to_gguf.py``.

Keys: ``general.architecture`` (the base model's, ``llama``), ``general.type = "adapter"``,
``adapter.type = "lora"``, ``adapter.lora.alpha`` (float32; llama.cpp scales the update by
alpha / rank like peft). Tensors: ``blk.{i}.{attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down}
.weight.lora_a`` of shape (rank, in) and ``….lora_b`` of shape (out, rank) (numpy order; GGUF stores
the dimensions reversed), float16.

llama.cpp's converter permutes the rows of the query and key projections of a llama model (its rope
layout differs from Hugging Face's) and transformers undoes that when it reads the GGUF; the LoRA's
``b`` of those two projections gets the same permutation here (``a`` acts on the input side and does not).

Loaded with ``llama_cpp.Llama(model_path=<the bundled GGUF>, lora_path=<this file>)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

GGUF_NAMES = {"q_proj": "attn_q", "k_proj": "attn_k", "v_proj": "attn_v", "o_proj": "attn_output",
              "gate_proj": "ffn_gate", "up_proj": "ffn_up", "down_proj": "ffn_down"}


def permute_rows(weights: Any, n_head: int) -> Any:
    """llama.cpp's ``LlamaModel.permute`` of the output rows of a q / k projection (``n_head``: the
    heads of that projection; key/value heads for k)."""
    rows = weights.shape[0]
    return (weights.reshape(n_head, 2, rows // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def write_adapter(path: Path, tensors: dict[tuple[int, str, str], Any], *, alpha: float, n_head: int,
                  n_head_kv: int, architecture: str = "llama", name: str = "tui-agent tune") -> int:
    """Write ``tensors`` (from :func:`tui_agent.tune.model.lora_tensors`) to ``path``; returns its size in bytes.

    Raises:
        ValueError: ``tensors`` is empty or a pair is incomplete.
    """
    import gguf
    import numpy as np

    keys = sorted({(layer, module) for layer, module, _ in tensors})
    if not keys:
        raise ValueError("no LoRA tensors to write")
    writer = gguf.GGUFWriter(str(path), architecture)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_name(name)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
    for layer, module in keys:
        try:
            a, b = tensors[(layer, module, "a")], tensors[(layer, module, "b")]
        except KeyError as exc:
            raise ValueError(f"layer {layer} {module}: LoRA pair incomplete ({exc.args[0]})") from exc
        if module == "q_proj":
            b = permute_rows(b, n_head)
        elif module == "k_proj":
            b = permute_rows(b, n_head_kv)
        base = f"blk.{layer}.{GGUF_NAMES[module]}.weight"
        writer.add_tensor(f"{base}.lora_a", np.ascontiguousarray(a, dtype=np.float16))
        writer.add_tensor(f"{base}.lora_b", np.ascontiguousarray(b, dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.stat().st_size
