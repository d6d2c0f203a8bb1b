"""Questions about a named platform or programme are answered only from passages naming it."""

from __future__ import annotations

import pytest

from knowledge.answer import answer_question
from knowledge.retrieval import entity_terms, key_entities, word_tokens


@pytest.mark.parametrize("question, named", [
    ("拼多多百亿补贴的报名门槛是多少?", ["拼多多", "百亿补贴"]),
    ("抖音小店DSR评分掉到多少就不能报名活动?", ["抖音小店", "dsr"]),
    ("天猫的技术服务费是多少?", ["天猫"]),
])
def test_named_things_of_a_question(question: str, named: list[str]) -> None:
    assert key_entities(word_tokens(question)) == named


def test_plain_questions_name_nothing() -> None:
    assert key_entities(word_tokens("七天无理由退货的运费谁承担?")) == []


def test_entity_list_comes_from_the_user_dictionary() -> None:
    assert {"淘宝", "拼多多", "百亿补贴"} <= entity_terms()
    assert "客服" not in entity_terms()


@pytest.mark.parametrize("question", [
    "拼多多百亿补贴的报名门槛是多少?",
    "抖音小店DSR评分掉到多少就不能报名平台活动了?",
    "How much security deposit does a new Pinduoduo shop have to pay?",
])
def test_on_topic_question_about_an_absent_programme_is_declined(seeded_kb, question: str) -> None:
    result = seeded_kb.search_detailed(question)
    assert result.found is False and result.absent
    assert answer_question(seeded_kb, question).found is False


def test_question_whose_platform_the_passage_names_is_answered(seeded_kb) -> None:
    result = seeded_kb.search_detailed("抖音电商2023年的GMV做到多少了?")
    assert result.absent == [] and result.found
