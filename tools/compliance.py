"""Advertising-compliance checker: every finding with its span, rule, legal basis and a rewrite.

Offline and deterministic: the rules in ``knowledge/corpus/compliance/`` are matched on a
normalised copy of the text (see ``tools.compliance_normalize``) and every finding is mapped
back to character offsets in the text as written.

>>> report = check_text("全網最低價，快來搶", category="general")
>>> report.verdict, report.findings[0].span, report.findings[0].category
('block', '全網最低價', 'false_price')
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from agent.errors import BackendError, InputError, ZhangguiError
from knowledge.compliance_rules import ComplianceRule, RuleSet
from tools.compliance_matcher import compiled_rules
from tools.compliance_normalize import normalize

Severity = Literal["block", "warn", "info"]
Verdict = Literal["pass", "warn", "block"]

MODEL_RULE_ID = "MODEL"
CLASSIFIER_RULE_ID = "CLASSIFIER"
_MODEL_BASIS = "模型复核提出，需人工确认适用条款"


class ComplianceFinding(BaseModel):
    """One problem in the text: where it is, which rule it breaks, and what to write instead."""

    start: int = Field(description="Offset of the first character in the original text.")
    end: int = Field(description="Offset after the last character (half-open).")
    span: str
    rule_id: str
    category: str
    severity: Severity
    basis: str
    explanation: str
    suggestion: str
    source: Literal["rules", "classifier", "model"] = Field(
        "rules", description="rules: a rule matched; classifier: the offline clause classifier (warn, to confirm); "
        "model: the LLM's second pass (warn, to confirm)")


class ComplianceReport(BaseModel):
    """The checker's answer for one text."""

    verdict: Verdict
    findings: list[ComplianceFinding]
    rewrite: str


def _rules(rules_dir: Path | None = None) -> RuleSet:
    return compiled_rules(rules_dir).rules


def valid_categories(rules_dir: Path | None = None) -> list[str]:
    """Product-category ids a text can be checked against (``general`` is the default)."""
    return [p.id for p in _rules(rules_dir).product_categories]


def finding_categories(rules_dir: Path | None = None) -> dict[str, str]:
    """Finding-category ids with their Chinese names."""
    return dict(_rules(rules_dir).finding_categories)


def resolve_category(category: str | None, rules_dir: Path | None = None) -> str:
    """Map a category id or Chinese alias to its id; ``None`` means ``general``."""
    if category is None or not str(category).strip():
        return "general"
    wanted = str(category).strip()
    for product in _rules(rules_dir).product_categories:
        if wanted.lower() == product.id or wanted == product.name or wanted.lower() in {a.lower() for a in product.aliases}:
            return product.id
    raise InputError(
        f"unknown category {wanted!r}; valid categories: {', '.join(valid_categories(rules_dir))}",
        hint="pass one of the listed ids with --category, or leave it out for general goods",
    )


def _suggestion(rule: ComplianceRule) -> str:
    if rule.replacement:
        others = [s for s in rule.suggestions if s != rule.replacement]
        tail = f"；也可写：{'、'.join(others)}" if others else ""
        return f"改为“{rule.replacement}”{tail}"
    if rule.suggestions:
        return "删除该表述；" + "；".join(rule.suggestions)
    return "删除该表述"


def _verdict(findings: list[ComplianceFinding]) -> Verdict:
    severities = {f.severity for f in findings}
    if "block" in severities:
        return "block"
    return "warn" if "warn" in severities else "pass"


def _rewrite(text: str, findings: list[ComplianceFinding], replacements: dict[str, str]) -> str:
    """The text with every blocking span replaced by its rule's replacement (or removed)."""
    out: list[str] = []
    pos = 0
    last = ""
    for f in sorted(findings, key=lambda f: f.start):
        if f.severity != "block" or f.start < pos:
            continue
        between = text[pos : f.start]
        replacement = replacements.get(f.rule_id, "")
        # two neighbouring claims of one kind ("三天见效，无效退款") need the hedge only once
        if replacement and replacement == last and not between.strip(" ,，、;；!！"):
            pos = f.end
            continue
        out.append(between)
        out.append(replacement)
        last = replacement
        pos = f.end
    out.append(text[pos:])
    return "".join(out)


def check_text(text: str, category: str | None = None, *, rules_dir: Path | None = None,
               classifier: bool = True) -> ComplianceReport:
    """Check one ad text; ``category`` is a product-category id such as ``cosmetics`` or ``food``.

    Besides the rules, the clause classifier (``tools.compliance_model``) may add ``warn`` findings
    for clauses no rule matched; ``classifier=False`` leaves them out.
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError("the text to check is empty", hint="pass the ad copy, e.g. zhanggui check \"全网最低价\"")
    product = resolve_category(category, rules_dir)
    engine = compiled_rules(rules_dir)
    norm = normalize(text)
    findings = []
    for hit in engine.match(norm.text, product, norm.norm_starts[1:]):
        start, end = norm.original_span(hit.start, hit.end)
        rule = hit.rule
        findings.append(
            ComplianceFinding(
                start=start, end=end, span=text[start:end], rule_id=rule.id, category=rule.category,
                severity=rule.severity, basis=rule.basis, explanation=rule.explanation,
                suggestion=_suggestion(rule), source="rules",
            )
        )
    if classifier:
        findings = sorted(findings + _classifier_findings(text, product, norm, findings, rules_dir),
                          key=lambda f: (f.start, f.end))
    return ComplianceReport(
        verdict=_verdict(findings), findings=findings,
        rewrite=_rewrite(text, findings, engine.replacements),
    )


def _classifier_findings(text: str, product: str, norm: Any, findings: list[ComplianceFinding],
                         rules_dir: Path | None) -> list[ComplianceFinding]:
    """Clauses the classifier thinks break a rule and no rule finding touches, as ``warn`` findings."""
    from tools.compliance_model import classify

    basis = _category_basis(rules_dir)
    names = _rules(rules_dir).finding_categories
    out = []
    for hit in classify(text, product, norm=norm):
        if any(f.start < hit.end and f.end > hit.start for f in findings):
            continue  # a rule already speaks for this clause, with its exact span and article
        out.append(ComplianceFinding(
            start=hit.start, end=hit.end, span=text[hit.start:hit.end], rule_id=CLASSIFIER_RULE_ID,
            category=hit.category, severity="warn", basis=basis.get(hit.category, ""),
            explanation=f"没有规则直接命中，但统计分类器认为这句话像“{names.get(hit.category, hit.category)}”"
                        f"（概率 {hit.probability:.2f}），请人工确认。",
            suggestion="请人工复核：如属实，删除或改为有依据、不承诺效果的客观描述", source="classifier"))
    return out


@lru_cache(maxsize=4)
def _category_basis(rules_dir: Path | None) -> dict[str, str]:
    """The legal basis of each finding category: that of its first blocking rule."""
    out: dict[str, str] = {}
    for rule in _rules(rules_dir).rules:
        if rule.severity == "block" and rule.basis:
            out.setdefault(rule.category, rule.basis)
    return out


def add_model_findings(
    text: str,
    report: ComplianceReport,
    propose: Callable[[str], list[dict[str, Any]]],
    *,
    rules_dir: Path | None = None,
) -> ComplianceReport:
    """Add a language model's extra findings, keeping only those quoting a span that occurs in the text.

    ``propose(text)`` returns dicts with at least ``span``; optional ``category``, ``severity``,
    ``basis``, ``explanation``, ``suggestion``, ``start``. A proposal is dropped when its span is not
    in the text or overlaps a finding already made; a model finding is at most ``warn`` (a
    reviewer confirms it) and never changes the rule-based rewrite.
    """
    try:
        proposals = propose(text)
    except ZhangguiError:
        raise
    except Exception as exc:  # the model client is outside our control; report it typed
        raise BackendError(f"the model's second pass failed: {exc}") from exc
    categories = _rules(rules_dir).finding_categories
    taken = [(f.start, f.end) for f in report.findings]
    added: list[ComplianceFinding] = []
    for item in proposals if isinstance(proposals, list) else []:
        if not isinstance(item, dict):
            continue
        span = item.get("span")
        if not isinstance(span, str) or not span.strip():
            continue
        start = _locate(text, span, item.get("start"), taken)
        if start is None:
            continue
        end = start + len(span)
        category = item.get("category") if item.get("category") in categories else "other"
        severity = "info" if item.get("severity") == "info" else "warn"
        added.append(
            ComplianceFinding(
                start=start, end=end, span=span, rule_id=str(item.get("rule_id") or MODEL_RULE_ID),
                category=category, severity=severity, basis=str(item.get("basis") or _MODEL_BASIS),
                explanation=str(item.get("explanation") or "模型认为此处可能违反广告规定。"),
                suggestion=str(item.get("suggestion") or "请人工复核后修改"), source="model",
            )
        )
        taken.append((start, end))
    findings = sorted([*report.findings, *added], key=lambda f: (f.start, f.end))
    return ComplianceReport(verdict=_verdict(findings), findings=findings, rewrite=report.rewrite)


def _locate(text: str, span: str, hint: Any, taken: list[tuple[int, int]]) -> int | None:
    """Where the quoted span really is: at the hinted offset if it matches there, else its first free occurrence."""

    def free(s: int) -> bool:
        return all(s + len(span) <= a or s >= b for a, b in taken)

    if isinstance(hint, int) and 0 <= hint and text[hint : hint + len(span)] == span:
        return hint if free(hint) else None
    pos = text.find(span)
    while pos != -1:
        if free(pos):
            return pos
        pos = text.find(span, pos + 1)
    return None


def check_batch(
    lines: Iterable[bytes | str], *, rules_dir: Path | None = None, keep_text: bool = False
) -> Iterator[dict[str, Any]]:
    """Check JSONL records ``{"id", "text", "category"}``; yield one result per non-blank line.

    A line that is not UTF-8, not JSON, or not a valid request yields an error record with its
    line number; every other line is still checked. Lines are read one at a time, so a large
    file is checked in bounded memory. ``keep_text`` adds the checked ``text`` to each result
    (for reports that show it).
    """
    for number, raw in enumerate(lines, start=1):
        record_id: Any = None
        try:
            line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as exc:
            yield _error(number, _id_of(raw), "bad_input", f"line {number}: not valid UTF-8 (byte {exc.start})")
            continue
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield _error(number, None, "bad_input", f"line {number}: broken JSON ({exc.msg}, column {exc.colno})")
            continue
        if not isinstance(record, dict):
            yield _error(number, None, "bad_input", f"line {number}: expected a JSON object with `text`")
            continue
        record_id = record.get("id")
        try:
            report = check_text(record.get("text") or "", record.get("category"), rules_dir=rules_dir)
        except ZhangguiError as exc:
            yield _error(number, record_id, exc.code, f"line {number}: {exc.message}")
            continue
        result = {"id": record_id, "line": number, **report.model_dump()}
        if keep_text:
            result["text"] = record["text"]
        yield result


def _id_of(raw: bytes) -> Any:
    """The record's id from a line that is not valid UTF-8, so the error can still name it."""
    try:
        record = json.loads(raw.decode("utf-8", errors="replace"))
    except ValueError:
        return None
    return record.get("id") if isinstance(record, dict) else None


def _error(line: int, record_id: Any, code: str, message: str) -> dict[str, Any]:
    return {"id": record_id, "line": line, "error": code, "message": message}
