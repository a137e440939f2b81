"""Demo registry data for `manage.py seed_demo` (`make run`): offices, demo logins, persons,
accounts and contribution months in the bootstrap-import structure (API.md "Bootstrap import").

Deterministic: everything comes from one seeded `random.Random` and integer arithmetic. The clock
only bounds the data: contributing accounts are paid through the month before the current one,
and interest is credited for the years that have ended. Histories are drawn against a fixed anchor
(February 2026), so the same random draws happen whatever the date.

The cases are chosen so every later screen has real work: accounts suspended in one province and
contributing in another (periodic transfers), temporary accounts, arrears, accounts still marked
contributing elsewhere, incoming accounts without a paid month, cross-scheme histories (traditional
transfers), months paid twice (refunds), and people near or past retirement with accounts left in
other provinces (retirement pre-check).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

from django.core.exceptions import ValidationError
from django.utils import timezone
from stdnum.cn import ric

from common.scope import province_of
from registry.validators import make_id_number, validate_id_number

SEED = 20260301
DEMO_PASSWORD = "demo12345"
PERSON_COUNT = 300
ANCHOR = 2026 * 12 + 1  # February 2026, the last month the drawn histories are planned against

NATIONAL_OFFICE = {
    "code": "MOH",
    "name": "人力资源社会保障部社会保险经办机构",
    "region": "110000",
    "national": True,
}

PROVINCIAL_OFFICES = {
    "110000": "北京市社会保险基金管理中心",
    "120000": "天津市社会保险基金管理中心",
    "130000": "河北省社会保险事业服务中心",
    "140000": "山西省社会保险中心",
    "150000": "内蒙古自治区社会保险事业管理局",
    "210000": "辽宁省社会保险事业服务中心",
    "220000": "吉林省社会保险事业管理局",
    "230000": "黑龙江省社会保险事业局",
    "310000": "上海市社会保险事业管理中心",
    "320000": "江苏省社会保险基金管理中心",
    "330000": "浙江省社会保险和就业服务中心",
    "340000": "安徽省社会保险中心",
    "350000": "福建省社会保险中心",
    "360000": "江西省社会保险事业管理中心",
    "370000": "山东省社会保险事业中心",
    "410000": "河南省社会保险中心",
    "420000": "湖北省社会保险中心",
    "430000": "湖南省社会保险服务中心",
    "440000": "广东省社会保险基金管理局",
    "450000": "广西壮族自治区社会保险事业局",
    "460000": "海南省社会保险服务中心",
    "500000": "重庆市社会保险事务中心",
    "510000": "四川省社会保险管理局",
    "520000": "贵州省社会保险事业局",
    "530000": "云南省社会保险中心",
    "540000": "西藏自治区社会保险管理中心",
    "610000": "陕西省社会保险经办服务中心",
    "620000": "甘肃省社会保险事业管理局",
    "630000": "青海省社会保险服务局",
    "640000": "宁夏回族自治区社会保险事业管理局",
    "650000": "新疆维吾尔自治区社会保险管理局",
    "660000": "新疆生产建设兵团社会保险事业管理局",
}
SETTLEMENT_UNITS = tuple(PROVINCIAL_OFFICES)

LOCAL_OFFICES = {
    "110101": "东城区社会保险事业管理中心",
    "110102": "西城区社会保险事业管理中心",
    "110105": "朝阳区社会保险事业管理中心",
    "110106": "丰台区社会保险事业管理中心",
    "110108": "海淀区社会保险事业管理中心",
    "220102": "长春市南关区社会保险事业管理局",
    "310115": "上海市浦东新区社会保险事业管理中心",
    "320106": "南京市鼓楼区社会保险管理中心",
    "330106": "杭州市西湖区社会保险管理服务中心",
    "440106": "广州市天河区社会保险基金管理中心",
    "510104": "成都市锦江区社会保险事业管理局",
}

# username, office, roles: every role at least once, and both sides of a transfer between
# Beijing and 吉林 or 广东. demo_ministry also holds finance so it can run the clearing.
STAFF = (
    ("demo_clerk", "110108", ("clerk",)),
    ("demo_reviewer", "110108", ("reviewer",)),
    ("demo_finance", "110108", ("finance",)),
    ("demo_supervisor", "110108", ("supervisor",)),
    ("demo_admin", "MOH", ("admin",)),
    ("bj_admin", "110000", ("admin",)),  # Beijing's business admin: the whitelist
    ("demo_ministry", "MOH", ("ministry", "finance")),
    ("demo_auditor", "MOH", ("auditor",)),
    ("demo_channel", "110000", ("channel",)),
    ("jl_reviewer", "220000", ("reviewer",)),
    ("jl_finance", "220000", ("finance",)),
    ("gd_reviewer", "440000", ("reviewer",)),
    ("gd_finance", "440000", ("finance",)),
)
# Every other settlement unit's finance (fin_310000 …), so that a demo clearing period can be
# confirmed by each province with activity; the login list prints them as one line.
PROVINCE_FINANCE = tuple(
    (f"fin_{code}", code, ("finance",))
    for code in SETTLEMENT_UNITS
    if code not in {"110000", "220000", "440000"}
)

# Hukou (and ID-number) county codes per province, all in registry/data/regions.csv. Each person
# gets a code that python-stdnum's own check accepts for their birth year (it wants the code to
# exist when the person was born, stricter than our validator), see _hukou_codes; provinces with
# only post-1983 codes get younger people.
HUKOU_CODES = {
    "110000": ("110101", "110102", "110105", "110106", "110108"),
    "120000": ("120101", "120103", "120104"),
    "130000": ("130102", "130104", "130121", "130224"),
    "140000": ("140121", "140122", "140302"),
    "150000": ("150121", "150122", "152201"),
    "210000": ("210321", "210421", "210102", "210103"),
    "220000": ("222401", "222402", "220102", "220104"),
    "230000": ("230722", "230102", "230103"),
    "310000": ("310101", "310104", "310107", "310110"),
    "320000": ("320102", "320106", "320303"),
    "330000": ("330122", "330127", "330102", "330324"),
    "340000": ("340121", "340421", "340122", "340321"),
    "350000": ("350121", "350102", "350122"),
    "360000": ("360121", "360102", "360124"),
    "370000": ("370522", "370102", "370202", "370303"),
    "410000": ("410102", "410105", "410122", "410221"),
    "420000": ("422822", "422801", "420102", "420103"),
    "430000": ("430121", "430321", "433101"),
    "440000": ("440103", "440104", "440222", "440823"),
    "450000": ("450321", "450102", "450222"),
    "460000": ("460105", "460106", "469002"),
    "500000": ("500103", "500106", "500108"),
    "510000": ("510121", "510321", "510421"),
    "520000": ("520203", "522323", "522622"),
    "530000": ("530124", "532322", "532328"),
    "540000": ("540121", "540122", "540124"),
    "610000": ("610322", "610323", "610102"),
    "620000": ("620121", "620123", "622921"),
    "630000": ("632221", "632521", "632222"),
    "640000": ("640121", "640122", "640221"),
    "650000": ("650121", "652801", "652324"),
}
# Where people come from: the populous labour-exporting provinces weigh more.
HUKOU_WEIGHTS = {
    **dict.fromkeys(HUKOU_CODES, 2),
    "410000": 10,
    "510000": 9,
    "340000": 8,
    "430000": 7,
    "420000": 6,
    "370000": 6,
    "130000": 6,
    "360000": 5,
    "450000": 5,
    "220000": 5,
    "230000": 4,
    "110000": 4,
}

# Where accounts are held (参保地): districts of the provincial capital and big cities.
WORK_REGIONS = {
    "110000": ("110101", "110102", "110105", "110106", "110108"),
    "120000": ("120101", "120104"),
    "130000": ("130102", "130104"),
    "140000": ("140106",),
    "150000": ("150102",),
    "210000": ("210102", "210202"),
    "220000": ("220102", "220104", "220202"),
    "230000": ("230102", "230103"),
    "310000": ("310115", "310104", "310101"),
    "320000": ("320106", "320102", "320505"),
    "330000": ("330106", "330212"),
    "340000": ("340104",),
    "350000": ("350102", "350203"),
    "360000": ("360102",),
    "370000": ("370102", "370212"),
    "410000": ("410105",),
    "420000": ("420106", "420111"),
    "430000": ("430104",),
    "440000": ("440106", "440104", "440304", "440305", "441900"),
    "450000": ("450103",),
    "460000": ("460108",),
    "500000": ("500103", "500112"),
    "510000": ("510104", "510107"),
    "520000": ("520102",),
    "530000": ("530102",),
    "540000": ("540102",),
    "610000": ("610102", "610113"),
    "620000": ("620102",),
    "630000": ("630102",),
    "640000": ("640104",),
    "650000": ("650102", "650104"),
    "660000": ("660000",),
}
# Where people work: the three provinces with demo logins and the big labour markets weigh more.
WORK_WEIGHTS = {
    **dict.fromkeys(WORK_REGIONS, 1),
    "110000": 20,
    "440000": 14,
    "220000": 10,
    "310000": 10,
    "320000": 6,
    "330000": 6,
    "370000": 3,
    "510000": 3,
    "420000": 3,
    "350000": 2,
    "500000": 2,
    "410000": 2,
}
TRANSFER_HUBS = ("110000", "440000", "220000")  # the provinces with demo reviewers

# Contribution bases follow a social average wage that starts at 3000元 in 1993 and grows 4% a
# year; provinces and people sit above or below it (percent); bases are whole yuan, clamped.
WAGE_1993_FEN = 300000
WAGE_GROWTH_PERCENT = 104
BASE_MIN_FEN = 300000
BASE_MAX_FEN = 2500000
PROVINCE_WAGE_PERCENT = {
    **dict.fromkeys(WORK_REGIONS, 90),
    "110000": 130,
    "310000": 130,
    "440000": 115,
    "330000": 110,
    "320000": 110,
    "120000": 105,
    "540000": 105,
}
INDIVIDUAL_PERCENT = 8  # individual account: 8% of the base
ARREARS_PERCENT = 24  # employer 16% + individual 8% owed per unpaid month
# 个人账户记账利率 (basis points) as announced for 2016–2024; a flat 2.5% before and after.
INTEREST_BP = {2016: 831, 2017: 712, 2018: 829, 2019: 761, 2020: 604}
INTEREST_BP |= {2021: 669, 2022: 612, 2023: 397, 2024: 262}
DEFAULT_INTEREST_BP = 250
RATE_CUT = 2019 * 12 + 4  # 2019-05: employer rate down to 16% (国办发〔2019〕13号)
INSTITUTION_START = 2014 * 12 + 9  # 2014-10: 机关事业单位养老保险 begins
LOW_RATE_PROVINCES = {"440000", "330000"}  # employer rate 14% before the cut

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
MALE_GIVEN = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳建国志文海峰振东成"
FEMALE_GIVEN = "芳娜敏静丽艳娟霞燕玲桂兰萍红琳婷雪慧颖洁丹倩佳怡欣悦晶琴英秀梅莉蓉薇月"

# Person kinds and their weights; see _Generator for what each one holds.
KINDS = {
    "migrant": 50,
    "veteran": 8,
    "retired": 5,
    "temporary": 8,
    "flexible": 8,
    "dual_flexible": 5,
    "duplicate": 5,
    "arrears": 5,
    "institution": 6,
    "resident": 5,
    "transferred": 4,
    "not_suspended": 3,
    "new_in": 2,
}
DECEASED = (33, 34)  # person indexes; 1–32 each start in a different settlement unit
PAID_OUT = ("closed", "transferred_out")  # the balance left with the transfer or was paid out


def _ym(month: int) -> str:
    return f"{month // 12}-{month % 12 + 1:02d}"


@dataclass
class _Account:
    province: str
    region: str
    scheme: str = "enterprise"
    account_type: str = "general"
    status: str = "suspended"
    arrears_fen: int = 0
    # (month index, identity, base_fen, employer rate or None)
    rows: list[tuple[int, str, int, str | None]] = field(default_factory=list)


class _Generator:
    """Draws people and their histories. Every draw comes from `rng` in a fixed order, so the
    output depends only on SEED, and on the clock only through `paid_through`."""

    def __init__(self, rng: random.Random, paid_through: int, current_year: int) -> None:
        self.rng = rng
        self.paid_through = paid_through
        self.current_year = current_year
        self.used_ids: set[str] = set()
        self._valid_codes: dict[tuple[str, int], list[str]] = {}
        self.wage = {1993: WAGE_1993_FEN}
        for year in range(1994, ANCHOR // 12 + 30):
            self.wage[year] = self.wage[year - 1] * WAGE_GROWTH_PERCENT // 100

    # --- people ---------------------------------------------------------------------------------

    def _hukou_codes(self, province: str, year: int) -> list[str]:
        key = (province, year)
        if key not in self._valid_codes:
            valid = []
            for code in HUKOU_CODES[province]:
                number = make_id_number(code, date(year, 1, 1), 0)
                try:
                    validate_id_number(number, today=date.max)
                except ValidationError:
                    continue
                if ric.is_valid(number):
                    valid.append(code)
            self._valid_codes[key] = valid
        return self._valid_codes[key]

    def person(self, birth_years: tuple[int, int], male: bool | None = None) -> dict:
        rng = self.rng
        if male is None:
            male = rng.random() < 0.55
        birth = date(rng.randint(*birth_years), rng.randint(1, 12), rng.randint(1, 28))
        provinces = [p for p in HUKOU_WEIGHTS if self._hukou_codes(p, birth.year)]
        weights = [HUKOU_WEIGHTS[p] for p in provinces]
        hukou = rng.choice(self._hukou_codes(rng.choices(provinces, weights)[0], birth.year))
        sequence = rng.randrange(0, 1000, 2) + (1 if male else 0)  # 17th digit odd: male
        id_number = make_id_number(hukou, birth, sequence)
        while id_number in self.used_ids:
            sequence += 2
            id_number = make_id_number(hukou, birth, sequence)
        self.used_ids.add(id_number)
        given = MALE_GIVEN if male else FEMALE_GIVEN
        name = rng.choice(SURNAMES) + "".join(rng.choices(given, k=rng.choice((1, 2, 2))))
        return {
            "id_number": id_number,
            "name": name,
            "hukou_region": hukou,
            "status": "active",
            "birth": birth,
            "male": male,
        }

    # --- histories ------------------------------------------------------------------------------

    def provinces(self, count: int, exclude: set[str] = frozenset()) -> list[str]:
        """`count` distinct work provinces, drawn by WORK_WEIGHTS."""
        chosen: list[str] = []
        while len(chosen) < count:
            candidates = [p for p in WORK_WEIGHTS if p not in exclude and p not in chosen]
            chosen.append(self.rng.choices(candidates, [WORK_WEIGHTS[p] for p in candidates])[0])
        return chosen

    def account(self, province: str, **kwargs) -> _Account:
        return _Account(province, self.rng.choice(WORK_REGIONS[province]), **kwargs)

    def jobs(self, start: int, end: int, count: int) -> list[tuple[int, int]]:
        """Split months start..end into `count` consecutive jobs with short gaps between them."""
        rng = self.rng
        count = max(1, min(count, (end - start + 1) // 12))
        weights = [rng.randint(2, 10) for _ in range(count)]
        span = end - start + 1
        spans, at = [], start
        for i, weight in enumerate(weights):
            stop = end if i == count - 1 else at + span * weight // sum(weights) - 1
            gap = rng.randint(0, 12) if i < count - 1 else 0
            spans.append((at, max(at, stop - gap)))
            at = stop + 1
        return spans

    def career_start(self, person: dict, earliest: int = 1993 * 12) -> int:
        """First insured month: at 20–26, not before `earliest`, and at least a year before the
        anchor so that even the youngest have paid months."""
        age = self.rng.randint(20, 26)
        start = (person["birth"].year + age) * 12 + self.rng.randint(0, 11)
        return min(ANCHOR - 12, max(earliest, start))

    def base(self, level: int, province: str, month: int) -> int:
        fen = self.wage[month // 12] * PROVINCE_WAGE_PERCENT[province] * level // 10000
        return min(BASE_MAX_FEN, max(BASE_MIN_FEN, fen // 100 * 100))

    @staticmethod
    def employer_rate(province: str, month: int) -> str:
        if month >= RATE_CUT:
            return "0.16"
        return "0.14" if province in LOW_RATE_PROVINCES else "0.20"

    def pay(
        self,
        account: _Account,
        first: int,
        last: int | None,
        level: int,
        identity: str = "employee",
    ) -> None:
        """Add paid months first..last (None: through `paid_through`) to the account."""
        last = self.paid_through if last is None else min(last, self.paid_through)
        for month in range(first, last + 1):
            if identity == "flexible":
                account.rows.append(
                    (month, "flexible", self.base(level, account.province, month), None)
                )
            else:
                rate = (
                    "0.16"
                    if account.scheme == "institution"
                    else self.employer_rate(account.province, month)
                )
                account.rows.append(
                    (month, "employee", self.base(level, account.province, month), rate)
                )

    def pay_resident(self, account: _Account, first_year: int, last_year: int) -> None:
        """城乡居民: one yearly payment (in January) at a chosen contribution tier."""
        tier = self.rng.choice((300000, 400000, 500000))
        for year in range(first_year, last_year + 1):
            account.rows.append((year * 12, "flexible", tier, None))

    def balance(self, account: _Account) -> int:
        """Individual-account balance: 8% of each month's base (a resident's whole yearly payment)
        with the year's interest credited at each year end, up to the last year that has ended."""
        balance, year = 0, None
        for month, _, base, _ in sorted(account.rows):
            while year is not None and year < month // 12:
                balance = balance * (10000 + INTEREST_BP.get(year, DEFAULT_INTEREST_BP)) // 10000
                year += 1
            year = month // 12 if year is None else year
            balance += base if account.scheme == "resident" else base * INDIVIDUAL_PERCENT // 100
        while year is not None and year < self.current_year:
            balance = balance * (10000 + INTEREST_BP.get(year, DEFAULT_INTEREST_BP)) // 10000
            year += 1
        return balance

    def arrears(self, account: _Account, months: int) -> int:
        last_base = max(account.rows)[2] if account.rows else BASE_MIN_FEN
        return months * last_base * ARREARS_PERCENT // 100

    # --- kinds ----------------------------------------------------------------------------------

    def migrant(self, person: dict, route: tuple[str, str] | None = None) -> list[_Account]:
        """1–3 enterprise accounts in different provinces; the older ones suspended, the current
        one contributing (or, for a few, suspended too: out of work now). `route` fixes the
        provinces of a two-account history."""
        rng = self.rng
        count = 2 if route else rng.choices((1, 2, 3), (2, 5, 3))[0]
        level = rng.randint(80, 200)
        start = self.career_start(person)
        jobs = self.jobs(start, ANCHOR, count)
        provinces = list(route[-len(jobs) :]) if route else self.provinces(len(jobs))
        unemployed = rng.random() < 0.08
        accounts = []
        for i, ((first, last_month), province) in enumerate(zip(jobs, provinces, strict=True)):
            account = self.account(province)
            current = i == len(jobs) - 1 and not unemployed
            self.pay(account, first, None if current else last_month, level + 3 * i)
            account.status = "contributing" if current else "suspended"
            accounts.append(account)
        return accounts

    def veteran(self, person: dict) -> list[_Account]:
        """Insured since before 1998, 2–3 provinces; near retirement: the pre-check's case."""
        rng = self.rng
        level = rng.randint(90, 180)
        start = rng.randint(1993 * 12, 1997 * 12 + 11)
        jobs = self.jobs(start, ANCHOR, rng.choice((2, 3)))
        accounts = []
        for i, ((first, last), province) in enumerate(
            zip(jobs, self.provinces(len(jobs)), strict=True)
        ):
            account = self.account(province)
            current = i == len(jobs) - 1
            self.pay(account, first, None if current else last, level + 5 * i)
            account.status = "contributing" if current else "suspended"
            accounts.append(account)
        return accounts

    def retired(self, person: dict) -> list[_Account]:
        """Receiving benefits; accounts left in other provinces were never transferred."""
        rng = self.rng
        retire_age = 60 if person["male"] else 50
        retirement = (person["birth"].year + retire_age) * 12 + person["birth"].month - 1
        start = rng.randint(1993 * 12, 1996 * 12 + 11)
        level = rng.randint(80, 160)
        jobs = self.jobs(start, retirement - 1, rng.choice((2, 3)))
        accounts = []
        for (first, last), province in zip(jobs, self.provinces(len(jobs)), strict=True):
            account = self.account(province)
            self.pay(account, first, last, level)
            accounts.append(account)
        return accounts

    def temporary(self, person: dict) -> list[_Account]:
        """A 临时账户: opened for an older worker (men over 50, women over 40) outside the hukou
        province. Either it is the current account (a transfer into it is refused) or an old,
        suspended one that is transferred out with the employer rate."""
        rng = self.rng
        level = rng.randint(80, 150)
        hukou_province = province_of(person["hukou_region"])
        opened = (person["birth"].year + (50 if person["male"] else 40)) * 12 + rng.randint(0, 18)
        opened = min(opened, ANCHOR - 18)
        start = self.career_start(person)
        before = max(start + 12, opened - rng.randint(1, 4))
        if rng.random() < 0.6:
            old, temp = self.provinces(2, exclude={hukou_province})
            general = self.account(old)
            self.pay(general, start, before - 1, level)
            account = self.account(temp, account_type="temporary", status="contributing")
            self.pay(account, opened, None, level)
            return [general, account]
        (temp,) = self.provinces(1, exclude={hukou_province})
        closed_at = min(ANCHOR - 6, opened + rng.randint(12, 48))
        account = self.account(temp, account_type="temporary")
        self.pay(account, opened, closed_at, level)
        home = self.account(hukou_province, status="contributing")
        if before > start:
            self.pay(home, start, before - 1, level)
        self.pay(home, closed_at + rng.randint(1, 4), None, level)
        return [account, home]

    def flexible(self, person: dict) -> list[_Account]:
        """Employee months, then 灵活就业 in the same account; for some, the switch month was
        paid under both identities."""
        accounts = self.migrant(person)
        current = accounts[-1]
        if current.status != "contributing" or ANCHOR - min(current.rows)[0] < 24:
            return accounts
        first = min(current.rows)[0]
        level = self.rng.randint(60, 100)
        switch = max(first + 12, ANCHOR - self.rng.randint(12, 60))
        current.rows = [row for row in current.rows if row[0] < switch]
        overlap = self.rng.choice((0, 0, 1, 2))
        self.pay(current, switch - overlap, None, level, identity="flexible")
        return accounts

    def dual_flexible(self, person: dict) -> list[_Account]:
        """Employee in the work province while paying 灵活就业 at home for the same months:
        employee-vs-flexible duplicates, refunded on the flexible side at a window only."""
        rng = self.rng
        hukou_province = province_of(person["hukou_region"])
        (work,) = self.provinces(1, exclude={hukou_province})
        start = self.career_start(person, earliest=2005 * 12)
        level = rng.randint(90, 160)
        employee = self.account(work, status="contributing")
        self.pay(employee, start, None, level)
        home = self.account(hukou_province)
        first = rng.randint(start, max(start, ANCHOR - 30))
        self.pay(home, first, first + rng.randint(5, 23), 60, identity="flexible")
        return [home, employee]

    def duplicate(self, person: dict) -> list[_Account]:
        """The old employer kept paying after the move: employee months in two provinces."""
        accounts = self.migrant(person)
        for older, newer in pairwise(accounts):
            if not newer.rows or not older.rows:
                continue
            extra = self.rng.randint(1, 6)
            last, _, _, _ = max(older.rows)
            level = self.rng.randint(80, 160)
            self.pay(older, last + 1, max(last + 1, min(newer.rows)[0] + extra - 1), level)
        return accounts

    def with_arrears(self, person: dict) -> list[_Account]:
        """The old employer left months unpaid: the outgoing account owes (转出地存在欠费)."""
        accounts = self.migrant(person)
        for account in accounts:
            if account.status == "suspended" or self.rng.random() < 0.3:
                account.arrears_fen = self.arrears(account, self.rng.randint(1, 6))
        return accounts

    def institution(self, person: dict) -> list[_Account]:
        """Enterprise → 机关事业单位 or back: cross-scheme, the traditional model."""
        rng = self.rng
        level = rng.randint(100, 180)
        start = self.career_start(person, earliest=2000 * 12)
        switch = min(ANCHOR - 12, max(INSTITUTION_START, start + 24) + rng.randint(0, 60))
        first, second = self.provinces(2)
        if rng.random() < 0.3:
            second = first  # same province, other scheme: still a separate account
        if rng.random() < 0.6:
            enterprise = self.account(first)
            self.pay(enterprise, start, switch - rng.randint(1, 3), level)
            public = self.account(second, scheme="institution", status="contributing")
            self.pay(public, switch, None, level)
            return [enterprise, public]
        public = self.account(first, scheme="institution")
        self.pay(public, max(start, INSTITUTION_START), switch, level)
        enterprise = self.account(second, status="contributing")
        self.pay(enterprise, switch + rng.randint(1, 6), None, level)
        return [public, enterprise]

    def resident(self, person: dict) -> list[_Account]:
        """城乡居民 at the hukou county for some years, then an enterprise job in a city."""
        rng = self.rng
        hukou_province = province_of(person["hukou_region"])
        home = _Account(hukou_province, person["hukou_region"], scheme="resident")
        first_year = max(2012, person["birth"].year + 18)
        last_year = min(ANCHOR // 12 - 2, first_year + rng.randint(2, 7))
        self.pay_resident(home, first_year, last_year)
        (work,) = self.provinces(1)
        job = self.account(work, status="contributing")
        self.pay(job, (last_year + 1) * 12 + rng.randint(0, 11), None, rng.randint(80, 130))
        return [home, job]

    def transferred(self, person: dict) -> list[_Account]:
        """An earlier transfer already completed: the old account is transferred out (no months
        left there) and its months now sit in the account that received them."""
        accounts = self.migrant(person)
        if len(accounts) < 2:
            return accounts
        old, receiving = accounts[0], accounts[1]
        receiving.rows = sorted(old.rows + receiving.rows)
        old.rows, old.status, old.arrears_fen = [], "transferred_out", 0
        return accounts

    def not_suspended(self, person: dict) -> list[_Account]:
        """The old employer never reported the stop: still `contributing` (人员还未暂停缴费)."""
        accounts = self.migrant(person)
        for account in accounts[:-1]:
            account.status = "contributing"
        return accounts

    def new_in(self, person: dict) -> list[_Account]:
        """Just registered at the new place, nothing paid yet (转入地无缴费记录)."""
        accounts = self.migrant(person)
        if len(accounts) >= 2 and accounts[-1].status == "contributing":
            accounts[-1].rows = []
        return accounts

    def deceased(self, person: dict) -> list[_Account]:
        accounts = self.migrant(person)
        for account in accounts:
            account.status = "closed"
            account.rows = [row for row in account.rows if row[0] <= ANCHOR - 10]
        return accounts


BIRTH_YEARS = {
    "migrant": (1982, 2002),
    "veteran": (1966, 1975),
    "flexible": (1975, 1998),
    "dual_flexible": (1975, 1995),
    "duplicate": (1975, 2000),
    "arrears": (1972, 2000),
    "institution": (1970, 1995),
    "resident": (1985, 2002),
    "transferred": (1972, 1998),
    "not_suspended": (1975, 2000),
    "new_in": (1975, 2000),
}
# Kinds whose ages depend on the retirement or temporary-account age: (men, women).
GENDERED_BIRTH_YEARS = {
    "retired": ((1958, 1965), (1966, 1975)),
    "temporary": ((1964, 1974), (1972, 1984)),
}


def _example_person(gen: _Generator) -> tuple[dict, list[_Account]]:
    """API.md's example: suspended in 长春市南关区, contributing in 海淀区."""
    person = {
        "id_number": "110101198808080001",
        "name": "严某荣",
        "hukou_region": "110101",
        "status": "active",
    }
    gen.used_ids.add(person["id_number"])
    changchun = _Account("220000", "220102")
    gen.pay(changchun, 2011 * 12 + 6, 2019 * 12 + 2, 120)
    haidian = _Account("110000", "110108", status="contributing")
    gen.pay(haidian, 2019 * 12 + 3, None, 125)
    return person, [changchun, haidian]


def _traditional_example(gen: _Generator) -> tuple[dict, list[_Account]]:
    """A traditional-model case (传统模式): 企业 suspended in 长春市南关区, then 机关事业单位 in
    海淀区 — applied for at the 海淀 office, the incoming one."""
    person = {
        "id_number": "11010119900307002X",
        "name": "林某清",
        "hukou_region": "110101",
        "status": "active",
    }
    gen.used_ids.add(person["id_number"])
    changchun = _Account("220000", "220102")
    gen.pay(changchun, 2013 * 12 + 2, 2020 * 12 + 7, 110)
    haidian = _Account("110000", "110108", scheme="institution", status="contributing")
    gen.pay(haidian, 2020 * 12 + 9, None, 130)
    return person, [changchun, haidian]


def _refund_example(gen: _Generator) -> tuple[dict, list[_Account]]:
    """Months paid twice (个人重复缴费退费): 灵活就业 at home in 朝阳区 (2021-03…2021-10) while
    employed in 广州市天河区 — the flexible side is refunded, at a window."""
    person = {
        "id_number": "110105199206180240",
        "name": "王某芳",
        "hukou_region": "110105",
        "status": "active",
    }
    gen.used_ids.add(person["id_number"])
    guangzhou = _Account("440000", "440106", status="contributing")
    gen.pay(guangzhou, 2019 * 12, None, 120)
    chaoyang = _Account("110000", "110105")
    gen.pay(chaoyang, 2021 * 12 + 2, 2021 * 12 + 9, 60, identity="flexible")
    return person, [chaoyang, guangzhou]


def _whitelist_example(gen: _Generator) -> tuple[dict, list[_Account]]:
    """Retiring in Beijing; the pre-check still finds a 石家庄 account that was cleared long ago
    but kept its months (已清算): the case for a whitelist entry with the clearing document."""
    person = {
        "id_number": "110102196609090351",
        "name": "赵某明",
        "hukou_region": "110102",
        "status": "active",
    }
    gen.used_ids.add(person["id_number"])
    shijiazhuang = _Account("130000", "130102", status="closed")
    gen.pay(shijiazhuang, 2006 * 12, 2010 * 12 + 11, 90)
    xicheng = _Account("110000", "110102", status="contributing")
    gen.pay(xicheng, 2011 * 12, None, 140)
    return person, [shijiazhuang, xicheng]


def _people(gen: _Generator) -> list[tuple[dict, list[_Account]]]:
    examples = [_example_person, _traditional_example, _refund_example, _whitelist_example]
    people = [example(gen) for example in examples]
    kinds, weights = list(KINDS), list(KINDS.values())
    for index in range(1, PERSON_COUNT + 1 - len(examples)):
        if index <= len(SETTLEMENT_UNITS):
            # one history out of every settlement unit into a province with demo reviewers
            origin = SETTLEMENT_UNITS[index - 1]
            hub = next(h for h in TRANSFER_HUBS[index % 3 :] + TRANSFER_HUBS if h != origin)
            person = gen.person((1972, 1995))
            accounts = gen.migrant(person, route=(origin, hub))
        elif index in DECEASED:
            person = gen.person((1960, 1975))
            person["status"] = "deceased"
            accounts = gen.deceased(person)
        else:
            kind = gen.rng.choices(kinds, weights)[0]
            if kind in GENDERED_BIRTH_YEARS:
                male = gen.rng.random() < 0.5
                person = gen.person(GENDERED_BIRTH_YEARS[kind][0 if male else 1], male=male)
            else:
                person = gen.person(BIRTH_YEARS[kind])
            if kind == "retired":
                person["status"] = "receiving_benefits"
            build = gen.with_arrears if kind == "arrears" else getattr(gen, kind)
            accounts = build(person)
        people.append((person, accounts))
    return people


def demo_registry_data() -> dict:
    """The demo registry in the bootstrap-import structure, ready for `registry_import`."""
    today = timezone.localdate()
    current_month = today.year * 12 + today.month - 1
    gen = _Generator(random.Random(SEED), paid_through=current_month - 1, current_year=today.year)
    offices = [NATIONAL_OFFICE] + [
        {"code": code, "name": name, "region": code, "national": False}
        for code, name in (PROVINCIAL_OFFICES | LOCAL_OFFICES).items()
    ]
    staff = [
        {"username": username, "password": DEMO_PASSWORD, "office": office, "roles": list(roles)}
        for username, office, roles in STAFF + PROVINCE_FINANCE
    ]
    persons, accounts = [], []
    for person, person_accounts in _people(gen):
        persons.append({k: person[k] for k in ("id_number", "name", "hukou_region", "status")})
        for account in person_accounts:
            account.rows = [row for row in account.rows if row[0] <= gen.paid_through]
            accounts.append(
                {
                    "id_number": person["id_number"],
                    "region": account.region,
                    "scheme": account.scheme,
                    "account_type": account.account_type,
                    "status": account.status,
                    "arrears_fen": account.arrears_fen,
                    "individual_balance_fen": (
                        gen.balance(account) if account.status not in PAID_OUT else 0
                    ),
                    "contributions": [
                        {"month": _ym(month), "identity": identity, "base_fen": base}
                        | ({"employer_rate": rate} if rate else {})
                        for month, identity, base, rate in sorted(account.rows)
                    ],
                }
            )
    return {"offices": offices, "staff": staff, "persons": persons, "accounts": accounts}
