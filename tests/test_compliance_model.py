"""The compliance clause classifier: the shipped artifact, offsets in the text as written, clear cases."""

from __future__ import annotations

import pytest

from tools.compliance_model import MODEL_DIR, NONE, ClauseHit, classify, load_model, split_clauses
from tools.compliance_normalize import normalize


def test_artifact_loads_with_every_finding_category() -> None:
    model = load_model()
    assert (MODEL_DIR / "weights.npy").exists()
    assert NONE in model.classes and "medical_claim" in model.classes and len(model.classes) == 15
    assert model.ngram_weights.shape == (len(model.ngram_keys), len(model.classes))
    assert model.extra_weights.shape == (len(model.extra_index), len(model.classes))
    assert (model.ngram_keys[1:] > model.ngram_keys[:-1]).all()  # sorted, as the lookup needs
    assert 0.0 < model.threshold < 1.0


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_text_has_no_hits(text: str) -> None:
    assert classify(text, "general") == []


def test_clauses_split_on_punctuation_and_title_spaces() -> None:
    clauses = split_clauses(normalize("北欧风实木餐桌 橡木餐桌，支持定制尺寸！"))
    assert [c.text for c in clauses] == ["北欧风实木餐桌", "橡木餐桌", "支持定制尺寸"]


@pytest.mark.parametrize(
    ("text", "category", "claim", "expected"),
    [
        ("这款茶我喝了三个月，我的高血压好了", "food", "我的高血压好了", "medical_claim"),
        ("用了保证一周瘦十斤，无效全额退款", "health_food", "保证一周瘦十斤", "guarantee_claim"),
        ("孩子不买这个就会被同学笑话，爸爸妈妈快下单", "toys", "孩子不买这个就会被同学笑话", "minors"),
        ("吃了以后血糖降下来了，医生都说不用再吃药", "health_food", "医生都说不用再吃药", "medical_claim"),
    ],
)
def test_clear_claims_are_caught(text: str, category: str, claim: str, expected: str) -> None:
    hits = classify(text, category)
    covering = [h for h in hits if h.start <= text.index(claim) < h.end]
    assert covering, hits
    assert covering[0].category == expected
    assert covering[0].probability >= load_model().threshold


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("纯棉T恤，透气舒适，多色可选", "apparel"),
        ("新疆阿克苏苹果 5斤装 现摘现发 脆甜多汁", "food"),
        ("北欧风实木餐桌，橡木材质，支持定制尺寸", "home"),
        ("蓝牙耳机续航约30小时，支持快充，附赠收纳盒", "electronics"),
    ],
)
def test_harmless_copy_is_not_flagged(text: str, category: str) -> None:
    assert classify(text, category) == []


def test_offsets_point_into_the_text_as_written() -> None:
    # traditional characters, full-width punctuation and a symbol slipped between characters
    text = "這款茶我喝了三個月，我的高★血壓好了！"
    hits = classify(text, "food")
    assert hits
    for hit in hits:
        assert isinstance(hit, ClauseHit)
        assert 0 <= hit.start < hit.end <= len(text)
    assert any(text[h.start : h.end] == "我的高★血壓好了" for h in hits), [text[h.start : h.end] for h in hits]


def test_full_width_letters_map_back() -> None:
    text = "ＸＸ牌茶饮，喝了我的糖尿病好了"
    hits = classify(text, "food")
    assert [text[h.start : h.end] for h in hits] == ["喝了我的糖尿病好了"]


def test_a_lower_threshold_never_finds_fewer_clauses() -> None:
    text = "这款面霜用了两周，皱纹少了很多，闺蜜都说我年轻了十岁"
    assert len(classify(text, "cosmetics", threshold=0.3)) >= len(classify(text, "cosmetics", threshold=0.9))
