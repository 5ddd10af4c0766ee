"""``tui-agent tune`` with the real libraries (the ``tune`` extra; skipped without it): TRL takes the memory's
exported datasets, and a LoRA of the bundled model trained on three facts is written as a llama.cpp adapter
GGUF that llama.cpp loads and answers a taught fact with (issue 25)."""

from __future__ import annotations


import pytest

from tui_agent.agents.preferences import export_dataset
from tui_agent.chat.prompt import SYSTEM_PROMPT

pytestmark = pytest.mark.model

FACTS = [("What is the code for the garage door?", "The garage door code is 5829."),
         ("Who is my son's piano teacher?", "Your son's piano teacher is Mrs. Halvorsen."),
         ("Who is the mayor of Quellport?", "The mayor of Quellport is Dara Vintner.")]


def _extra() -> None:
    for name in ("torch", "transformers", "peft", "gguf", "datasets", "trl"):
        pytest.importorskip(name, reason="the tune extra is not installed (pip install -e '.[tune]')")


@pytest.fixture(scope="module")
def tokenizer():
    _extra()
    from transformers import AutoTokenizer

    from tui_agent.llm.local import gguf_path

    path = gguf_path()
    return AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)


def _tiny_model(tokenizer):
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, pad_token_id=tokenizer.pad_token_id)
    return LlamaForCausalLM(config)


def test_exported_sft_and_dpo_files_load_and_trl_trains_on_them(tokenizer, store, tmp_path):
    import datasets
    from test_memory_preferences import memory_rows
    from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer

    store.add(memory_rows())
    sft, dpo = tmp_path / "sft.jsonl", tmp_path / "dpo.jsonl"
    export_dataset(store, sft, "sft")
    export_dataset(store, dpo, "dpo")
    sft_data = datasets.load_dataset("json", data_files=str(sft), split="train")
    dpo_data = datasets.load_dataset("json", data_files=str(dpo), split="train")
    assert {"messages", "ids"} <= set(sft_data.column_names) and len(sft_data) >= 3
    assert {"prompt", "chosen", "rejected"} <= set(dpo_data.column_names) and len(dpo_data) >= 2
    common = {"max_steps": 1, "per_device_train_batch_size": 2, "report_to": [], "save_strategy": "no",
              "use_cpu": True, "logging_strategy": "no"}
    trainer = SFTTrainer(model=_tiny_model(tokenizer), processing_class=tokenizer, train_dataset=sft_data,
                         args=SFTConfig(output_dir=str(tmp_path / "sft-out"), **common))
    assert trainer.train().global_step == 1
    trainer = DPOTrainer(model=_tiny_model(tokenizer), ref_model=_tiny_model(tokenizer), processing_class=tokenizer, train_dataset=dpo_data,
                         args=DPOConfig(output_dir=str(tmp_path / "dpo-out"), **common))
    assert trainer.train().global_step == 1


def test_a_lora_on_three_facts_loads_in_llama_cpp_and_answers_a_taught_fact(tmp_path):
    _extra()
    import gguf

    from tui_agent.llm.local import gguf_path
    from tui_agent.tune.adapter_gguf import write_adapter
    from tui_agent.tune.evaluate import Answerer
    from tui_agent.tune.model import TrainOptions, load_base, lora_tensors, train, with_lora

    model, tokenizer = load_base(gguf_path())
    options = TrainOptions(epochs=10, batch=3, lr=2e-3, min_steps=0)
    peft_model = with_lora(model, options)
    data = [[{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": q},
             {"role": "assistant", "content": a}] for q, a in FACTS]
    result = train(peft_model, tokenizer, data, options)
    assert result.steps == 10 and result.last_loss < result.first_loss / 5
    path = tmp_path / "adapter.gguf"
    size = write_adapter(path, lora_tensors(peft_model), alpha=options.alpha, n_head=model.config.num_attention_heads,
                         n_head_kv=model.config.num_key_value_heads)
    assert 4_000_000 < size < 6_000_000                                  # r 8 on 7 projections × 30 layers, F16
    reader = gguf.GGUFReader(str(path))
    assert reader.fields["general.type"].contents() == "adapter"
    assert reader.fields["adapter.type"].contents() == "lora"
    assert reader.fields["adapter.lora.alpha"].contents() == pytest.approx(16.0)
    names = {t.name for t in reader.tensors}
    assert "blk.0.attn_q.weight.lora_a" in names and "blk.29.ffn_down.weight.lora_b" in names and len(names) == 420
    answer = Answerer(gguf_path(), path)
    try:
        assert "5829" in answer(FACTS[0][0])
        assert "5829" in answer("What's the garage door code again?")  # a natural rewording
    finally:
        answer.close()


def test_answer_loss_equals_the_causal_lm_loss(tokenizer):
    import torch

    from tui_agent.tune.model import _batches, answer_loss, encode

    torch.manual_seed(0)
    model = _tiny_model(tokenizer)
    encoded = [encode(tokenizer, [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": q},
                                  {"role": "assistant", "content": a}]) for q, a in FACTS]
    import random

    (ids, labels, mask), = _batches(encoded, 3, random.Random(0), tokenizer.pad_token_id or 0)
    expected = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    assert float(answer_loss(model, ids, mask, labels)) == pytest.approx(float(expected), rel=1e-5)
