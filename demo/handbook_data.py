"""The demo handbook: Dongdao Lu Jia's reported items and values, filled out to 12 pages with
neighbourly, elder-care, hygiene and environment items from other reported village schemes.
Nothing here scores speech, petitions or politics.

Each item: (code, title, description, kind, points, fine in yuan, cap (count, period), validity months).
"""

from decimal import Decimal

from handbook.models import Edition, Item, Page
from handbook.services import add_item, update_item

DEED, FAULT = "deed", "infraction"
MONTH, YEAR = "month", "year"

PAGES = [
    (
        "邻里互助",
        [
            ("1.1", "为邻居修剪树木", "帮助邻居修剪院内或门前的果树、树木。", DEED, "1", None, None, None),
            ("1.2", "帮邻居把车从沟里拉出来", "车辆陷入沟渠时出力帮忙拖出。", DEED, "1", None, None, None),
            ("1.3", "帮助抄水表", "协助村里或邻居抄录水表读数。", DEED, "0.5", None, None, None),
            ("1.4", "借出农具", "把自家农具借给有需要的邻居。", DEED, "0.5", None, (4, MONTH), None),
            ("1.5", "帮邻居搬运重物", "帮助行动不便的邻居搬运粮食、家具等重物。", DEED, "1", None, None, None),
        ],
    ),
    (
        "敬老助老",
        [
            ("2.1", "送老人去医院或集市", "陪送老人看病或赶集，每月最多记两次。", DEED, "1", None, (2, MONTH), None),
            ("2.2", "探望生病村民", "到家中或医院探望生病的村民。", DEED, "4", None, (2, MONTH), None),
            ("2.3", "为独居老人打扫房屋", "为独居或孤寡老人打扫屋子、整理院落。", DEED, "2", None, (4, MONTH), None),
            ("2.4", "陪伴老人过节", "节日里陪伴独居老人，一起包饺子、聊天。", DEED, "1", None, None, None),
        ],
    ),
    (
        "环境卫生",
        [
            ("3.1", "庭院整洁", "经检查庭院干净整洁，每月最多记一次。", DEED, "3", None, (1, MONTH), None),
            ("3.2", "放鸡出舍", "散养鸡鸭跑出鸡舍，影响邻居和道路卫生。", FAULT, "10", 200, None, 12),
            ("3.3", "向河道倾倒垃圾", "向河道、沟渠倾倒生活垃圾或杂物。", FAULT, "5", 500, None, 12),
            ("3.4", "垃圾分类投放", "按要求分类投放生活垃圾。", DEED, "0.5", None, (4, MONTH), None),
        ],
    ),
    (
        "村容村貌",
        [
            ("4.1", "乱堆乱放柴草", "在街巷、路边乱堆柴草杂物。", FAULT, "2", None, None, 6),
            ("4.2", "违章搭建", "未经批准在公共用地上搭建棚屋。", FAULT, "30", None, None, 24),
            ("4.3", "参与街巷清扫", "参加村里组织的街巷清扫。", DEED, "1", None, (4, MONTH), None),
            ("4.4", "房前屋后植树", "在房前屋后种植并养护树木。", DEED, "1", None, (2, MONTH), None),
        ],
    ),
    (
        "邻里和睦",
        [
            ("5.1", "打架斗殴", "与他人发生打斗。", FAULT, "10", 1000, None, 12),
            ("5.2", "调解邻里纠纷", "主动调解邻里之间的矛盾纠纷。", DEED, "5", None, None, None),
            ("5.3", "拾金不昧", "把拾到的钱物交还失主或村委会。", DEED, "15", None, None, None),
        ],
    ),
    (
        "志愿服务",
        [
            ("6.1", "参加志愿服务活动", "参加村里组织的志愿服务活动。", DEED, "5", None, (2, MONTH), None),
            ("6.2", "参加村庄义务劳动", "参加修渠、铺路等义务劳动。", DEED, "2", None, None, None),
            ("6.3", "义务献血", "参加无偿献血。", DEED, "5", None, (1, YEAR), None),
        ],
    ),
    (
        "家庭美德",
        [
            ("7.1", "孝老爱亲", "悉心照料家中老人或病人，事迹经核实。", DEED, "5", None, (1, YEAR), None),
            ("7.2", "评为文明家庭", "被评为年度文明家庭。", DEED, "10", None, (1, YEAR), None),
            ("7.3", "勤俭办红白喜事", "红白喜事从简操办，不大操大办。", DEED, "2", None, None, None),
        ],
    ),
    (
        "安全与防火",
        [
            ("8.1", "焚烧秸秆", "在田间地头焚烧秸秆或垃圾。", FAULT, "20", 200, None, 12),
            ("8.2", "报告火情隐患", "及时向村委会报告火灾隐患。", DEED, "2", None, None, None),
            ("8.3", "私拉乱接电线", "私自乱拉电线，存在安全隐患。", FAULT, "5", None, None, 6),
        ],
    ),
    (
        "道路与公共设施",
        [
            ("9.1", "损坏公共设施", "损坏路灯、健身器材等公共设施。", FAULT, "10", None, None, 12),
            ("9.2", "修补村道", "自发修补村里道路坑洼。", DEED, "2", None, None, None),
            ("9.3", "占道晾晒", "在村道上晾晒粮食，妨碍通行。", FAULT, "2", None, None, 6),
        ],
    ),
    (
        "家畜与犬只",
        [
            ("10.1", "犬只未拴养", "犬只散放，惊吓或伤害行人。", FAULT, "5", None, None, 6),
            ("10.2", "按时为家畜接种疫苗", "按时为家畜家禽接种疫苗。", DEED, "1", None, (1, YEAR), None),
            ("10.3", "病死家畜乱丢弃", "把病死家畜家禽随意丢弃。", FAULT, "10", 200, None, 12),
        ],
    ),
    (
        "节约与绿色",
        [
            ("11.1", "废旧物品回收", "把废旧物品交到村回收点。", DEED, "0.5", None, (4, MONTH), None),
            ("11.2", "节约用水", "经核实无长流水、跑冒滴漏。", DEED, "1", None, (1, MONTH), None),
            ("11.3", "乱扔农药瓶袋", "把农药瓶、农膜随意丢在田间。", FAULT, "3", None, None, 6),
        ],
    ),
    (
        "学习与文化",
        [
            ("12.1", "参加村民夜校", "参加村民夜校的课程。", DEED, "1", None, (2, MONTH), None),
            ("12.2", "辅导邻居孩子学习", "义务辅导邻居家孩子功课。", DEED, "1", None, None, None),
            ("12.3", "管理村图书室", "义务管理村图书室一周。", DEED, "2", None, (2, MONTH), None),
        ],
    ),
]


def fill_with_demo_pages(edition: Edition) -> None:
    """Add the demo handbook's pages and items to an empty edition, in two queries (one per
    table). Items are numbered from position 0 on each page. Publishing is the caller's choice."""
    pages = Page.objects.bulk_create(
        Page(edition=edition, number=number, title=title) for number, (title, _rows) in enumerate(PAGES, start=1)
    )
    Item.objects.bulk_create(
        Item(
            edition=edition,
            page=page,
            position=position,
            code=code,
            title=title,
            description=description,
            kind=kind,
            points=Decimal(points),
            fine_yuan=fine,
            cap_count=cap[0] if cap else None,
            cap_period=cap[1] if cap else "",
            validity_months=validity,
        )
        for page, (_page_title, rows) in zip(pages, PAGES, strict=True)
        for position, (code, title, description, kind, points, fine, cap, validity) in enumerate(rows)
    )


# The second edition, published in the demo year: the village raised what neighbourly help is
# worth, softened the heaviest penalty and added an item, as reported schemes do after a year.
SECOND_EDITION_DAYS_AGO = 150
SECOND_EDITION_CHANGES = {
    "1.1": {"points": Decimal("2")},
    "4.2": {"points": Decimal("20")},
}
SECOND_EDITION_NEW_ITEMS = [
    (3, ("3.5", "门前三包", "负责自家门前的卫生、绿化和秩序，经检查合格。", DEED, "1", None, (2, MONTH), None)),
]


def fill_second_edition(draft: Edition, *, admin) -> None:
    """Turn a draft copied from the first edition into the second, through the editor's services
    (so the audit trail shows the changes as an administrator made them)."""
    for code, fields in SECOND_EDITION_CHANGES.items():
        update_item(item=draft.items.get(code=code), admin=admin, **fields)
    for page_number, (code, title, description, kind, points, fine, cap, validity) in SECOND_EDITION_NEW_ITEMS:
        add_item(
            page=draft.pages.get(number=page_number),
            admin=admin,
            code=code,
            title=title,
            description=description,
            kind=kind,
            points=Decimal(points),
            fine_yuan=fine,
            cap_count=cap[0] if cap else None,
            cap_period=cap[1] if cap else "",
            validity_months=validity,
        )


# A third edition in the making, so the editor, its diff and the publish form have something to show.
DRAFT_CHANGES = {"6.2": {"points": Decimal("3"), "description": "参加修渠、铺路、清理河道等义务劳动。"}}


def fill_draft(draft: Edition, *, admin) -> None:
    for code, fields in DRAFT_CHANGES.items():
        update_item(item=draft.items.get(code=code), admin=admin, **fields)
