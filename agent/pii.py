"""Mask customers' phone numbers and street addresses in every reply.

A reply may quote a customer's message or an order; the team sees enough to act
(``138****5678``, ``广东省深圳市南山区****``) without the reply leaking the rest.
"""

from __future__ import annotations

import re

# Mainland mobile numbers, optionally +86 and separated by spaces or dashes; not inside a longer number.
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
# Landlines such as 0755-12345678 or 010 1234 5678.
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[\s-](\d{3,4})[\s-]?(\d{4})(?!\d)")
# An address: an optional province/city/district prefix followed by the street part that identifies a home.
_REGION = r"(?:[\u4e00-\u9fa5]{2,8}(?:省|自治区|市|特别行政区))?(?:[\u4e00-\u9fa5]{1,8}(?:市|州|盟))?(?:[\u4e00-\u9fa5]{1,8}(?:区|县|旗))?"
_STREET = (r"[\u4e00-\u9fa5A-Za-z0-9]{1,20}(?:路|街|大道|道|巷|弄|胡同|村|镇|乡)"
           r"[\u4e00-\u9fa5A-Za-z0-9\-]{0,20}?(?:\d+|[一二三四五六七八九十百]+)\s*(?:号|弄|栋|幢|座)"
           r"(?:[\u4e00-\u9fa5A-Za-z0-9\-]{0,16}?(?:\d+|[一二三四五六七八九十]+)\s*(?:单元|楼|层|室|号|房))*")
_ADDRESS = re.compile(rf"({_REGION})({_STREET})")
_EN_ADDRESS = re.compile(r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s){1,4}(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln)\b\.?")


def mask_phones(text: str) -> str:
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)


def mask_addresses(text: str) -> str:
    text = _ADDRESS.sub(lambda m: f"{m.group(1)}****", text)
    return _EN_ADDRESS.sub("****", text)


def mask_pii(text: str) -> str:
    """Both masks; safe to apply twice."""
    return mask_addresses(mask_phones(text))
