"""Deterministic data for the sample shop database, written as LOAD DATA files (one per table).

The same seed and scale always give the same bytes. Scale is measured in customers; the other
tables follow from it (about 16.5 rows per customer in all).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

SCALES = {
    "tiny": 300,  # ~5 thousand rows: unit-sized checks
    "small": 3_000,  # ~50 thousand rows: CI and the demo
    "medium": 61_000,  # ~1 million rows
    "large": 610_000,  # ~10 million rows: benchmarks
}
DEFAULT_SEED = 20261128
FORMAT_VERSION = 2
"""Bumped whenever the schema or the generated rows change, so cached data files are not reused."""
EPOCH = datetime(2023, 1, 1)
WAREHOUSES = ("AMS1", "FRA2", "DUB1", "MAD3")

FIRST_NAMES = (
    "Ana",
    "Bjørn",
    "Chloé",
    "Dmitri",
    "Eun-ji",
    "Farah",
    "Giorgos",
    "Hana",
    "Iñaki",
    "Jürgen",
    "Kwame",
    "Lena",
    "Mateo",
    "Noor",
    "Oğuz",
    "Priya",
    "Quentin",
    "Rosa",
    "Søren",
    "Tomás",
    "李",
    "Zoë",
    "Ülkü",
    "Łukasz",
    "Amélie",
    "Ngozi",
    "Yuki",
    "Ева",
    "Αλέξης",
    "Óscar",
)
LAST_NAMES = (
    "Silva",
    "Nguyen",
    "Müller",
    "O'Brien",
    "García",
    "Kowalski",
    "Haddad",
    "Tanaka",
    "Dubois",
    "Rossi",
    "Petrov",
    "Kim",
    "Jensen",
    "Öztürk",
    "Fernández",
    "小龙",
    "Smith-Jones",
    "Van den Berg",
    "Đorđević",
    "Nakamura",
)
DECORATIONS = ("", "", "", "", "", "", " 🚀", " 😀", " 🛒", " ✨", " 🇪🇺", " 👩‍💻")
COUNTRIES = ("NL", "DE", "FR", "ES", "IT", "PL", "SE", "IE", "PT", "BE", "US", "GB", "JP", "BR")
PRODUCT_WORDS = (
    "Organic",
    "Steel",
    "Bamboo",
    "Wireless",
    "Compact",
    "Deluxe",
    "Recycled",
    "Smart",
    "Vintage",
    "Ultra",
    "Café",
    "Nordic",
)
PRODUCT_NOUNS = (
    "Kettle",
    "Backpack",
    "Lamp",
    "Headphones",
    "Mug",
    "Chair",
    "Notebook",
    "Blender",
    "Jacket",
    "Plant Pot",
    "Speaker",
    "Towel",
)
PRODUCT_CLAIMS = ("Built to last.", "Loved by 10k+ customers ❤️", "Ships in 24h 📦", "Limited edition.")
PRODUCT_CARE = ("Dishwasher safe.", "Includes a 2-year warranty.", "Specs:\tsee the box \\ manual.")
TAGS = ("new", "sale", "eco", "bulk", "gift")
TIERS = ("none", "none", "none", "silver", "silver", "gold", "platinum")
ORDER_STATUSES = (
    "pending",
    "paid",
    "paid",
    "shipped",
    "shipped",
    "delivered",
    "delivered",
    "delivered",
    "cancelled",
    "refunded",
)
METHODS = ("card", "card", "card", "paypal", "bank_transfer", "voucher")
EVENT_KINDS = ("page_view", "search", "add_to_cart", "checkout", "login")

NULL = "\\N"


@dataclass(frozen=True)
class Counts:
    customers: int
    products: int
    orders: int
    warehouses: int = len(WAREHOUSES)

    @classmethod
    def for_customers(cls, customers: int) -> Counts:
        if customers < 1:
            raise ValueError("scale must be at least 1 customer")
        return cls(customers=customers, products=max(50, customers // 10), orders=customers * 3)


def resolve_scale(scale: str | int) -> int:
    """A preset name or a positive number of customers."""
    if isinstance(scale, int) or str(scale).isdigit():
        value = int(scale)
        if value < 1:
            raise ValueError("scale must be a preset name or a positive number of customers")
        return value
    try:
        return SCALES[str(scale)]
    except KeyError:
        raise ValueError(f"unknown scale {scale!r}: use one of {', '.join(SCALES)} or a number of customers") from None


def _text(value: str) -> str:
    """Escape a value for LOAD DATA's default format (tab-separated, backslash escapes)."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _dt(value: datetime, micro: bool = False) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f" if micro else "%Y-%m-%d %H:%M:%S")


def _json(value: object) -> str:
    return _text(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


# Each table: the columns in file order, and a generator of rows (lists of strings).
# Columns given as "@name" are read into a variable and converted by the loader (see LOAD_SET).
COLUMNS = {
    "customers": (
        "id",
        "email",
        "full_name",
        "legacy_code",
        "country",
        "loyalty_tier",
        "balance",
        "preferences",
        "created_at",
        "updated_at",
    ),
    "products": (
        "id",
        "sku",
        "name",
        "description",
        "price",
        "weight_kg",
        "rating",
        "tags",
        "@thumbnail",
        "attributes",
        "created_at",
    ),
    "orders": ("id", "customer_id", "status", "currency", "total", "notes", "placed_at", "updated_at"),
    "order_lines": ("order_id", "customer_id", "line_no", "product_id", "quantity", "unit_price", "discount"),
    "payments": ("id", "order_id", "customer_id", "method", "amount", "provider_ref", "raw_response", "paid_at"),
    "inventory": ("warehouse_code", "product_id", "on_hand", "reserved", "updated_at"),
    "events": ("occurred_at", "customer_id", "kind", "payload"),
}
LOAD_SET = {"products": "thumbnail = UNHEX(NULLIF(@thumbnail, ''))"}
LOAD_ORDER = ("customers", "products", "orders", "order_lines", "payments", "inventory", "events")


def _customers(rng: random.Random, n: Counts) -> Iterator[list[str]]:
    for cid in range(1, n.customers + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = f"{first} {last}{rng.choice(DECORATIONS)}"
        created = EPOCH + timedelta(seconds=rng.randrange(0, 600 * 86400), microseconds=rng.randrange(10**6))
        prefs = (
            NULL
            if rng.random() < 0.3
            else _json(
                {
                    "newsletter": rng.random() < 0.5,
                    "language": rng.choice(["en", "de", "fr", "nl", "ja"]),
                    "sizes": rng.sample(["S", "M", "L", "XL"], k=rng.randint(0, 2)),
                }
            )
        )
        legacy = NULL if rng.random() < 0.4 else f"LC-{rng.randrange(10**6):06d}-{rng.choice('ÅÄÖÉÜß')}"
        yield [
            str(cid),
            f"customer{cid}@example.com",
            _text(name),
            legacy,
            rng.choice(COUNTRIES),
            rng.choice(TIERS),
            f"{rng.randrange(-5000, 500000) / 100:.2f}",
            prefs,
            _dt(created, True),
            _dt(created + timedelta(days=rng.randrange(0, 90))),
        ]


def _products(rng: random.Random, n: Counts) -> Iterator[list[str]]:
    for pid in range(1, n.products + 1):
        name = f"{rng.choice(PRODUCT_WORDS)} {rng.choice(PRODUCT_NOUNS)} {pid}"
        desc = (
            NULL
            if rng.random() < 0.1
            else _text(name + ": " + rng.choice(PRODUCT_CLAIMS) + "\n" + rng.choice(PRODUCT_CARE))
        )
        tags = ",".join(t for t in TAGS if rng.random() < 0.25)
        thumb = "" if rng.random() < 0.5 else rng.randbytes(rng.randint(16, 96)).hex()
        attributes = _json(
            {
                "color": rng.choice(["red", "black", "oak", "sage"]),
                "dimensions_cm": [rng.randint(5, 80) for _ in range(3)],
                "fragile": rng.random() < 0.2,
            }
        )
        rating = NULL if rng.random() < 0.15 else repr(round(rng.uniform(1, 5), 6))
        yield [
            str(pid),
            f"SKU-{pid:08d}",
            _text(name),
            desc,
            f"{rng.randrange(199, 99999) / 100:.2f}",
            repr(round(rng.uniform(0.05, 30.0), 3)),
            rating,
            tags,
            thumb,
            attributes,
            _dt(EPOCH + timedelta(seconds=rng.randrange(0, 300 * 86400))),
        ]


def _orders_and_children(rng: random.Random, n: Counts) -> tuple[Callable, Callable, Callable]:
    """orders, order_lines and payments share one plan per order so totals add up."""

    plan_seed = rng.random()

    def plan() -> Iterator[tuple]:
        # The plan has a stream of its own: orders() and payments() draw their other fields
        # from their own streams, so all three tables see the same lines and totals.
        prng = random.Random(plan_seed)
        for oid in range(1, n.orders + 1):
            lines = [
                (
                    prng.randrange(1, n.products + 1),
                    prng.randint(1, 4),
                    prng.randrange(199, 9999) / 100,
                    prng.choice((0.0, 0.0, 0.0, 0.05, 0.1, 0.15, 1 / 3)),
                )
                for _ in range(prng.choice((1, 1, 2, 2, 3, 4, 5)))
            ]
            total = round(sum(q * p * (1 - d) for _, q, p, d in lines), 2)
            placed = EPOCH + timedelta(seconds=prng.randrange(0, 700 * 86400))
            customer = prng.randrange(1, n.customers + 1)
            yield oid, customer, lines, total, placed

    def orders() -> Iterator[list[str]]:
        orng = random.Random(f"{plan_seed}:orders")
        for oid, customer, _, total, placed in plan():
            notes = (
                NULL
                if orng.random() < 0.8
                else _text(
                    orng.choice(
                        ["Leave at the door 🚪", "Gift wrap, please", "Call before delivery\tafter 18:00", "Fragile!"]
                    )
                )
            )
            yield [
                str(oid),
                str(customer),
                orng.choice(ORDER_STATUSES),
                orng.choice(("EUR", "EUR", "EUR", "USD", "GBP")),
                f"{total:.2f}",
                notes,
                _dt(placed),
                _dt(placed + timedelta(hours=orng.randrange(1, 400))),
            ]

    def order_lines() -> Iterator[list[str]]:
        for oid, customer, lines, _, _ in plan():
            for line_no, (pid, qty, price, discount) in enumerate(lines, start=1):
                yield [str(oid), str(customer), str(line_no), str(pid), str(qty), f"{price:.2f}", repr(discount)]

    def payments() -> Iterator[list[str]]:
        pay_id = 0
        prng = random.Random(f"{plan_seed}:payments")
        for oid, customer, _, total, placed in plan():
            if prng.random() < 0.1:  # unpaid orders have no payment
                continue
            pay_id += 1
            method = prng.choice(METHODS)
            ref = NULL if method == "voucher" else f"{method[:2].upper()}-{prng.getrandbits(48):012x}"
            raw = (
                NULL
                if prng.random() < 0.2
                else _json({"status": "captured", "attempt": prng.randint(1, 3), "risk": round(prng.random(), 4)})
            )
            paid = placed + timedelta(seconds=prng.randrange(5, 7200), microseconds=prng.randrange(0, 10**6, 1000))
            yield [str(pay_id), str(oid), str(customer), method, f"{total:.2f}", ref, raw, _dt(paid, True)[:-3]]

    return orders, order_lines, payments


def _inventory(rng: random.Random, n: Counts) -> Iterator[list[str]]:
    for wh in WAREHOUSES:
        for pid in range(1, n.products + 1):
            yield [
                wh,
                str(pid),
                str(rng.randrange(0, 500)),
                str(rng.randrange(0, 20)),
                _dt(EPOCH + timedelta(seconds=rng.randrange(0, 700 * 86400))),
            ]


def _events(rng: random.Random, n: Counts) -> Iterator[list[str]]:
    for _ in range(n.customers * 2):
        at = EPOCH + timedelta(seconds=rng.randrange(0, 700 * 86400), microseconds=rng.randrange(10**6))
        cid = NULL if rng.random() < 0.3 else str(rng.randrange(1, n.customers + 1))
        payload = (
            NULL
            if rng.random() < 0.5
            else _json({"path": f"/p/{rng.randrange(1, n.products + 1)}", "ms": rng.randint(3, 900)})
        )
        yield [_dt(at, True), cid, rng.choice(EVENT_KINDS), payload]


def table_rows(counts: Counts, seed: int = DEFAULT_SEED) -> dict[str, Callable[[], Iterator[list[str]]]]:
    """Row generators per table. Each table has its own random stream, so tables are independent."""

    def rng(table: str) -> random.Random:
        return random.Random(f"{seed}:{table}")

    orders, order_lines, payments = _orders_and_children(rng("orders"), counts)
    return {
        "customers": lambda: _customers(rng("customers"), counts),
        "products": lambda: _products(rng("products"), counts),
        "orders": orders,
        "order_lines": order_lines,
        "payments": payments,
        "inventory": lambda: _inventory(rng("inventory"), counts),
        "events": lambda: _events(rng("events"), counts),
    }


def write_table(folder: Path, table: str, counts: Counts, seed: int = DEFAULT_SEED) -> int:
    """Write ``<table>.tsv`` into ``folder``; return its number of rows."""
    count = 0
    path = folder / f"{table}.tsv"
    partial = path.with_suffix(".tsv.partial")
    with open(partial, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as f:
        batch = []
        for row in table_rows(counts, seed)[table]():
            batch.append("\t".join(row))
            count += 1
            if len(batch) == 10_000:
                f.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            f.write("\n".join(batch) + "\n")
    partial.rename(path)
    return count


def write_files(
    folder: Path, counts: Counts, seed: int = DEFAULT_SEED, *, workers: int | None = None
) -> dict[str, int]:
    """Write every table's file into ``folder``, tables in parallel processes; rows per table."""
    folder.mkdir(parents=True, exist_ok=True)
    workers = workers or min(len(LOAD_ORDER), os.cpu_count() or 1)
    if workers == 1:
        return {t: write_table(folder, t, counts, seed) for t in LOAD_ORDER}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {t: pool.submit(write_table, folder, t, counts, seed) for t in LOAD_ORDER}
        return {t: f.result() for t, f in futures.items()}
