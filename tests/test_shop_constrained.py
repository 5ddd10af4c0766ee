"""Constrained rememberer advice: the grammar accepts exactly the page's valid actions in the advice format.

The grammar is checked by llama.cpp itself (its grammar sampler over the bundled model's vocabulary,
loaded vocabulary-only: no weights, no torch), token by token as generation would see it. The hosted
path uses LiteLLM's ``mock_response``. One ``model``-marked test runs a real constrained step.
"""

from __future__ import annotations

import ctypes
import json
import math

import pytest

from tui_agent.rlem.advice import parse_advice
from tui_agent.shop import constrained as con

ITEM = ["click[Back to Search]", "click[< Prev]", "click[Description]", "click[Features]", "click[Reviews]",
        "click[Buy Now]", "click[3.4 fl oz (pack of 1)]", 'click[12" "x" 3\\4]']


class GrammarChecker:
    """llama.cpp's grammar sampler over the bundled model's vocabulary (vocab-only load)."""

    def __init__(self) -> None:
        import llama_cpp as lc

        from tui_agent.llm.local import gguf_path

        self.lc = lc
        lc.llama_backend_init()
        params = lc.llama_model_default_params()
        params.vocab_only = True
        self.model = lc.llama_model_load_from_file(str(gguf_path()).encode(), params)
        assert self.model, "the bundled GGUF did not load"
        self.vocab = lc.llama_model_get_vocab(self.model)

    def tokens(self, text: str) -> list[int]:
        data = text.encode()
        buf = (self.lc.llama_token * (len(data) + 8))()
        n = self.lc.llama_tokenize(self.vocab, data, len(data), buf, len(buf), False, False)
        assert n >= 0
        return list(buf[:n])

    def _allowed(self, sampler, token: int) -> bool:
        cand = (self.lc.llama_token_data * 1)(self.lc.llama_token_data(token, 0.0, 0.0))
        arr = self.lc.llama_token_data_array(cand, 1, -1, False)
        self.lc.llama_sampler_apply(sampler, ctypes.byref(arr))
        return not math.isinf(cand[0].logit)

    def accepts(self, grammar: str, text: str) -> bool:
        """Whether the grammar lets generation write exactly ``text`` and then end (EOS)."""
        sampler = self.lc.llama_sampler_init_grammar(self.vocab, grammar.encode(), b"root")
        assert sampler, "llama.cpp could not parse the grammar"
        try:
            for token in self.tokens(text):
                if not self._allowed(sampler, token):
                    return False
                self.lc.llama_sampler_accept(sampler, token)
            return self._allowed(sampler, self.lc.llama_vocab_eos(self.vocab))
        finally:
            self.lc.llama_sampler_free(sampler)

    def close(self) -> None:
        self.lc.llama_model_free(self.model)


@pytest.fixture(scope="module")
def checker():
    pytest.importorskip("llama_cpp")
    c = GrammarChecker()
    yield c
    c.close()


def test_grammar_accepts_every_valid_action_and_nothing_else(checker):
    grammar = con.advice_grammar(ITEM)
    for action in ITEM:
        line = f"{action} -> 1.0 All the options are ready, so I buy it.\n"
        assert checker.accepts(grammar, line), action
        assert parse_advice(con.PREFIX + line).action == action
    assert checker.accepts(grammar, "click[Features] -> 0.3 I check the features.\n")
    for bad in ["click[B078GWRC1J] -> 1.0 an exemplar's product.\n",  # not on this page
                "click[buy now] -> 1.0 wrong case.\n",
                "click[12 fl oz] -> 1.0 an option of another item.\n",
                "search[shampoo] -> 1.0 no search bar on an item page.\n",
                "click[Buy Now] -> 2.0 value out of range.\n",
                "click[Buy Now] 1.0 no arrow.\n",
                "click[Buy Now] -> 1.0 two lines.\nclick[Reviews] -> 0.0 more\n",
                "click[Buy Now] -> 1.0 no line end"]:
        assert not checker.accepts(grammar, bad), bad
    assert not checker.accepts(grammar, "click[Buy Now] -> 1.0 " + "x" * (con.REASON_CHARS + 1) + "\n")


def test_search_page_grammar_takes_free_keywords(checker):
    grammar = con.advice_grammar(["search[<keywords>]"])
    assert checker.accepts(grammar, "search[travel size shampoo argan oil] -> 1.0 I search for the product.\n")
    assert not checker.accepts(grammar, "search[a]b] -> 1.0 bracket in the keywords.\n")
    assert not checker.accepts(grammar, "click[Buy Now] -> 1.0 no such button.\n")


def test_grammar_rejects_an_empty_page():
    with pytest.raises(ValueError, match="no valid actions"):
        con.advice_grammar([])
    with pytest.raises(ValueError, match="no valid actions"):
        con.advice_schema([" "])


def test_schema_and_json_answers():
    schema = con.advice_schema(ITEM)
    assert schema["properties"]["action"]["enum"] == ITEM and schema["additionalProperties"] is False
    assert "pattern" in con.advice_schema(["search[<keywords>]"])["properties"]["action"]
    text = con.advice_from_json(json.dumps({"action": "click[Buy Now]", "value": 0.93, "reason": "ready\nnow"}))
    assert text == "Encouraged:\nclick[Buy Now] -> 0.9 ready now"
    assert parse_advice(text).action == "click[Buy Now]"
    assert con.advice_from_json("not json") is None and con.advice_from_json('{"value": 1}') is None


def test_hosted_structured_output_through_litellm_mock(monkeypatch):
    """A hosted model whose provider takes a response schema gets ``response_format``; its JSON
    answer becomes the advice line (LiteLLM's ``mock_response``: no network)."""
    from tui_agent.llm.client import LLM
    from tui_agent.shop.agent import ShopAgent, ShopConfig

    sent: list[dict] = []

    class MockedLLM(LLM):
        async def complete(self, messages, **params):
            sent.append(params)
            answer = json.dumps({"action": "click[Buy Now]", "value": 1.0, "reason": "all options chosen"})
            return await super().complete(messages, mock_response=answer, **params)

    llm = MockedLLM("openai/gpt-4o-mini", fallback_to_local=False, retries=0)
    assert con.supports_schema(llm.model) and not con.supports_schema("no-such-provider/model")
    agent = ShopAgent.__new__(ShopAgent)
    agent.llm, agent.config = llm, ShopConfig()
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    text, model = agent._write_advice(messages, available=ITEM)
    assert text == "Encouraged:\nclick[Buy Now] -> 1.0 all options chosen" and model == "openai/gpt-4o-mini"
    assert sent[0]["response_format"]["json_schema"]["schema"]["properties"]["action"]["enum"] == ITEM
    assert "stop" not in sent[0]
    text, _ = agent._write_advice(messages)  # unconstrained: free text, the stop word, no schema
    assert "response_format" not in sent[1] and sent[1]["stop"] == ["Discouraged"]


@pytest.mark.model
def test_one_constrained_step_on_a_real_page_is_a_valid_action(tmp_path):
    """The bundled model, constrained, on the item page of test goal 0: its advice is a valid action."""
    from tui_agent.embedding.encoder import Embedder
    from tui_agent.envs.shop.env import ShopEnv
    from tui_agent.memory.store import ExperienceStore
    from tui_agent.shop.agent import ShopAgent, ShopConfig

    env = ShopEnv(split="test")
    obs, info = env.reset(options={"split": "test", "goal_index": 0})
    obs, _, _, _, info = env.step(f"search[{info['instruction'][:40]}]")
    first = next(a for a in info["available_actions"] if a.startswith("click[B0"))
    obs, _, _, _, info = env.step(first)
    agent = ShopAgent(ExperienceStore(tmp_path / "memory"), Embedder(), None, ShopConfig(seed=0))
    agent.ensure_initial_pool()
    step = agent.act("rememberer", info["instruction"], obs, list(info["available_actions"]), [], set())
    assert step.action in info["available_actions"], step.reason
