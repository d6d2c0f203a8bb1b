"""The pattern gate: a regular expression runs only when a word every match needs is in the text,
and only in windows around those words."""

from __future__ import annotations

import re

import pytest

from tools.compliance import check_text
from tools.compliance_matcher import CompiledRules, compiled_rules, required_words

WORDS = [
    ("替代药物", {"替代药物"}),
    ("(可以)?(替代|代替)[^,]{0,3}药", {"替代", "代替"}),
    ("(\\d+|[一二三])(天|周)[^,]{0,4}(见效|起效)", {"见效", "起效"}),
    ("(医院|诊所)(级|同级)", {"医院", "诊所"}),
    ("(a|b)?c", {"c"}),
    ("x(y)+", {"x"}),
    ("[^,]{1,3}", None),  # nothing is required
    ("(甲)?(乙)?", None),  # everything optional
    ("(?i)abc", None),  # case-folded patterns always run
    ("(甲|[^乙])", None),  # one branch requires nothing
]


@pytest.mark.parametrize(("pattern", "expected"), WORDS)
def test_required_words(pattern: str, expected: set[str] | None) -> None:
    words = required_words(re.compile(pattern))
    assert (set(words) if words is not None else None) == expected


def test_every_pattern_match_contains_a_required_word() -> None:
    engine = compiled_rules()
    texts = ["三天见效 无效退款", "喝了以后血压降了，医院同款配方", "全网最低价 仅此一天", "宝宝吃了不生病"]
    for _, pattern in engine._patterns:
        words = required_words(pattern)
        for text in texts:
            for m in pattern.finditer(text):
                if words is not None and m.end() > m.start():
                    assert any(w in m.group(0) for w in words), (pattern.pattern, m.group(0))


LONG = "，".join(["普通的棉质T恤"] * 30 + ["一周瘦十斤", "每天一次"] + ["透气舒适"] * 40 + ["医院同款，老寒腿再也不疼了"])


@pytest.mark.parametrize("text", ["三天见效，无效退款，全网最低价", "这款面霜用了一周法令纹都浅了", "普通的棉质T恤，透气舒适", LONG])
def test_gate_changes_no_finding(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    gated = [(f.start, f.end, f.rule_id) for f in check_text(text).findings]
    monkeypatch.setattr(CompiledRules, "_pattern_spans", lambda self, t: [(slot, None) for slot in range(len(self._patterns))])
    assert [(f.start, f.end, f.rule_id) for f in check_text(text).findings] == gated
