"""Deterministic generator of the demo-shop warehouse (the contract in tools/analytics_data/).

``generate(seed)`` returns every table as columns + rows; ``build_demo_warehouse`` loads
them into a DuckDB file or a PostgreSQL/MySQL URL (see tools/demo_load.py). The same seed
always gives identical rows: one ``numpy`` generator drives every random choice, in a
fixed order.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import yaml

DATA_DIR = Path(__file__).resolve().parent / "analytics_data"
DEFAULT_SEED = 20251201
TABLE_ORDER = (
    "dim_channel", "dim_product", "dim_customer", "dim_campaign", "fact_orders", "fact_order_items",
    "fact_refunds", "fact_traffic_daily", "fact_ad_spend_daily", "fact_inventory_daily", "fact_cs_sessions",
)
CENT = Decimal("0.01")


@dataclass
class Table:
    name: str
    columns: list[str]
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def money(x: float | Decimal) -> Decimal:
    return Decimal(str(x)).quantize(CENT, rounding=ROUND_HALF_UP)


def read_dimension(name: str) -> Table:
    """One fixed dimension table from its CSV (empty cells are NULL, dates and prices typed)."""
    with open(DATA_DIR / f"{name}.csv", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        columns = next(reader)
        rows = []
        for raw in reader:
            row: list[Any] = []
            for col, cell in zip(columns, raw):
                if cell == "":
                    row.append(None)
                elif col.endswith("_date"):
                    row.append(dt.date.fromisoformat(cell))
                elif col.endswith("_price"):
                    row.append(Decimal(cell))
                else:
                    row.append(cell)
            rows.append(tuple(row))
    return Table(name, columns, rows)


def load_profile() -> dict[str, Any]:
    with open(DATA_DIR / "demo_profile.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _pick(rng: np.random.Generator, weights: dict[str, float], n: int | None = None) -> Any:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    idx = rng.choice(len(keys), size=n, p=p / p.sum())
    return keys[idx] if n is None else [keys[i] for i in idx]


def _day_weights(profile: dict[str, Any], days: list[dt.date]) -> np.ndarray:
    """Relative order volume per day: growth, weekends, promotions, the 春节 dip."""
    start = days[0]
    w = np.ones(len(days))
    sf = {int(y): dt.date.fromisoformat(d) for y, d in profile["spring_festival"].items()}
    for i, d in enumerate(days):
        w[i] *= 1 + profile["yearly_growth"] * (d - start).days / 365
        if d.weekday() >= 5:
            w[i] *= profile["weekend_lift"]
        md = d.strftime("%m-%d")
        for s in profile["seasons"]:
            if s["from"] <= md <= s["to"]:
                w[i] *= s["lift"]
        festival = sf.get(d.year)
        if festival and -7 <= (d - festival).days <= 7:
            w[i] *= profile["spring_festival_dip"]
    return w


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.p = load_profile()
        self.start = self.p["period"]["start"]
        self.end = self.p["period"]["end"]
        self.end_ts = dt.datetime.combine(self.end, dt.time(23, 59, 59))
        self.days = [self.start + dt.timedelta(d) for d in range((self.end - self.start).days + 1)]
        self.channels = read_dimension("dim_channel")
        self.products = read_dimension("dim_product")
        self.campaigns = read_dimension("dim_campaign")
        self.channel_codes = [r[0] for r in self.channels.rows]
        self.mega = [r for r in self.campaigns.rows if r[2] in ("mega_sale", "festival")]

    def campaign_on(self, d: dt.date) -> str | None:
        for cid, _name, _type, _ch, s, e in self.mega:
            if s <= d <= e:
                return cid
        return None

    # ------------------------------------------------------------------ customers
    def customers(self) -> tuple[Table, np.ndarray, np.ndarray]:
        n = self.p["customers"]
        rng = self.rng
        genders = _pick(rng, self.p["genders"], n)
        ages = _pick(rng, self.p["age_bands"], n)
        levels = _pick(rng, self.p["member_levels"], n)
        cities = self.p["cities"]
        cw = np.array([c[3] for c in cities], dtype=float)
        city_idx = rng.choice(len(cities), size=n, p=cw / cw.sum())
        # When each customer becomes active: 18% were already buying before the history starts.
        span = len(self.days)
        active_from = np.where(rng.random(n) < 0.18, 0, rng.integers(0, span - 20, size=n))
        activity = rng.lognormal(0.0, 0.9, size=n)
        mix = self.p["channel_mix_start"]
        rows = []
        for i in range(n):
            first = self.days[int(active_from[i])]
            reg = first - dt.timedelta(days=int(rng.integers(0, 400)))
            province, city, tier, _w = cities[int(city_idx[i])]
            rows.append((f"C{i + 1:05d}", genders[i], ages[i], province, city, tier, reg, levels[i], _pick(rng, mix)))
        cols = ["customer_id", "gender", "age_band", "province", "city", "city_tier", "registration_date",
                "member_level", "register_channel_code"]
        return Table("dim_customer", cols, rows), active_from, activity

    # ------------------------------------------------------------------ orders and items
    def orders(self, active_from: np.ndarray, activity: np.ndarray) -> tuple[Table, Table]:
        rng, p = self.rng, self.p
        n_orders = p["orders"]
        w = _day_weights(p, self.days)
        per_day = rng.multinomial(n_orders, w / w.sum())
        order_cust = np.argsort(active_from, kind="stable")
        starts = active_from[order_cust]
        cumw = np.cumsum(activity[order_cust])
        ch_start = np.array([p["channel_mix_start"][c] for c in self.channel_codes])
        ch_end = np.array([p["channel_mix_end"][c] for c in self.channel_codes])
        prods = self.products.rows
        popularity = rng.lognormal(0, 0.7, size=len(prods))
        hour_w = np.array([1, .5, .3, .2, .2, .3, .6, 1, 1.5, 2, 2.2, 2.3, 2.5, 2.2, 2, 2, 2.1, 2.2, 2.4, 2.8,
                           3.2, 3.4, 3, 2])
        hour_w /= hour_w.sum()
        orders, items = [], []
        for di, d in enumerate(self.days):
            k = int(per_day[di])
            if not k:
                continue
            frac = di / (len(self.days) - 1)
            mix = ch_start + (ch_end - ch_start) * frac
            chans = rng.choice(len(mix), size=k, p=mix / mix.sum())
            eligible = int(np.searchsorted(starts, di, side="right"))
            picks = np.searchsorted(cumw, rng.random(k) * cumw[eligible - 1])
            campaign = self.campaign_on(d)
            promo = campaign is not None and campaign[:3] in ("D11", "618")
            hours = rng.choice(24, size=k, p=hour_w)
            mins = rng.integers(60, size=(k, 2))
            for j in range(k):
                ts = dt.datetime.combine(d, dt.time(int(hours[j]), int(mins[j, 0]), int(mins[j, 1])))
                orders.append([ts, self.channel_codes[int(chans[j])], f"C{int(order_cust[picks[j]]) + 1:05d}",
                               campaign if campaign and rng.random() < 0.75 else None, promo])
        orders.sort(key=lambda o: o[0])
        order_rows, item_rows = [], []
        # Draw the per-order and per-line choices in bulk: one vector call instead of 100k scalar ones.
        n_all = len(orders)
        line_counts = rng.choice([1, 2, 3], size=n_all, p=[0.66, 0.25, 0.09])
        qtys = iter(rng.choice([1, 2, 3], size=n_all * 3, p=[0.8, 0.15, 0.05]).tolist())
        reviews = iter(np.where(rng.random(n_all * 3) < 0.45,
                                rng.choice([5, 4, 3, 2, 1], size=n_all * 3, p=[0.62, 0.2, 0.08, 0.04, 0.06]), 0).tolist())
        on_sale_by_day: dict[dt.date, tuple[list[int], np.ndarray]] = {}
        for n, (ts, ch, cust, campaign, promo) in enumerate(orders, start=1):
            oid = f"O{n:07d}"
            d = ts.date()
            if d not in on_sale_by_day:
                idx = [j for j, r in enumerate(prods) if r[9] <= d and (r[10] is None or r[10] >= d)]
                on_sale_by_day[d] = (idx, np.cumsum(popularity[idx]) / popularity[idx].sum())
            on_sale, cum = on_sale_by_day[d]
            n_lines = int(line_counts[n - 1])
            picked: list[int] = []
            while len(picked) < min(n_lines, len(on_sale)):
                j = on_sale[min(int(np.searchsorted(cum, rng.random())), len(on_sale) - 1)]
                if j not in picked:
                    picked.append(j)
            skus = picked
            factor = (0.72 if promo else 0.88) if campaign else 0.94
            lines = []
            for line_no, sj in enumerate(skus, start=1):
                r = prods[int(sj)]
                qty = int(next(qtys))
                unit = money(float(r[7]) * (factor + rng.uniform(-0.04, 0.06)))
                lines.append([oid, line_no, r[0], qty, unit, money(unit * qty)])
            gross = sum((ln[5] for ln in lines), Decimal(0))
            discount = Decimal(0)
            if promo:
                discount = Decimal(int(gross // 300) * 30)
            elif rng.random() < 0.3:
                discount = money(min(float(gross) * 0.5, float((5, 10, 20)[int(rng.integers(3))])))
            shipping = Decimal(0) if gross >= 99 or ch == "pdd" or rng.random() < 0.5 else Decimal("8.00")
            u = rng.random()
            tail = (self.end_ts - ts).total_seconds()
            if u < 0.07:
                status, pay = ("created" if tail < 86400 else "cancelled"), None
            else:
                delay = float(rng.exponential(300)) if rng.random() < 0.9 else float(rng.uniform(600, 20 * 3600))
                pay = min(ts + dt.timedelta(seconds=int(delay)), self.end_ts)
                age = (self.end - pay.date()).days
                status = "completed" if age > 15 else ("shipped" if age > 2 else "paid")
            paid = gross - discount + shipping if pay else Decimal(0)
            alloc_total = gross - discount if pay else Decimal(0)
            running = Decimal(0)
            for i, ln in enumerate(lines):
                share = alloc_total - running if i == len(lines) - 1 else money(alloc_total * ln[5] / gross)
                running += share
                drawn = int(next(reviews))
                review = drawn if pay and drawn else None
                item_rows.append((*ln, share, review))
            order_rows.append([oid, cust, ch, campaign, ts, pay, status, gross, discount, shipping, paid])
        cols_o = ["order_id", "customer_id", "channel_code", "campaign_id", "order_time", "pay_time", "status",
                  "gross_amount", "discount_amount", "shipping_fee", "paid_amount"]
        cols_i = ["order_id", "line_no", "sku", "qty", "unit_price", "amount", "allocated_paid_amount",
                  "review_score"]
        return Table("fact_orders", cols_o, order_rows), Table("fact_order_items", cols_i, item_rows)

    # ------------------------------------------------------------------ refunds
    def refunds(self, orders: Table, items: Table) -> Table:
        rng, p = self.rng, self.p
        lines_by_order: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for it in items.rows:
            lines_by_order[it[0]].append(it)
        rows = []
        for o in orders.rows:
            oid, _c, ch, campaign, _ts, pay, status = o[:7]
            if pay is None:
                continue
            bias = p["refund_propensity"][ch] * (1.3 if campaign and campaign[:3] in ("D11", "618") else 1.0)
            u = rng.random() / bias
            when = pay + dt.timedelta(hours=float(rng.uniform(6, 15 * 24)))
            if when > self.end_ts:
                continue
            if u < 0.032:
                o[6] = "refunded"
                rows.append([oid, None, _pick(rng, {"refund_only": 0.4, "return_refund": 0.6}),
                             _pick(rng, p["refund_reasons"]["full"]), o[10], when])
            elif u < 0.072:
                line = lines_by_order[oid][int(rng.integers(len(lines_by_order[oid])))]
                rows.append([oid, line[2], "return_refund", _pick(rng, p["refund_reasons"]["return"]), line[6], when])
            elif u < 0.087:
                line = lines_by_order[oid][0]
                amount = money(float(line[6]) * float(rng.uniform(0.05, 0.12)))
                if amount > 0:
                    rows.append([oid, line[2], "refund_only", "价保补差", amount, when])
        rows.sort(key=lambda r: r[5])
        out = [(f"R{i:07d}", *r) for i, r in enumerate(rows, start=1) if r[4] > 0]
        cols = ["refund_id", "order_id", "sku", "refund_type", "reason", "refund_amount", "created_at"]
        return Table("fact_refunds", cols, out)


def generate(seed: int = DEFAULT_SEED) -> dict[str, Table]:
    """Every table of the demo warehouse, in dependency order, from one seed."""
    from tools import demo_daily

    g = _Generator(seed)
    customers, active_from, activity = g.customers()
    orders, items = g.orders(active_from, activity)
    refunds = g.refunds(orders, items)
    orders.rows = [tuple(o) for o in orders.rows]
    refunds.rows = [tuple(r) for r in refunds.rows]
    tables = {
        "dim_channel": g.channels,
        "dim_product": g.products,
        "dim_customer": customers,
        "dim_campaign": g.campaigns,
        "fact_orders": orders,
        "fact_order_items": items,
        "fact_refunds": refunds,
        "fact_traffic_daily": demo_daily.traffic(g, orders, items),
        "fact_ad_spend_daily": demo_daily.ads(g),
        "fact_inventory_daily": demo_daily.inventory(g, orders, items),
        "fact_cs_sessions": demo_daily.cs_sessions(g, orders, refunds),
    }
    return {name: tables[name] for name in TABLE_ORDER}


def build_demo_warehouse(target_url_or_path: str | Path, seed: int = DEFAULT_SEED, progress: Any = None,
                         schema: str | None = None) -> dict[str, int]:
    """Generate the demo data and load it into a DuckDB file path or a PostgreSQL/MySQL URL.

    Replaces the demo tables when they exist. Returns the row count per table.
    ``progress`` is a connectors.progress-style object (``start``/``advance``) or None.
    """
    from tools.demo_load import load_tables

    if progress is not None:
        progress.start("生成演示数据", total=len(TABLE_ORDER) * 2)
    tables = generate(seed)
    if progress is not None:
        progress.advance("生成演示数据", len(TABLE_ORDER))
    load_tables(target_url_or_path, tables, schema=schema,
                on_table=(lambda _n: progress.advance("生成演示数据")) if progress is not None else None)
    return {name: len(t.rows) for name, t in tables.items()}
