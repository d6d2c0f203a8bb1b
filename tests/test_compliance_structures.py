"""Structural detectors: role vocabularies combined into patterns, reported only where no listed rule fired.

The phrases below are written for these tests; each names the role combination it exercises.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from agent.errors import ConfigError
from knowledge.compliance_rules import default_rules_dir, expand_vocabularies, load_rules
from tools.compliance import check_text, resolve_category
from tools.compliance_matcher import CompiledRules
from tools.compliance_normalize import normalize

# (text, product category, finding category the structural rules alone must report)
CATCH = [
    ("喝了以后蝴蝶袖明显小了", "food", "efficacy_unapproved"),          # appearance concern + change
    ("用了两个月，抬头纹都浅了不少", "cosmetics", "efficacy_unapproved"),
    ("每天一杯，精气神好多了", "food", "efficacy_unapproved"),          # body function + change
    ("这款奶粉喝完宝宝胃口越来越好", "infant", "efficacy_unapproved"),
    ("我爸吃了以后胸闷好了很多", "food", "medical_claim"),              # symptom + change
    ("喝了半年，尿酸降下来了", "food", "medical_claim"),
    ("坚持泡脚，膝盖再也不疼了", "home", "medical_claim"),              # body part + no longer hurts
    ("每天按一按，告别偏头痛", "electronics", "medical_claim"),          # treating verb + symptom
    ("这款除螨仪一用螨虫全清", "home", "guarantee_claim"),              # nuisance + total removal
    ("用了这个精华痘印一扫而光", "cosmetics", "guarantee_claim"),
    ("一个暑假就能说流利英语", "education", "guarantee_claim"),         # span of use + result
    ("泡一晚就能溶解水垢", "home", "guarantee_claim"),
    ("这个收纳箱怎么摔都不坏", "home", "guarantee_claim"),              # any treatment + no harm
    ("奶嘴直接咬也没事", "infant", "guarantee_claim"),
    ("学不会全额退学费", "education", "guarantee_claim"),              # failed outcome + refund
    ("本金亏了我们赔", "finance", "guarantee_claim"),
    ("保底120分", "education", "guarantee_claim"),
    ("上百位营养师一致好评", "food", "unverified_data"),                # vouching party + act
    ("多家月子中心都在用", "infant", "unverified_data"),
    ("产品已远销40多个国家", "general", "unverified_data"),            # count without a source
    ("实测肌肤含水量提升120%", "cosmetics", "unverified_data"),
    ("想要的姐妹，券放置顶了自取", "cosmetics", "paid_content_unlabeled"),  # purchase route in a note
    ("我用的这款，直播间5号链接就是", "cosmetics", "paid_content_unlabeled"),
    ("我用的这款，放在我橱窗了", "cosmetics", "paid_content_unlabeled"),
    ("喝了半年，复查指标全都正常", "health_food", "medical_claim"),       # check-up results normal
    ("智能手表，精准测出房颤", "electronics", "medical_claim"),           # detecting a disease
    ("纯天然的消炎药", "food", "medical_claim"),                          # natural drug class
    ("孩子用了再也不尿床", "home", "guarantee_claim"),                    # spared a bad outcome
    ("从40分提到90分", "education", "guarantee_claim"),                   # score from-to
    ("年化回报率保底6%", "finance", "guarantee_claim"),                   # floor on a return
    ("不出苗包赔", "agriculture", "guarantee_claim"),
    ("每5秒就卖出一台", "electronics", "unverified_data"),                # sales rate
    ("全国2000家门店都在卖", "general", "unverified_data"),
    ("加装后省电30%", "general", "unverified_data"),                      # performance figure
    ("我家的米比菜市场的香多了", "food", "disparagement"),                # other party + comparison
    ("隔壁那些便宜货全是以次充好", "home", "disparagement"),              # other party + scorn
    ("老板都亏本了", "general", "false_price"),                           # seller's loss
    ("戴上这串手链财源滚滚", "jewelry", "superstition"),                  # charm + fortune
    ("某峰会招待用酒", "food", "state_authority"),                        # state occasion + use
    ("玩多久都行，家长查不到", "toys", "minors"),                         # hiding from parents
    ("开车约8分钟到达万达广场", "real_estate", "other"),                  # location as travel time
    ("今晚12点后恢复原价", "general", "urgency_pressure"),                # deadline + price rise
    ("坚持喝了三个月，再也不偏头痛", "food", "medical_claim"),             # no longer + symptom
    ("用了这个护腰，从此扔掉止痛药", "home", "medical_claim"),             # freed from a drug class
    ("每天一杯，呵护卵巢", "food", "medical_claim"),                       # care verb + organ
    ("纸尿裤透气，零红屁屁", "infant", "guarantee_claim"),                 # zero + bad outcome
    ("加盟后月入3万以上", "finance", "guarantee_claim"),                   # income promise
    ("已帮助20万家庭", "general", "unverified_data"),                      # count helped
    ("只剩这一波，抓紧", "general", "urgency_pressure"),                    # only this one
    ("这瓶精华用完，脸上的黄气都退了", "cosmetics", "efficacy_unapproved"),  # new concern word
    ("喝了以后皮肤一天比一天细腻", "food", "efficacy_unapproved"),          # gradual change
    ("换了这款纸尿裤，小屁屁再也没红过", "infant", "guarantee_claim"),     # never again
    ("这口锅用十年都不用换", "home", "guarantee_claim"),                   # years without upkeep
    ("厕所里一点味道都没有了", "home", "guarantee_claim"),                  # nuisance gone entirely
    ("没拿到证书全额退费", "education", "guarantee_claim"),                # refund on outcome
    ("每个月稳拿10%分红", "finance", "guarantee_claim"),                   # steady figure
    ("想要的宝子私我拿链接", "cosmetics", "paid_content_unlabeled"),       # private link
    ("试用后95%的人都说有效", "cosmetics", "unverified_data"),             # share who agree
    ("这个茶能清除体内炎症", "food", "medical_claim"),                     # clearing a symptom
    ("降压药都减了一半", "food", "medical_claim"),                         # medicine reduced
    ("复查的时候肌酐指标恢复了", "health_food", "medical_claim"),          # marker recovered
    ("长得比同龄的小朋友结实", "infant", "efficacy_unapproved"),          # better than peers
    ("楼盘对面将建重点中学", "real_estate", "other"),                       # planned school
    ("别家的滤芯都是摆设", "home", "disparagement"),                        # scorn
    ("不买的话同学会笑话你", "toys", "minors"),                            # peer pressure
    ("成绩从70提到95", "education", "guarantee_claim"),                    # score from-to
    ("这张沙发坐二十年都不塌", "home", "guarantee_claim"),                 # years of wear
    ("开机半小时，粉尘直接清零", "electronics", "guarantee_claim"),        # nuisance cleared
    ("放一盒，蚂蚁一只都看不见了", "home", "guarantee_claim"),
    ("喝一口，马上就不闷了", "food", "medical_claim"),                     # instant relief
    ("挂在门口，晦气都能化掉", "home", "superstition"),                    # charm drives off ill luck
    ("喝了半年，我妈的骨质疏松好多了", "health_food", "medical_claim"),    # disease vocabulary + change
]

# ordinary copy that none of the rules may flag
HARMLESS = [
    ("洗后晾干即可，皮肤敏感者请先试用", "cosmetics"),
    ("下单后48小时内发货，支持7天无理由退换", "general"),
    ("每天一次，每次一粒，温水送服", "health_food"),
    ("加冷水15分钟即可食用", "food"),
    ("面膜敷15分钟后洗干净", "cosmetics"),
    ("医生建议每天饮水1500毫升", "food"),
    ("如有不适请咨询医生", "cosmetics"),
    ("上身显瘦，腰身看起来小了一码", "apparel"),
    ("炖2小时后口感软烂", "food"),
    ("充电两小时可用一整天", "electronics"),
    ("一周年店庆，全场九折", "general"),
    ("宝宝湿疹怎么办？先咨询儿科医生", "infant"),
    ("头发吹干后更顺滑", "cosmetics"),
    ("猫咪一般两三天就能学会用猫砂盆", "general"),
    ("家人们今天直播间下单送一个锅铲", "home"),
    ("品牌成立于2015年，至今服务了全国200多个城市的用户", "general"),
    ("请勿直接吞咽，使用后请用清水冲洗", "cosmetics"),
    ("XX品牌创立于2008年，如今在全国有120家门店", "general"),
    ("细菌过滤效率≥95%，一次性使用", "medical_device"),
    ("初次使用如有轻微泛红属正常现象", "cosmetics"),
    ("纯银手链，925银，附鉴定证书", "jewelry"),
    ("小区距地铁站约800米", "real_estate"),
    ("活动时间：今天10点至明天24点", "general"),
    ("每天一次，一次一滴，涂抹于指甲", "cosmetics"),
    ("客服入口在左下角，有问题随时问", "general"),
    ("本店只有今天营业到下午五点", "general"),
    ("肩颈按摩仪，每次使用不超过15分钟", "electronics"),
    ("老师会在课后批改作业并给出建议", "education"),
    ("这款拖鞋很轻，洗澡穿也不打滑", "general"),
    ("乳胶枕刚拆开有味道，通风两三天就散了", "home"),
    ("空气炸锅200度烤15分钟，鸡翅外皮就脆了", "electronics"),
    ("银饰氧化发黑属于正常现象，用擦银布擦一擦就亮了", "jewelry"),
    ("这件卫衣洗了几次也不变形", "apparel"),
    ("洗衣机有除菌洗模式，洗一次大概两个小时", "home"),
    ("这个挂面煮了不糊汤，老人孩子都爱吃", "food"),
    ("毛衣刚收到有点掉毛，洗一两次就好了", "apparel"),
]


@pytest.fixture(scope="module")
def structural() -> CompiledRules:
    rules = load_rules()
    return CompiledRules(replace(rules, rules=tuple(r for r in rules.rules if r.fallback)))


@pytest.mark.parametrize(("text", "category", "expected"), CATCH, ids=[c[0][:14] for c in CATCH])
def test_structural_rules_catch(structural: CompiledRules, text: str, category: str, expected: str) -> None:
    norm = normalize(text)
    hits = structural.match(norm.text, resolve_category(category), norm.norm_starts[1:])
    assert [h.rule.category for h in hits] == [expected], [(norm.text[h.start:h.end], h.rule.id) for h in hits]
    report = check_text(text, category)
    assert expected in {f.category for f in report.findings}, "the full checker reports it too"


@pytest.mark.parametrize(("text", "category"), HARMLESS, ids=[h[0][:14] for h in HARMLESS])
def test_harmless_copy_is_not_flagged(text: str, category: str) -> None:
    report = check_text(text, category)
    assert [(f.span, f.rule_id) for f in report.findings if f.severity in ("warn", "block")] == []


def test_a_listed_rule_wins_over_a_structural_one() -> None:
    report = check_text("三天见效", "cosmetics")
    assert [f.rule_id for f in report.findings] == ["GUA-01"]


def test_vocabulary_reference_expands_to_a_longest_first_prefix_tree() -> None:
    assert expand_vocabularies("{part}不疼了", {"part": ("腰", "膝盖")}) == "(?:腰|膝盖)不疼了"
    pattern = re.compile(expand_vocabularies("{part}", {"part": ("腰", "腰椎", "腰椎间盘", "膝盖")}))
    assert [m.group(0) for m in pattern.finditer("腰椎间盘突出，腰椎疼，腰酸，膝盖")] == ["腰椎间盘", "腰椎", "腰", "膝盖"]
    assert expand_vocabularies("[^,]{0,4}", {}) == "[^,]{0,4}", "a quantifier is no reference"


def test_every_structural_rule_uses_a_vocabulary() -> None:
    raw = "".join(p.read_text(encoding="utf-8") for p in default_rules_dir().glob("*.yaml"))
    rules = load_rules()
    fallback = [r for r in rules.rules if r.fallback]
    assert {r.id for r in fallback} >= {"EFF-S1", "MED-S1", "GUA-S1", "GUA-S2", "DAT-S1", "DAT-S2", "PAID-S1"}
    assert "vocabularies:" in raw and all(r.patterns for r in fallback)


def test_a_term_may_name_a_vocabulary() -> None:
    rules = load_rules()
    assert "骨质疏松" in rules.rule("MED-04").terms
    assert "骨质疏松" in rules.vocabularies["disease"]
    assert not any(t.startswith("{") for r in rules.rules for t in r.terms)


def test_unknown_vocabulary_names_file_and_line(tmp_path: Path) -> None:
    for shipped in default_rules_dir().glob("*.yaml"):
        shutil.copy(shipped, tmp_path / shipped.name)
    (tmp_path / "vocab.yaml").write_text(
        "category: other\nrules:\n  - id: X-01\n    name: n\n    severity: warn\n    patterns: ['{no_such_role}了']\n"
        "    basis: b\n    explanation: e\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_rules(tmp_path)
    assert "vocab.yaml:3" in err.value.message and "no_such_role" in err.value.message
