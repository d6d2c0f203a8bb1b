"""Daily facts of the demo shop, derived from the generated orders: traffic, ads, inventory, service."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np

from tools.demo_data import Table, money

if TYPE_CHECKING:
    from tools.demo_data import _Generator


def traffic(g: _Generator, orders: Table, items: Table) -> Table:
    """Shop-level rows (sku NULL) sized so paying buyers / UV sits at each channel's conversion,
    plus product-detail rows per on-sale SKU."""
    rng = g.rng
    buyers: dict[tuple[dt.date, str], set[str]] = defaultdict(set)
    sku_buyers: dict[tuple[dt.date, str, str], set[str]] = defaultdict(set)
    order_info = {}
    for o in orders.rows:
        if o[5] is not None:
            key = (o[5].date(), o[2])
            buyers[key].add(o[1])
            order_info[o[0]] = (key, o[1])
    for it in items.rows:
        info = order_info.get(it[0])
        if info:
            sku_buyers[(info[0][0], info[0][1], it[2])].add(info[1])
    rows = []
    prods = g.products.rows
    for d in g.days:
        presale = d.strftime("%m-%d") >= "10-20" and d.strftime("%m-%d") <= "11-11"
        for ch in g.channel_codes:
            n = len(buyers.get((d, ch), ()))
            conv = g.p["conversion"][ch] * float(rng.uniform(0.85, 1.15))
            uv = max(int(round(n / conv)), int(rng.integers(15, 40)))
            pv = int(uv * rng.uniform(2.6, 3.8))
            cart = int(uv * rng.uniform(0.09, 0.12) * (1.35 if presale else 1.0))
            fav = int(uv * rng.uniform(0.03, 0.055))
            rows.append((d, ch, None, pv, uv, cart, fav))
            share = uv * 0.08
            for r in prods:
                if r[9] > d or (r[10] is not None and r[10] < d):
                    continue
                sb = len(sku_buyers.get((d, ch, r[0]), ()))
                suv = max(int(round(sb / (conv * 1.6))), int(rng.poisson(share)))
                rows.append((d, ch, r[0], int(suv * rng.uniform(1.3, 2.0)), suv, int(suv * rng.uniform(0.06, 0.1)),
                             int(suv * rng.uniform(0.02, 0.05))))
    cols = ["stat_date", "channel_code", "sku", "pv", "uv", "add_to_cart_users", "favorite_users"]
    return Table("fact_traffic_daily", cols, rows)


def ads(g: _Generator) -> Table:
    """Always-on plans every day per channel, plus promotion plans on the shelf/content channels."""
    rng, prof = g.rng, g.p["ads"]
    rows = []
    for d in g.days:
        campaign = g.campaign_on(d)
        weekend = 1.1 if d.weekday() >= 5 else 1.0
        growth = 1 + 0.25 * (d - g.start).days / 365
        for ch in g.channel_codes:
            a = prof[ch]
            plans = [(f"AO_{ch.upper()}", 1.0, 1.0)]
            if campaign:
                big = campaign[:3] in ("D11", "618")
                plans.append((campaign, 2.2 if big else 0.9, 1.3 if big else 1.1))
            for cid, mult, roi_lift in plans:
                spend = money(a["spend"] * mult * weekend * growth * float(rng.uniform(0.8, 1.2)))
                imps = int(float(spend) / a["cpm"] * 1000 * float(rng.uniform(0.9, 1.1)))
                clicks = int(imps * a["ctr"] * float(rng.uniform(0.85, 1.15)))
                gmv = money(float(spend) * a["roi"] * roi_lift * float(rng.uniform(0.75, 1.25)))
                rows.append((d, ch, cid, imps, clicks, spend, gmv))
    cols = ["stat_date", "channel_code", "campaign_id", "impressions", "clicks", "spend", "attributed_gmv"]
    return Table("fact_ad_spend_daily", cols, rows)


def inventory(g: _Generator, orders: Table, items: Table) -> Table:
    """End-of-day stock per on-sale SKU: daily paid units drawn down, restocked below a reorder point."""
    rng = g.rng
    pay_day = {o[0]: o[5].date() for o in orders.rows if o[5] is not None}
    sold: dict[tuple[dt.date, str], int] = defaultdict(int)
    for it in items.rows:
        d = pay_day.get(it[0])
        if d:
            sold[(d, it[2])] += it[3]
    total: dict[str, int] = defaultdict(int)
    for (_d, sku), q in sold.items():
        total[sku] += q
    rows = []
    for r in g.products.rows:
        sku, launch, disc = r[0], r[9], r[10]
        live = max((min(disc or g.end, g.end) - max(launch, g.start)).days + 1, 1)
        daily = max(total.get(sku, 0) / live, 0.2)
        target = int(daily * float(rng.uniform(30, 60))) + 20  # roughly 30-60 days of cover
        stock = target
        for d in g.days:
            if d < launch or (disc is not None and d > disc):
                continue
            stock = max(stock - sold.get((d, sku), 0), 0)
            if stock < target * 0.3 and (disc is None or (disc - d).days > 45):
                stock += int(target * rng.uniform(0.8, 1.2))
            if d.strftime("%m-%d") in ("10-10", "05-10"):
                stock = max(stock, int(target * 2.5))  # stocking up before the big promotions
            rows.append((d, sku, stock))
    return Table("fact_inventory_daily", ["snapshot_date", "sku", "on_hand_qty"], rows)


def cs_sessions(g: _Generator, orders: Table, refunds: Table) -> Table:
    """Presale sessions before some orders (the converted ones), presale sessions that bought nothing,
    and aftersale sessions after refunds and a share of deliveries."""
    rng = g.rng
    agents = [f"KF{i:02d}" for i in range(1, 13)]
    raw: list[list[Any]] = []
    for o in orders.rows:
        oid, cust, ch, _camp, ts, pay = o[:6]
        if rng.random() < 0.3:
            start = ts - dt.timedelta(minutes=float(rng.uniform(2, 20 * 60)))
            if start >= dt.datetime.combine(g.start, dt.time()):
                raw.append([ch, cust, "presale", start, oid])
        if rng.random() < 0.28:
            anon = rng.random() < 0.25
            start = ts + dt.timedelta(days=float(rng.uniform(-20, 20)))
            if dt.datetime.combine(g.start, dt.time()) <= start <= g.end_ts:
                raw.append([ch, None if anon else cust, "presale", start, None])
        if pay is not None and rng.random() < 0.06:
            start = pay + dt.timedelta(days=float(rng.uniform(1, 10)))
            if start <= g.end_ts:
                raw.append([ch, cust, "aftersale", start, None])
    order_by_id = {o[0]: o for o in orders.rows}
    for r in refunds.rows:
        o = order_by_id[r[1]]
        start = r[6] - dt.timedelta(hours=float(rng.uniform(1, 48)))
        if start > o[4]:
            raw.append([o[2], o[1], "aftersale", start, None])
    raw.sort(key=lambda x: x[3])
    rows = []
    for i, (ch, cust, kind, start, conv) in enumerate(raw, start=1):
        promo = g.campaign_on(start.date()) is not None
        robot = rng.random() < 0.08
        agent = None if robot else agents[int(rng.integers(len(agents)))]
        frt = None if robot else int(rng.lognormal(np.log(35 if promo else 20), 0.8))
        resolved = bool(rng.random() < (0.93 if kind == "presale" else 0.85))
        sat = int(rng.choice([5, 4, 3, 2, 1], p=[0.55, 0.25, 0.1, 0.05, 0.05])) if rng.random() < 0.4 else None
        rec = int(rng.choice(11, p=[.02, .01, .02, .03, .03, .05, .07, .12, .15, .22, .28])) if rng.random() < 0.15 else None
        rows.append((f"S{i:07d}", ch, cust, agent, kind, start.replace(microsecond=0), frt, resolved, conv, sat, rec))
    cols = ["session_id", "channel_code", "customer_id", "agent_id", "session_type", "started_at",
            "first_response_seconds", "resolved", "converted_order_id", "satisfaction", "recommend_score"]
    return Table("fact_cs_sessions", cols, rows)
