"""The bundled GGUF as a trainable transformers model, and the LoRA training loop (torch, CPU).

transformers refuses to train a model loaded "quantised" from a GGUF, so the model is built empty
from the GGUF's config (:func:`transformers.AutoModelForCausalLM.from_config`) and the dequantised
tensors (float32) are loaded into it. Torch runs with every CPU when the machine is idle and one thread
when it is busy (:func:`tui_agent.tune.evaluate.cpu_threads`).
"""

from __future__ import annotations

import math
import random
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
END_OF_TURN = "<|im_end|>\n"  # SmolLM2's chat template closes every turn with this


@dataclass(frozen=True)
class TrainOptions:
    """LoRA hyper-parameters.

    ``rank`` ≥ 1 and ``alpha`` ≥ 1 (the update is scaled by alpha / rank, as in peft and llama.cpp);
    ``epochs`` ≥ 1 passes over the examples, raised until there are ``min_steps`` steps (a few taught
    facts among the replayed answers: 4 passes over 3 facts taught 1 of them, :func:`epochs_for`);
    ``lr`` the AdamW learning rate; ``batch`` examples a step; ``seed`` fixes the order and the LoRA's
    initial values.
    """

    rank: int = 8
    alpha: int = 16
    epochs: int = 4
    lr: float = 2e-3
    batch: int = 4
    seed: int = 0
    min_steps: int = 100

    def check(self) -> None:
        """Raises ValueError naming the first bad value."""
        if self.rank < 1:
            raise ValueError(f"LoRA rank must be at least 1, got {self.rank}")
        if not self.alpha > 0:
            raise ValueError(f"LoRA alpha must be above 0, got {self.alpha}")
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")
        if not 0 < self.lr < 1:
            raise ValueError(f"learning rate must be in (0, 1), got {self.lr}")
        if self.min_steps < 0:
            raise ValueError(f"min_steps must be 0 or more, got {self.min_steps}")
        if self.batch < 1:
            raise ValueError(f"batch must be at least 1, got {self.batch}")


@dataclass
class TrainResult:
    """What training did: ``steps`` done of ``planned``, the mean loss of the first and last epoch,
    ``seconds`` of training, ``stopped`` (the budget ran out before the last step)."""

    steps: int
    planned: int
    first_loss: float
    last_loss: float
    seconds: float
    stopped: bool


def load_base(path: Path) -> tuple[Any, Any]:
    """(model, tokenizer) of the GGUF at ``path``: a float32 transformers causal LM and its tokenizer.

    Raises:
        ValueError: the file is not a GGUF transformers can read.
    """
    import torch
    from transformers import CONFIG_MAPPING, AutoModelForCausalLM, AutoTokenizer
    from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

    from tui_agent.tune.evaluate import cpu_threads

    torch.set_num_threads(cpu_threads())
    try:
        config = dict(load_gguf_checkpoint(str(path))["config"])
        config.pop("_model_name_or_path", None)
        model = AutoModelForCausalLM.from_config(CONFIG_MAPPING[config.pop("model_type")](**config),
                                                 dtype=torch.float32)
        tensors = load_gguf_checkpoint(str(path), return_tensors=True, model_to_load=model)["tensors"]
        missing, unexpected = model.load_state_dict(tensors, strict=False)
        tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    except (KeyError, OSError, RuntimeError) as exc:
        raise ValueError(f"cannot load {path.name} into transformers: {exc}") from exc
    if unexpected or [k for k in missing if k != "lm_head.weight"]:
        raise ValueError(f"{path.name}: tensors do not fit the model (missing {missing}, unexpected {unexpected})")
    model.tie_weights()
    model.eval()
    return model, tokenizer


def encode(tokenizer: Any, messages: Sequence[dict[str, str]]) -> tuple[list[int], list[int]]:
    """(input ids, labels) of a conversation ending in the assistant's answer: the loss is on the
    answer and its end-of-turn only (labels −100 elsewhere)."""
    *prompt, answer = messages
    head = tokenizer.apply_chat_template(list(prompt), add_generation_prompt=True, tokenize=False)
    prompt_ids = tokenizer(head, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(answer["content"] + END_OF_TURN, add_special_tokens=False)["input_ids"]
    return prompt_ids + answer_ids, [-100] * len(prompt_ids) + answer_ids


def with_lora(model: Any, options: TrainOptions) -> Any:
    """The model wrapped by peft with a LoRA on every attention and MLP projection."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(options.seed)
    config = LoraConfig(r=options.rank, lora_alpha=options.alpha, lora_dropout=0.0,
                        target_modules=list(TARGET_MODULES), bias="none", task_type="CAUSAL_LM")
    with warnings.catch_warnings():  # peft calls a transformers method deprecated for v6: not the user's concern
        warnings.simplefilter("ignore", FutureWarning)
        return get_peft_model(model, config)


def _batches(encoded: list[tuple[list[int], list[int]]], size: int, rng: random.Random,
             pad_id: int) -> list[tuple[Any, Any, Any]]:
    import torch

    order = list(range(len(encoded)))
    rng.shuffle(order)
    out = []
    for start in range(0, len(order), size):
        group = [encoded[i] for i in order[start:start + size]]
        width = max(len(ids) for ids, _ in group)
        ids = torch.full((len(group), width), pad_id, dtype=torch.long)
        labels = torch.full((len(group), width), -100, dtype=torch.long)
        mask = torch.zeros((len(group), width), dtype=torch.long)
        for row, (x, y) in enumerate(group):
            ids[row, :len(x)] = torch.tensor(x)
            labels[row, :len(y)] = torch.tensor(y)
            mask[row, :len(x)] = 1
        out.append((ids, labels, mask))
    return out


def answer_loss(model: Any, ids: Any, mask: Any, labels: Any) -> Any:
    """The causal-LM loss (mean cross-entropy over the label tokens, as transformers computes it) with the
    output layer run on the answer positions only: the 49,152-word output layer is about a fifth of the
    model's work a token, and the answer is about a quarter of an example's tokens.

    ``ids``, ``mask``, ``labels``: (batch, length) long tensors, labels −100 where there is no loss;
    ``model``: a peft-wrapped causal LM (or the LM itself)."""
    import torch

    lm = model.get_base_model() if hasattr(model, "get_base_model") else model
    hidden = lm.model(input_ids=ids, attention_mask=mask).last_hidden_state[:, :-1]
    targets = labels[:, 1:]
    keep = targets != -100
    logits = lm.lm_head(hidden[keep])
    return torch.nn.functional.cross_entropy(logits.float(), targets[keep])


def epochs_for(n_examples: int, options: TrainOptions) -> int:
    """Passes over ``n_examples`` examples: ``options.epochs``, or more until ``options.min_steps`` steps."""
    per_epoch = max(math.ceil(n_examples / options.batch), 1)
    return max(options.epochs, math.ceil(options.min_steps / per_epoch))


def steps_planned(n_examples: int, options: TrainOptions) -> int:
    """Optimizer steps of a run over ``n_examples`` examples."""
    return epochs_for(n_examples, options) * math.ceil(n_examples / options.batch)


def train(model: Any, tokenizer: Any, conversations: Sequence[Sequence[dict[str, str]]], options: TrainOptions,
          *, deadline: float | None = None, on_step: Callable[[int, float], None] | None = None) -> TrainResult:
    """Train the LoRA of ``model`` (from :func:`with_lora`) on ``conversations`` in place.

    ``deadline``: a :func:`time.monotonic` time after which no new step starts (the result says
    ``stopped``); ``on_step(step, loss)`` after every step.

    Raises:
        ValueError: no conversations, or bad options.
    """
    import torch

    options.check()
    if not conversations:
        raise ValueError("nothing to train on")
    encoded = [encode(tokenizer, c) for c in conversations]
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=options.lr, weight_decay=0.0)
    planned = steps_planned(len(encoded), options)
    rng = random.Random(options.seed)
    model.train()
    start, step, stopped = time.monotonic(), 0, False
    epoch_losses: list[float] = []
    for _epoch in range(epochs_for(len(encoded), options)):
        losses = []
        for ids, labels, mask in _batches(encoded, options.batch, rng, tokenizer.pad_token_id or 0):
            if deadline is not None and time.monotonic() > deadline:
                stopped = True
                break
            # linear decay to a tenth of the rate over the planned steps
            for group in optimizer.param_groups:
                group["lr"] = options.lr * (1 - 0.9 * step / planned)
            loss = answer_loss(model, ids, mask, labels)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            losses.append(loss.item())
            if on_step is not None:
                on_step(step, losses[-1])
        if losses:
            epoch_losses.append(sum(losses) / len(losses))
        if stopped:
            break
    model.eval()
    nan = float("nan")
    return TrainResult(step, planned, epoch_losses[0] if epoch_losses else nan,
                       epoch_losses[-1] if epoch_losses else nan, time.monotonic() - start, stopped)


def lora_tensors(model: Any) -> dict[str, Any]:
    """The trained LoRA as numpy float32 arrays keyed ``(layer, module, "a"|"b")`` → array;
    a: (rank, in), b: (out, rank), as peft holds them."""
    out: dict[Any, Any] = {}
    for name, param in model.named_parameters():
        if "lora_A" not in name and "lora_B" not in name:
            continue
        parts = name.split(".")
        layer = int(parts[parts.index("layers") + 1])
        module = next(p for p in parts if p in TARGET_MODULES)
        out[(layer, module, "a" if "lora_A" in name else "b")] = param.detach().float().numpy().copy()
    return out
