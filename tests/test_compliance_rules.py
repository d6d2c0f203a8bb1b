"""The compliance rule files: what ships, how malformed files are reported, the indexable chunks."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from agent.errors import ConfigError
from knowledge.compliance_rules import default_rules_dir, load_rules, rule_chunks
from tools.compliance import check_text

FINDING_CATEGORIES = {
    "absolute_term", "first_only", "state_authority", "false_price", "medical_claim", "efficacy_unapproved",
    "guarantee_claim", "unverified_data", "disparagement", "urgency_pressure", "superstition", "minors",
    "paid_content_unlabeled", "other",
}


@pytest.fixture(scope="module")
def rules():  # type: ignore[no-untyped-def]
    return load_rules()


def test_shipped_rules_cover_every_category(rules) -> None:  # type: ignore[no-untyped-def]
    assert default_rules_dir().is_dir()
    assert rules.term_count >= 400
    assert {r.category for r in rules.rules} == FINDING_CATEGORIES
    assert set(rules.finding_categories) == FINDING_CATEGORIES


def test_every_rule_cites_an_article_and_explains(rules) -> None:  # type: ignore[no-untyped-def]
    for rule in rules.rules:
        assert re.search(r"《.+》第.+条", rule.basis), rule.id
        assert re.search(r"[\u4e00-\u9fff]", rule.explanation), rule.id
        assert rule.severity in ("block", "warn", "info")
        if rule.severity == "block":
            assert rule.suggestions or rule.replacement == "", f"{rule.id}: a blocking rule says what to write"


def test_every_term_fires_on_its_own(rules) -> None:  # type: ignore[no-untyped-def]
    """A term that can never produce a finding is a dead rule (e.g. an allowed context swallowing it)."""
    dead = []
    for rule in rules.rules:
        if rule.requires_nearby or rule.only_if_text:
            continue  # these need a claim word or a note around the term; the case table covers them
        category = sorted(rule.categories)[0] if rule.categories else next(
            c.id for c in rules.product_categories if c.id not in rule.except_categories)
        for term in rule.terms:
            if not any(f.severity != "info" for f in check_text(term, category).findings):
                dead.append(f"{rule.id}:{term}")
    assert dead == []


MALFORMED = [
    ("broken.yaml", "rules:\n  - id: X-01\n    name: [unclosed\n", "broken.yaml:3"),
    ("keys.yaml", "category: other\nrules:\n  - id: X-01\n    name: n\n    severity: block\n    terms: [a]\n"
                  "    basis: 《广告法》第九条\n    explanation: e\n    colour: red\n", "keys.yaml:3"),
    ("severity.yaml", "category: other\nrules:\n  - id: X-01\n    name: n\n    severity: fatal\n    terms: [a]\n"
                      "    basis: b\n    explanation: e\n", "severity.yaml:3"),
    ("regex.yaml", "category: other\n\nrules:\n  - id: X-01\n    name: n\n    severity: warn\n    patterns: ['(unclosed']\n"
                   "    basis: b\n    explanation: e\n", "regex.yaml:4"),
    ("basis.yaml", "category: other\nrules:\n  - id: X-01\n    name: n\n    severity: warn\n    terms: [a]\n"
                   "    explanation: e\n", "basis.yaml:3"),
    ("scope.yaml", "category: other\nrules:\n  - id: X-01\n    name: n\n    severity: warn\n    terms: [a]\n"
                   "    categories: [spaceships]\n    basis: b\n    explanation: e\n", "scope.yaml:3"),
    ("dup.yaml", "category: other\nrules:\n  - id: ABS-01\n    name: n\n    severity: warn\n    terms: [a]\n"
                 "    basis: b\n    explanation: e\n", "dup.yaml:3"),
    ("context.yaml", "category: other\nrules:\n  - id: X-01\n    name: n\n    severity: warn\n    terms: [第一]\n"
                     "    allowed_contexts: [第一]\n    basis: b\n    explanation: e\n", "context.yaml:3"),
    ("category.yaml", "category: nonsense\nrules:\n  - id: X-01\n    name: n\n    severity: warn\n    terms: [a]\n"
                      "    basis: b\n    explanation: e\n", "category.yaml:3"),
    ("norules.yaml", "category: other\nterms: [a]\n", "norules.yaml:1"),
    ("twice.yaml", "category: other\nrules:\n  - id: X-01\n    name: n\n    severity: warn\n    terms: [a]\n"
                   "    terms: [b]\n    basis: b\n    explanation: e\n", "twice.yaml:3"),
]


@pytest.mark.parametrize(("name", "content", "where"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_rule_file_names_file_and_line(tmp_path: Path, name: str, content: str, where: str) -> None:
    for shipped in default_rules_dir().glob("*.yaml"):
        shutil.copy(shipped, tmp_path / shipped.name)
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_rules(tmp_path)
    assert where in err.value.message


def test_missing_common_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="_common.yaml"):
        load_rules(tmp_path)


def test_rule_chunks_answer_why_not_lowest_price(rules) -> None:  # type: ignore[no-untyped-def]
    chunks = rule_chunks(rules)
    assert len(chunks) == len(rules.rules)
    assert {c.kind for c in chunks} == {"compliance_rule"}
    assert {c.source for c in chunks} <= {p.name for p in default_rules_dir().glob("*.yaml")}
    lowest = [c for c in chunks if "全网最低价" in c.text]
    assert lowest, "the rule text names the term"
    chunk = lowest[0]
    assert chunk.source == "false_price.yaml" and chunk.section == "PRC-01"
    assert chunk.title.startswith("广告合规规则") and re.search(r"[\u4e00-\u9fff]", chunk.section_title)
    assert "明码标价和禁止价格欺诈规定" in chunk.text and "第十九条" in chunk.text
    assert "可以改写为" in chunk.text
    assert len({c.id for c in chunks}) == len(chunks)
