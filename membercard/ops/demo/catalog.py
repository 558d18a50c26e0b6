"""What the demo contains: its locations, logins, card products, how many cards go in
stock and are sold where, the initial values, names and mobiles of the members who join,
the tenders used, and the sizes of the ledger history.

Plain data only: nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from membercard.core.models import LocationKind, Role
from membercard.ledger.models import Tender

DEFAULT_SEED = 20240601
HQ_CODE = "HQ"
HQ_NAME = "Headquarters"
# Created last: its presence means the whole demo was loaded.
COMPLETION_LOGIN = "admin"


@dataclass(frozen=True)
class LocationSpec:
    code: str
    name: str
    kind: LocationKind
    address: str


LOCATIONS: tuple[LocationSpec, ...] = (
    LocationSpec(HQ_CODE, HQ_NAME, LocationKind.HQ, "18F, 200 Century Avenue, Pudong, Shanghai"),
    LocationSpec("S01", "Jing'an store", LocationKind.STORE, "88 Nanjing West Road, Jing'an"),
    LocationSpec("S02", "Xuhui store", LocationKind.STORE, "316 Tianyaoqiao Road, Xuhui"),
)


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    role: Role
    location: str
    first_name: str
    last_name: str
    superuser: bool = False


LOGINS: tuple[Login, ...] = (
    Login("admin", "admin123", Role.HQ_ADMIN, HQ_CODE, "Jing", "Chen", superuser=True),
    # A second HQ admin: four eyes on settings (product policies, the approval thresholds).
    Login("admin2", "admin123", Role.HQ_ADMIN, HQ_CODE, "Bo", "Liu"),
    Login("finance", "finance123", Role.HQ_FINANCE, HQ_CODE, "Min", "Zhou"),
    # A second person in finance: four eyes (each approves the other's requests).
    Login("finance2", "finance123", Role.HQ_FINANCE, HQ_CODE, "Yan", "Li"),
    Login("stock", "stock123", Role.HQ_STOCK, HQ_CODE, "Qiang", "Wu"),
    # A second stock keeper: four eyes on batch orders and voids (orders, approves, receives).
    Login("stock2", "stock123", Role.HQ_STOCK, HQ_CODE, "Fang", "Xu"),
    Login("manager1", "manager123", Role.STORE_MANAGER, "S01", "Lei", "Wang"),
    Login("cashier1", "cashier123", Role.STORE_CASHIER, "S01", "Ting", "Zhao"),
    Login("manager2", "manager123", Role.STORE_MANAGER, "S02", "Hao", "Sun"),
    Login("cashier2", "cashier123", Role.STORE_CASHIER, "S02", "Xue", "Huang"),
)

GOLD, VALUE, KEYCHAIN, MEMBER = "gold", "value", "keychain100", "member"
PRODUCT_CODES = (GOLD, VALUE, KEYCHAIN, MEMBER)

PRODUCTS: tuple[dict[str, Any], ...] = (
    {
        "code": GOLD,
        "name": "Gold card",
        "has_stored_value": True,
        "has_discount": True,
        "discount_rate_bp": 500,
        "has_points": True,
        "points_per_unit": 1,
        "has_tiers": False,
        "rechargeable": True,
        "bonus_rules": [[100_000, 10_000], [50_000, 4_000]],
        "validity_months": 36,
        "number_prefix": "8801",
        "number_length": 16,
        "stores_may_top_up": False,
        "card_fee_minor": 0,
        "unit_cost_minor": 280,
    },
    {
        "code": VALUE,
        "name": "Value card",
        "has_stored_value": True,
        "rechargeable": True,
        "stores_may_top_up": True,
        "number_prefix": "8802",
        "number_length": 16,
        "unit_cost_minor": 120,
    },
    {
        "code": KEYCHAIN,
        "name": "Keychain 100",
        "has_stored_value": True,
        "rechargeable": False,
        "face_values": [10_000],
        "deposit_minor": 1_000,
        "unit_cost_minor": 350,
        "number_prefix": "8803",
        "number_length": 16,
    },
    {
        "code": MEMBER,
        "name": "Member card",
        "has_stored_value": False,
        "rechargeable": False,
        "has_discount": True,
        "discount_rate_bp": 1_000,
        "has_points": True,
        "points_per_unit": 2,
        "number_prefix": "8804",
        "number_length": 16,
        "pin_required": False,
        "unit_cost_minor": 150,
    },
)

# Cards put in stock, per location and product (360 in all).
STOCK: dict[str, dict[str, int]] = {
    HQ_CODE: {GOLD: 40, VALUE: 40, KEYCHAIN: 20, MEMBER: 20},
    "S01": {GOLD: 30, VALUE: 40, KEYCHAIN: 25, MEMBER: 25},
    "S02": {GOLD: 30, VALUE: 40, KEYCHAIN: 25, MEMBER: 25},
}
# Cards sold, per location and product: about half of each store's stock, a few at HQ.
SALES: dict[str, dict[str, int]] = {
    HQ_CODE: {GOLD: 10, VALUE: 6, KEYCHAIN: 2, MEMBER: 4},
    "S01": {GOLD: 16, VALUE: 20, KEYCHAIN: 12, MEMBER: 12},
    "S02": {GOLD: 14, VALUE: 22, KEYCHAIN: 14, MEMBER: 10},
}
INITIAL_VALUES: dict[str, tuple[int, ...]] = {
    GOLD: (20_000, 30_000, 50_000, 50_000, 100_000),
    VALUE: (10_000, 20_000, 20_000, 30_000, 50_000),
    KEYCHAIN: (10_000,),
    MEMBER: (0,),
}
# Share of sold cards registered to a member (member cards always are).
MEMBER_SHARE: dict[str, float] = {GOLD: 0.8, VALUE: 0.5, KEYCHAIN: 0.0, MEMBER: 1.0}
UID_EVERY = 3  # one card in three also carries an RFID UID alias
HQ_GOLD_TOP_UPS = 16
STORE_VALUE_TOP_UPS = 8
PURCHASES_PER_STORE = 70
REFUNDS_PER_STORE = 3

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹"
GIVEN_NAMES = (
    "芳", "伟", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀英", "晓明", "欣怡", "子涵", "浩然", "雨桐", "思远", "佳怡",
    "梓轩", "一鸣", "婷婷", "建华", "海燕",
)  # fmt: skip
MOBILE_PREFIXES = ("138", "139", "137", "136", "135", "186", "158", "150")
TENDERS = (Tender.MOBILE_PAY, Tender.MOBILE_PAY, Tender.BANK_CARD, Tender.CASH)
