"""English questions get Chinese words the corpus uses; untranslatable words are reported."""

from __future__ import annotations

import pytest

from knowledge.crosslingual import _base_forms, content_words, expand

VOCAB = {"退款": 30, "退货": 40, "库存": 12, "仓库": 5, "双十一": 20, "预算": 9, "客服": 50, "转化率": 7}


def known(word: str) -> int:
    return VOCAB.get(word, 0)


@pytest.mark.parametrize("question, expected", [
    ("How fast is a refund processed?", {"退款"}),
    ("What is the Double 11 budget?", {"双十一", "预算"}),
    ("How many warehouses hold inventory?", {"库存"}),
    ("Customer service conversion rate", {"客服", "转化率"}),
])
def test_expand_finds_words_the_corpus_uses(question: str, expected: set[str]) -> None:
    assert expected <= set(expand(question, known))


def test_only_words_present_in_the_corpus_are_added() -> None:
    assert all(known(w) > 0 for w in expand("Which warehouse ships returns and refunds?", known))


@pytest.mark.parametrize("question, missing", [
    ("What was Amazon's net profit?", "amazon"),
    ("What is the USD to CNY rate?", "usd"),
])
def test_untranslatable_words_are_reported(question: str, missing: str) -> None:
    out: list[str] = []
    expand(question, known, missing=out)
    assert any(missing in m for m in out)


@pytest.mark.parametrize("word, form", [("warehouses", "warehouse"), ("planned", "plan"), ("categories", "category")])
def test_base_forms(word: str, form: str) -> None:
    assert form in _base_forms(word)


def test_content_words_drop_function_words() -> None:
    assert content_words("What is the refund policy of the shop?") == ["refund", "policy", "shop"]
