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


def _vocab(words: dict[str, int]):  # type: ignore[no-untyped-def]
    return lambda w: words.get(w, 0)


def test_phrases_are_translated_before_their_words() -> None:
    out = expand("How far did the cold-chain damage rate drop?",
                 _vocab({"冷链": 3, "货损率": 2, "下降": 40, "寒冷": 1, "链条": 1}))
    assert "冷链" in out and "货损率" in out
    assert "寒冷" not in out and "链条" not in out


def test_central_dictionary_senses_beat_late_ones() -> None:
    from knowledge.crosslingual import Sense, _choose

    senses = [Sense("店铺", 0), Sense("字号", 5), Sense("商店", 1)]
    assert _choose(senses, _vocab({"店铺": 10, "字号": 50, "商店": 9}), 2) == ["店铺", "商店"]
    assert _choose(senses, _vocab({"店铺": 10, "字号": 50, "商店": 1}), 2) == ["店铺"]


def test_the_sense_the_corpus_uses_beats_a_slightly_more_central_one() -> None:
    from knowledge.crosslingual import Sense, _choose

    senses = [Sense("漏洞", 0), Sense("露风", 1), Sense("泄露", 2)]
    assert _choose(senses, _vocab({"漏洞": 3, "露风": 1, "泄露": 10}), 2)[0] == "泄露"


@pytest.mark.parametrize("word, form", [("kept", "keep"), ("paid", "pay"), ("sold", "sell")])
def test_irregular_past_forms(word: str, form: str) -> None:
    assert form in _base_forms(word)


@pytest.mark.parametrize("word, form", [("compensation", "compensate"), ("shorten", "short"),
                                        ("improvement", "improve"), ("quickly", "quick")])
def test_derived_forms(word: str, form: str) -> None:
    from knowledge.crosslingual import _derived_forms

    assert form in _derived_forms(word)


def test_a_derived_word_falls_back_on_its_root() -> None:
    # "compensation" has no dictionary sense the corpus uses; "compensate" has
    words = expand("How was the customer compensation decided?", _vocab({"赔偿": 5, "补偿": 2, "顾客": 9}))
    assert "赔偿" in words or "补偿" in words


def test_two_words_make_the_compound_the_corpus_uses() -> None:
    vocab = _vocab({"数据": 80, "数据湖": 1, "整合": 6})
    missing: list[str] = []
    words = expand("How many sources did the data lake integrate?", vocab, missing=missing)
    assert "数据湖" in words and "lake" not in missing


def test_compounds_stay_short_and_use_no_function_characters() -> None:
    from knowledge.crosslingual import _compound, _Phrase

    left = _Phrase(["plan"], ["方案"], ["方案"], True)
    right = _Phrase(["aim"], [], [], False)
    assert _compound(left, right, _vocab({"方案的": 9, "方案": 9})) is None


def test_acronyms_the_corpus_writes_are_kept_beside_their_translation() -> None:
    kept: list[str] = []
    words = expand("What LTV-to-CAC ratio is the plan aiming for?",
                   _vocab({"ltv": 3, "cac": 3, "用户价值": 5, "获客成本": 4, "比例": 9}), kept=kept)
    assert {"ltv", "cac"} <= set(kept) and "获客成本" in words


def test_names_the_corpus_lacks_are_kept_as_named_things() -> None:
    kept: list[str] = []
    missing: list[str] = []
    expand("What referral fee does Amazon charge for beauty products?", _vocab({"费用": 9}),
           missing=missing, kept=kept)
    assert "amazon" in missing and "amazon" in kept
    kept.clear()
    expand("Amazon and other platforms?", _vocab({"费用": 9}), missing=missing, kept=kept)  # first word
    assert "amazon" not in kept


def test_r_and_d_is_one_word() -> None:
    assert "研发" in expand("How much goes to technology R&D?", _vocab({"研发": 4, "技术": 20}))


def test_units_and_general_words_translate() -> None:
    vocab = _vocab({"天": 90, "小时": 40, "新": 60, "店铺": 20})
    assert {"天", "小时", "新", "店铺"} <= set(expand("How many hours a day does a new shop open?", vocab))


def test_untranslated_words_the_corpus_uses_are_kept() -> None:
    kept: list[str] = []
    expand("How did NPS change?", _vocab({"nps": 4, "变化": 10}), kept=kept)
    assert kept == ["nps"]


def test_general_words_are_not_trade_terms() -> None:
    from knowledge.crosslingual import general_words, glossary

    assert "day" in general_words() and "day" not in glossary()
    assert "cold chain" in glossary()


def test_four_word_glossary_phrases_beat_their_first_word() -> None:
    vocab = {"投产比": 8, "ROI": 20, "退货": 40, "花费": 6}
    words = expand("What is the return on ad spend on Douyin?", lambda w: vocab.get(w, 0))
    assert "投产比" in words and "退货" not in words


def test_operations_shorthand_and_rollout_terms_translate() -> None:
    vocab = {"运营": 50, "试点": 4, "逐步推广": 2, "首页": 9, "改版": 3, "埋点": 2, "延迟": 3}
    words = expand("Is a staged rollout set for the ops homepage redesign, and what latency "
                   "does event tracking need?", lambda w: vocab.get(w, 0))
    assert {"试点", "运营", "首页", "改版", "埋点", "延迟"} <= set(words)
