"""Load and validate the advertising-compliance rules in ``knowledge/corpus/compliance/*.yaml``.

The rules are data: the checker in ``tools/compliance.py`` executes them and the knowledge base
indexes them (``rule_chunks``) so a question such as “为什么不能写‘全网最低价’?” is answered with
the article. A malformed file raises ``ConfigError`` naming the file and the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from agent.errors import ConfigError
from knowledge.chunk import Chunk

SEVERITIES = ("block", "warn", "info")
MAX_CONTEXT_CHARS = 64  # the matcher looks this far back for an allowed context
COMMON_FILE = "_common.yaml"
_LINE = "__line__"

_RULE_KEYS = {
    "id", "name", "category", "severity", "terms", "patterns", "categories", "except_categories",
    "allowed_contexts", "allowed_patterns", "unless_text", "basis", "explanation", "suggestions",
    "replacement", "priority", "note", "requires_nearby", "only_if_text", "fallback",
}
# `{name}` in a regular expression stands for the words of vocabulary `name` from _common.yaml
# (quantifiers such as {0,4} hold digits, so they never look like a reference).
_VOCAB_REF = re.compile(r"\{([a-z][a-z_]*)\}")
_REQUIRED = ("id", "name", "severity", "basis", "explanation")


@dataclass(frozen=True)
class ComplianceRule:
    """One rule: what to match, where it applies, what law it rests on and what to write instead."""

    id: str
    name: str
    category: str
    severity: str
    basis: str
    explanation: str
    source: str
    line: int
    terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    categories: frozenset[str] | None = None
    except_categories: frozenset[str] = frozenset()
    allowed_contexts: tuple[str, ...] = ()
    allowed_patterns: tuple[str, ...] = ()
    unless_text: tuple[str, ...] = ()
    requires_nearby: tuple[str, ...] = ()
    only_if_text: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    replacement: str = ""
    priority: int = 0
    note: str = ""
    # A fallback rule (a structural detector built from vocabularies) reports only where no
    # listed rule found anything, so it adds findings without changing the ones already made.
    fallback: bool = False

    def applies_to(self, product_category: str) -> bool:
        if self.categories is not None and product_category not in self.categories:
            return False
        return product_category not in self.except_categories


@dataclass(frozen=True)
class ProductCategory:
    id: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    """Every rule plus the shared data from ``_common.yaml``."""

    rules: tuple[ComplianceRule, ...]
    product_categories: tuple[ProductCategory, ...]
    finding_categories: dict[str, str]
    safe_phrases: tuple[str, ...]
    titles: dict[str, str] = field(default_factory=dict)
    vocabularies: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def term_count(self) -> int:
        """Terms and patterns in all rules (the size of the rule base)."""
        return sum(len(r.terms) + len(r.patterns) for r in self.rules)

    def rule(self, rule_id: str) -> ComplianceRule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


def default_rules_dir() -> Path:
    """The rule files shipped with Zhanggui."""
    return Path(__file__).resolve().parent / "corpus" / "compliance"


class _LineLoader(yaml.SafeLoader):
    """A safe loader that records the line of every mapping, so errors can point at it."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:  # YAML would silently keep the last one and drop half a rule
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    mapping = loader.construct_mapping(node, deep=True)
    mapping[_LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path.name}: not UTF-8 text ({exc.reason})") from None
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        # The context mark is where the broken construct starts (an unclosed bracket), the
        # problem mark where the parser gave up; name the first, mention the second.
        context, problem = getattr(exc, "context_mark", None), getattr(exc, "problem_mark", None)
        mark = context or problem
        where = f"{path.name}:{mark.line + 1}" if mark else path.name
        detail = getattr(exc, "problem", None) or str(exc)
        if context and problem and problem.line != context.line:
            detail += f" (noticed at line {problem.line + 1})"
        raise ConfigError(f"{where}: malformed YAML: {detail}", hint="fix the rule file and run again") from None


def _fail(source: str, line: int, message: str) -> ConfigError:
    return ConfigError(f"{source}:{line}: {message}", hint="fix the rule file and run again")


def _str_list(value: Any, key: str, source: str, line: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise _fail(source, line, f"`{key}` must be a list of strings")
    return tuple(str(v) for v in value)


def expand_vocabularies(pattern: str, vocabularies: dict[str, tuple[str, ...]]) -> str:
    """Replace every ``{name}`` with a group matching the vocabulary's words, longest first.

    The group is a prefix tree (腰 and 腰椎 share 腰): a regular expression tries the branches of
    an alternation one by one at every position, so a tree of a few hundred words runs several
    times faster than their flat list, and matches the same words.

    >>> expand_vocabularies("{part}不疼了", {"part": ("腰", "腰椎", "膝盖")})
    '(?:腰(?:椎)?|膝盖)不疼了'
    """
    def group(m: re.Match[str]) -> str:
        return "(?:" + _prefix_tree_regex(vocabularies[m.group(1)]) + ")"

    return _VOCAB_REF.sub(group, pattern)


def _prefix_tree_regex(words: tuple[str, ...]) -> str:
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def alternatives(node: dict[str, Any]) -> list[str]:
        return [re.escape(char) + branch(child) for char, child in sorted(node.items()) if char]

    def branch(node: dict[str, Any]) -> str:
        options = alternatives(node)
        if not options:
            return ""
        body = options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"
        # a word that ends here may also go on: the longer word is tried first, as greedy `?` does
        return f"(?:{body})?" if "" in node else body

    return "|".join(alternatives(tree))


def _expanded(values: tuple[str, ...], key: str, source: str, line: int,
              vocabularies: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    for value in values:
        for name in _VOCAB_REF.findall(value):
            if name not in vocabularies:
                raise _fail(source, line, f"unknown vocabulary {{{name}}} in `{key}`; define it under `vocabularies`")
    return tuple(expand_vocabularies(v, vocabularies) for v in values)


def _vocabulary_terms(terms: tuple[str, ...], source: str, line: int,
                      vocabularies: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Terms with every ``{name}`` entry replaced by the words of that vocabulary."""
    out: list[str] = []
    for term in terms:
        whole = _VOCAB_REF.fullmatch(term)
        if whole is None:
            out.append(term)
        elif whole.group(1) in vocabularies:
            out.extend(vocabularies[whole.group(1)])
        else:
            raise _fail(source, line, f"unknown vocabulary {term} in `terms`; define it under `vocabularies`")
    return tuple(out)


def _check_regexes(patterns: tuple[str, ...], key: str, source: str, line: int) -> None:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise _fail(source, line, f"bad regular expression in `{key}`: {pattern!r} ({exc})") from None


def _parse_rule(raw: Any, default_category: str, source: str, known: dict[str, set[str]],
                vocabularies: dict[str, tuple[str, ...]] | None = None) -> ComplianceRule:
    if not isinstance(raw, dict):
        raise _fail(source, 1, "each entry under `rules` must be a mapping")
    line = int(raw.pop(_LINE, 1))
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise _fail(source, line, f"unknown key(s) {sorted(unknown)} in rule {raw.get('id', '?')}")
    for key in _REQUIRED:
        if not str(raw.get(key) or "").strip():
            raise _fail(source, line, f"rule {raw.get('id', '?')} lacks `{key}`")
    rule_id = str(raw["id"])
    category = str(raw.get("category") or default_category)
    if category not in known["findings"]:
        raise _fail(source, line, f"rule {rule_id}: unknown category {category!r}")
    severity = str(raw["severity"])
    if severity not in SEVERITIES:
        raise _fail(source, line, f"rule {rule_id}: severity must be one of {', '.join(SEVERITIES)}")
    vocabularies = vocabularies or {}

    def regexes(key: str) -> tuple[str, ...]:
        return _expanded(_str_list(raw.get(key), key, source, line), key, source, line, vocabularies)

    terms = _vocabulary_terms(_str_list(raw.get("terms"), "terms", source, line), source, line, vocabularies)
    patterns = regexes("patterns")
    if not terms and not patterns:
        raise _fail(source, line, f"rule {rule_id} has neither `terms` nor `patterns`")
    allowed_patterns = regexes("allowed_patterns")
    unless_text = regexes("unless_text")
    requires_nearby = regexes("requires_nearby")
    only_if_text = regexes("only_if_text")
    for key, values in (("patterns", patterns), ("allowed_patterns", allowed_patterns), ("unless_text", unless_text),
                        ("requires_nearby", requires_nearby), ("only_if_text", only_if_text)):
        _check_regexes(values, key, source, line)
    scopes: dict[str, frozenset[str]] = {}
    for key in ("categories", "except_categories"):
        values = _str_list(raw.get(key), key, source, line)
        bad = [v for v in values if v not in known["products"]]
        if bad:
            raise _fail(source, line, f"rule {rule_id}: unknown product category {bad} in `{key}`")
        scopes[key] = frozenset(values)
    contexts = _str_list(raw.get("allowed_contexts"), "allowed_contexts", source, line)
    for context in contexts:
        if len(context) > MAX_CONTEXT_CHARS:
            raise _fail(source, line, f"rule {rule_id}: allowed context longer than {MAX_CONTEXT_CHARS} characters")
        if context in terms:
            raise _fail(source, line, f"rule {rule_id}: allowed context {context!r} equals a term and would disable it")
    suggestions = _str_list(raw.get("suggestions"), "suggestions", source, line)
    replacement = raw.get("replacement")
    try:
        priority = int(raw.get("priority") or 0)
    except (TypeError, ValueError):
        raise _fail(source, line, f"rule {rule_id}: `priority` must be an integer") from None
    return ComplianceRule(
        id=rule_id, name=str(raw["name"]), category=category, severity=severity,
        basis=str(raw["basis"]).strip(), explanation=str(raw["explanation"]).strip(), source=source, line=line,
        terms=terms, patterns=patterns,
        categories=scopes["categories"] if raw.get("categories") is not None else None,
        except_categories=scopes["except_categories"],
        allowed_contexts=contexts,
        allowed_patterns=allowed_patterns, unless_text=unless_text, requires_nearby=requires_nearby,
        only_if_text=only_if_text,
        suggestions=suggestions,
        replacement=str(replacement) if replacement is not None else (suggestions[0] if suggestions else ""),
        priority=priority, note=str(raw.get("note") or ""), fallback=bool(raw.get("fallback")),
    )


def _load_vocabularies(data: dict[str, Any], source: str) -> dict[str, tuple[str, ...]]:
    raw = data.get("vocabularies") or {}
    line = raw.get(_LINE, data.get(_LINE, 1)) if isinstance(raw, dict) else data.get(_LINE, 1)
    if not isinstance(raw, dict):
        raise _fail(source, line, "`vocabularies` must map names to lists of words")
    vocabularies: dict[str, tuple[str, ...]] = {}
    for name, words in raw.items():
        if name == _LINE:
            continue
        if not re.fullmatch(r"[a-z][a-z_]*", str(name)):
            raise _fail(source, line, f"vocabulary name {name!r} must be lower-case letters and underscores")
        values = tuple(w for w in _str_list(words, f"vocabularies.{name}", source, line) if w)
        if not values:
            raise _fail(source, line, f"vocabulary {name!r} is empty")
        vocabularies[str(name)] = values
    return vocabularies


def _load_common(path: Path) -> tuple[tuple[ProductCategory, ...], dict[str, str], tuple[str, ...],
                                      dict[str, tuple[str, ...]]]:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise _fail(path.name, 1, "expected a mapping with `product_categories`, `finding_categories`, `safe_phrases`")
    line = data.get(_LINE, 1)
    findings = data.get("finding_categories")
    if not isinstance(findings, dict) or len(findings) <= 1:
        raise _fail(path.name, line, "`finding_categories` must map category ids to Chinese names")
    finding_names = {str(k): str(v) for k, v in findings.items() if k != _LINE}
    products = []
    for item in data.get("product_categories") or []:
        if not isinstance(item, dict) or not item.get("id"):
            raise _fail(path.name, item.get(_LINE, line) if isinstance(item, dict) else line,
                        "each product category needs an `id`")
        products.append(ProductCategory(str(item["id"]), str(item.get("name") or item["id"]),
                                        _str_list(item.get("aliases"), "aliases", path.name, item[_LINE])))
    if not products:
        raise _fail(path.name, line, "`product_categories` is empty")
    safe = _str_list(data.get("safe_phrases"), "safe_phrases", path.name, line)
    if any(len(p) > MAX_CONTEXT_CHARS for p in safe):
        raise _fail(path.name, line, f"a safe phrase is longer than {MAX_CONTEXT_CHARS} characters")
    return tuple(products), finding_names, safe, _load_vocabularies(data, path.name)


def load_rules(directory: Path | None = None) -> RuleSet:
    """Read every rule file in ``directory`` (default: the shipped rules) and validate it.

    The result is cached per folder until a file in it changes, so indexing the files one by
    one does not parse the whole folder each time.
    """
    directory = Path(directory) if directory is not None else default_rules_dir()
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.yaml")))
    return _load_rules_cached(directory.resolve(), stamp)


@lru_cache(maxsize=8)
def _load_rules_cached(directory: Path, stamp: tuple[tuple[str, int, int], ...]) -> RuleSet:
    common = directory / COMMON_FILE
    if not common.is_file():
        raise ConfigError(f"{directory}: no {COMMON_FILE} with the product categories",
                          hint="point the checker at a folder of compliance rule files")
    products, findings, safe, vocabularies = _load_common(common)
    known = {"products": {p.id for p in products}, "findings": set(findings)}
    rules: list[ComplianceRule] = []
    titles: dict[str, str] = {}
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name == COMMON_FILE:
            continue
        data = _read_yaml(path)
        if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
            raise _fail(path.name, (data or {}).get(_LINE, 1) if isinstance(data, dict) else 1,
                        "expected a mapping with a `rules` list")
        default_category = str(data.get("category") or "")
        titles[path.name] = str(data.get("title") or f"广告合规规则：{findings.get(default_category, path.stem)}")
        for raw in data["rules"]:
            rule = _parse_rule(raw, default_category, path.name, known, vocabularies)
            if rule.id in seen:
                raise _fail(path.name, rule.line, f"duplicate rule id {rule.id} (also in {seen[rule.id]})")
            seen[rule.id] = f"{path.name}:{rule.line}"
            rules.append(rule)
    if not rules:
        raise ConfigError(f"{directory}: no compliance rules found")
    return RuleSet(tuple(rules), products, findings, safe, titles, vocabularies)


def _rule_text(rule: ComplianceRule, findings: dict[str, str], products: dict[str, str]) -> str:
    examples = "、".join(f"“{t}”" for t in rule.terms[:24])
    lines = [f"{rule.name}（{findings.get(rule.category, rule.category)}，规则 {rule.id}）"]
    if examples:
        lines.append(f"涉及用语：{examples}{'等' if len(rule.terms) > 24 else ''}。")
    if rule.patterns:
        lines.append(f"另有 {len(rule.patterns)} 条句式规则（如带具体天数的见效承诺、无出处的百分比数据）。")
    lines.append(f"法律依据：{rule.basis}。")
    lines.append(f"为什么不能这样写：{rule.explanation}")
    if rule.allowed_contexts:
        lines.append("不算违规的情形：" + "、".join(rule.allowed_contexts[:16]) + "。")
    if rule.categories is not None:
        lines.append("适用的商品类目：" + "、".join(products.get(c, c) for c in sorted(rule.categories)) + "。")
    if rule.except_categories:
        lines.append("不适用的商品类目：" + "、".join(products.get(c, c) for c in sorted(rule.except_categories)) + "。")
    if rule.suggestions:
        lines.append("可以改写为：" + "；".join(rule.suggestions) + "。")
    lines.append(f"严重程度：{ {'block': '禁止（必须修改）', 'warn': '警告（需核实）', 'info': '提示'}[rule.severity] }。")
    return "\n".join(lines)


def rule_chunks(rules: RuleSet | None = None) -> list[Chunk]:
    """One indexable passage per rule, citing the rule file, the rule id and the law's article."""
    rules = rules if rules is not None else load_rules()
    products = {p.id: p.name for p in rules.product_categories}
    return [
        Chunk(
            source=rule.source,
            title=rules.titles.get(rule.source, "广告合规规则"),
            section=rule.id,
            section_title=rule.name,
            text=_rule_text(rule, rules.finding_categories, products),
            kind="compliance_rule",
        )
        for rule in rules.rules
    ]
