#!/usr/bin/env python3
"""Generates the bundled sample archive: samples/archive/*.jsonl and samples/expected.tsv.

The archive imitates what an archiver of WeCom's conversation archive (会话内容存档, Finance SDK)
writes after decryption: one JSON object per line with msgid, action, from, tolist, roomid,
msgtime (ms) and msgtype, the payload under the key named by the type. Ids have the real shapes:
staff userids are account names, external contacts (customers) start with "wm"/"wo", robots with
"wb", group ids with "wr".

Most messages are clean, everyday sales chat (with prices, order numbers and dates, so ordinary
numbers are exercised). A few planted violations, each listed with the rules it must raise in
expected.tsv, are what the end-to-end test checks: planted ones come out, clean ones do not.

Deterministic: the same script writes the same bytes. Run: python3 samples/generate.py
"""
import datetime
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20261120)

STAFF = ["zhangwei", "LiNa", "wangfang_sales", "chenjie", "liuyang01"]
ROBOT = "wbAbC8EAAA" + "x" * 22


def external_id():
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "wm" + "".join(rng.choice(alphabet) for _ in range(30))


def room_id():
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "wr" + "".join(rng.choice(alphabet) for _ in range(30))


CUSTOMERS = [external_id() for _ in range(24)]
ROOMS = [room_id() for _ in range(4)]
ROOM_MEMBERS = {room: [STAFF[i % len(STAFF)]] + rng.sample(CUSTOMERS, 8) for i, room in enumerate(ROOMS)}

CLEAN_STAFF = [
    "您好，我是您的专属顾问，有什么可以帮您？",
    "这款空气净化器今天活动价1399元，比平时便宜200元。",
    "您的订单号 2026112012345678 已经发货了，预计11月22日送达。",
    "快递单号 SF1234567890123，可以在顺丰官网查询。",
    "好的，我帮您登记一下，明天下午3点前给您回复。",
    "滤芯建议每6个月更换一次，型号是 KJ-400G。",
    "可以的，7天无理由退货，运费险我们承担。",
    "活动截止到11月30日，名额有限哦。",
    "您看一下这个产品介绍，有问题随时问我。",
    "已经为您申请了价保，差价会在3个工作日内退回原支付账户。",
    "我们门店地址在人民路88号，周一到周日都营业。",
    "收到，我这边同步给售后同事处理。",
    "这个颜色目前有现货，下单后48小时内发出。",
    "请问您家里面积大概多少平米？我帮您推荐合适的型号。",
    "发票可以在订单详情里申请电子发票。",
    "新会员首单满299减30，优惠券已经发到您的账户了。",
]
CLEAN_CUSTOMER = [
    "你好，想问一下这款净化器噪音大吗？",
    "好的谢谢",
    "什么时候能发货？",
    "我家大概90平，用哪个型号合适",
    "收到了，包装很好👍",
    "价格还能再优惠点吗",
    "滤芯多少钱一个？",
    "我下周出差，能不能晚点送",
    "可以开电子发票吗",
    "好的，我考虑一下",
    "昨天下单的怎么还没发货",
    "哈哈哈好的",
    "[OK]",
    "有没有白色的",
    "我朋友也想买，能一起下单吗",
    "嗯嗯，明白了",
]
CLEAN_GROUP = [
    "各位亲，今晚8点直播间有秒杀活动，记得来看哦～",
    "群里的朋友有问题可以直接@我",
    "今天的抽奖名单已经公布，恭喜中奖的朋友！",
    "大家收到货有问题请第一时间联系客服处理。",
    "周末门店有体验活动，欢迎到店试用。",
    "这个用了一个月了，效果不错",
    "请问滤芯在哪里买",
    "同问",
    "谢谢群主",
    "今天的直播回放在哪看？",
]

# (sender kind, chat kind, text or payload, expected rules). Sender kinds: staff/customer.
PLANTED = [
    ("staff", "private", "亲，这边不方便说，加我微信 zhang_wei1988 细聊", ["contact.wechat", "luring"]),
    ("staff", "private", "我手机 138 0013 8000，直接打给我", ["contact.phone"]),
    ("staff", "private", "加 V 信：wxid_k9f2m1", ["contact.wechat", "luring"]),
    ("customer", "group", "要货的私聊我，微信同号13912345678", ["contact.phone", "luring"]),
    ("staff", "private", "这个理财产品保本保息，稳赚不赔", ["promised-returns"]),
    ("staff", "private", "我们是全网最低价，行业第一", ["absolute-terms"]),
    ("staff", "private", "货款可以私下转账给我，不开票还能便宜200", ["offplatform-money"]),
    ("staff", "private", "下单后返现50元，转到我支付宝就行", ["offplatform-money"]),
    ("customer", "private", "你们客服都是傻@逼吗", ["abuse"]),
    ("staff", "private", "电话：一三八 零零一三 八零零零", ["contact.phone"]),
    ("staff", "private", "加我微信，保證穩賺", ["luring", "promised-returns"]),
    ("customer", "group", "点这里领券 https://t.cn/A6abcdEf", ["contact.url"]),
    ("staff", "private", "私\u200b下\u200b转\u200b账更划算", ["offplatform-money"]),
    ("customer", "private", "ＱＱ：１２３４５６７８９", ["contact.qq"]),
    ("staff", "private", "尾款打到这张卡：{card}", ["contact.bankcard"]),
    ("customer", "private", "我的身份证号是{idcard}，帮我登记", ["contact.idcard"]),
    ("staff", "private", "简历发我邮箱 hr.zhang@example.com", ["contact.email"]),
    # Clean on purpose: allowed phrases and ordinary words that contain listed ones.
    ("staff", "private", "这是我们第一次合作，您最好先看看样品", []),
    ("staff", "private", "我们店在人民路口交通很方便", []),
    ("customer", "private", "USB接口坏了怎么办", []),
]


def luhn_complete(prefix):
    digits = [int(d) for d in prefix]
    for check in range(10):
        total = 0
        for i, d in enumerate(reversed(digits + [check])):
            if i % 2 == 1:
                d *= 2
                if d > 9:
                    d -= 9
            total += d
        if total % 10 == 0:
            return prefix + str(check)
    raise AssertionError


def idcard_complete(body):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    checks = "10X98765432"
    return body + checks[sum(int(c) * w for c, w in zip(body, weights)) % 11]


CARD = luhn_complete("622202020000123456")  # 19 digits, UnionPay-style
CARD_SHOWN = " ".join(CARD[i:i + 4] for i in range(0, len(CARD), 4))
IDCARD = idcard_complete("11010519491231002")

start_ms = 1795136400000  # 2026-11-20 09:00 +08:00
seq = 0


def next_msgid(t):
    global seq
    seq += 1
    return f"{rng.randrange(10**19, 10**20)}_{t // 1000}"


def record(t, sender, tolist, roomid, msgtype, payload):
    return {"msgid": next_msgid(t), "action": "send", "from": sender, "tolist": tolist, "roomid": roomid,
            "msgtime": t, "msgtype": msgtype, msgtype: payload}


def main():
    out_dir = os.path.join(HERE, "archive")
    os.makedirs(out_dir, exist_ok=True)
    days = {}
    expected = []
    t = start_ms
    planted = list(PLANTED)
    rng.shuffle(planted)
    plant_every = 17
    n = 0
    while n < 420 or planted:
        t += rng.randrange(20_000, 400_000)
        n += 1
        if n % plant_every == 0 and planted:
            kind, chat, text, rules = planted.pop()
            text = text.format(card=CARD_SHOWN, idcard=IDCARD)
            if chat == "group":
                room = rng.choice(ROOMS)
                members = ROOM_MEMBERS[room]
                sender = members[0] if kind == "staff" else rng.choice(members[1:])
                rec = record(t, sender, [m for m in members if m != sender], room, "text", {"content": text})
            else:
                staff, customer = rng.choice(STAFF), rng.choice(CUSTOMERS)
                sender, peer = (staff, customer) if kind == "staff" else (customer, staff)
                rec = record(t, sender, [peer], "", "text", {"content": text})
            expected.append((rec["msgid"], ",".join(sorted(rules))))
            days.setdefault(t // 86_400_000, []).append(rec)
            continue
        roll = rng.random()
        staff, customer = rng.choice(STAFF), rng.choice(CUSTOMERS)
        if roll < 0.30:
            rec = record(t, staff, [customer], "", "text", {"content": rng.choice(CLEAN_STAFF)})
        elif roll < 0.55:
            rec = record(t, customer, [staff], "", "text", {"content": rng.choice(CLEAN_CUSTOMER)})
        elif roll < 0.75:
            room = rng.choice(ROOMS)
            members = ROOM_MEMBERS[room]
            sender = rng.choice(members)
            rec = record(t, sender, [m for m in members if m != sender], room, "text", {"content": rng.choice(CLEAN_GROUP)})
        elif roll < 0.80:
            rec = record(t, customer, [staff], "", "image",
                         {"md5sum": "%032x" % rng.getrandbits(128), "filesize": rng.randrange(20_000, 900_000),
                          "sdkfileid": "CtYBMzA2OTAyMDEwMjA0NjIzMDYwMDIwMTAwMDIwNDVmYjRiZWJjMDIwMzBmNDI0MTAyMDQ"})
        elif roll < 0.83:
            rec = record(t, customer, [staff], "", "voice",
                         {"md5sum": "%032x" % rng.getrandbits(128), "voice_size": 4_000, "play_length": rng.randrange(2, 40),
                          "sdkfileid": "kcyZjZhNTZmNzdmNjIwMmM"})
        elif roll < 0.86:
            rec = record(t, staff, [customer], "", "link",
                         {"title": "冬季新品上市", "description": "新款净化器，点击查看详情", "link_url": "https://shop.example.com/item/8823",
                          "image_url": "https://shop.example.com/img/8823.jpg"})
        elif roll < 0.88:
            rec = record(t, staff, [customer], "", "weapp",
                         {"title": "会员中心", "description": "查看积分和优惠券", "username": "gh_a1b2c3d4e5f6@app", "displayname": "官方商城"})
        elif roll < 0.90:
            rec = record(t, staff, [customer], "", "file",
                         {"md5sum": "%032x" % rng.getrandbits(128), "filename": "产品说明书.pdf", "fileext": "pdf",
                          "filesize": 482_113, "sdkfileid": "MzA2OTAyMDEwMjA0"})
        elif roll < 0.92:
            rec = record(t, customer, [staff], "", "emotion",
                         {"type": 1, "width": 240, "height": 240, "imagesize": 30_000, "md5sum": "%032x" % rng.getrandbits(128)})
        elif roll < 0.93:
            rec = record(t, staff, [customer], "", "card", {"corpname": "示例科技有限公司", "userid": rng.choice(STAFF)})
        elif roll < 0.94:
            rec = record(t, staff, [customer], "", "location",
                         {"longitude": 116.397, "latitude": 39.909, "address": "北京市东城区人民路88号", "title": "示例体验店", "zoom": 15})
        elif roll < 0.95:
            room = rng.choice(ROOMS)
            members = ROOM_MEMBERS[room]
            rec = record(t, members[0], members[1:], room, "redpacket",
                         {"type": 2, "wish": "恭喜发财，大吉大利", "totalcnt": 5, "totalamount": 1000})
        elif roll < 0.96:
            rec = record(t, customer, [staff], "", "agree", {"userid": customer, "agree_time": t})
        else:
            rec = record(t, staff, [customer], "", "text", {"content": rng.choice(CLEAN_STAFF)})
        days.setdefault(t // 86_400_000, []).append(rec)

    # A customer floods a group: 12 messages in under a minute (flood: 10 in 60 s).
    room = ROOMS[1]
    members = ROOM_MEMBERS[room]
    flooder = members[3]
    t += 3_600_000
    flood_day = t // 86_400_000
    for k in range(12):
        t += 4_000
        rec = record(t, flooder, [m for m in members if m != flooder], room, "text", {"content": f"有人吗？？？第{k + 1}遍"})
        days.setdefault(flood_day, []).append(rec)
        if k == 9:
            expected.append((rec["msgid"], "window.flood"))
    # An ad blasted to six one-to-one chats by one account, numbers changed each time
    # (blast: the same text to 5 conversations in 10 minutes).
    for k in range(6):
        t += 45_000
        customer = CUSTOMERS[10 + k]
        text = f"【限时特惠】空气净化器第二件半价，今天下单再送价值{100 + k * 7}元滤芯，名额只剩{5 + k}个，回复1立即锁定！"
        rec = record(t, STAFF[4], [customer], "", "text", {"content": text})
        days.setdefault(t // 86_400_000, []).append(rec)
        if k == 4:
            expected.append((rec["msgid"], "window.blast"))

    # A staff member recalls a message that broke the rules (evidence hidden by recalling).
    day = sorted(days)[-1]
    t += 60_000
    staff, customer = STAFF[0], CUSTOMERS[0]
    hidden = record(t, staff, [customer], "", "text", {"content": "加我私人微信 lw_sales88，那边给你优惠"})
    recall = {"msgid": next_msgid(t + 30_000), "action": "recall", "from": staff, "tolist": [customer], "roomid": "",
              "msgtime": t + 30_000, "msgtype": "revoke", "revoke": {"pre_msgid": hidden["msgid"]}}
    days[day] += [hidden, recall]
    expected.append((hidden["msgid"], "contact.wechat,luring"))
    expected.append((recall["msgid"], "window.recall-after-hit"))

    # A staff member switching enterprise, and a message type this version does not decode.
    t += 120_000
    days[day].append({"msgid": next_msgid(t), "action": "switch", "time": t, "user": STAFF[1]})
    t += 60_000
    days[day].append(record(t, CUSTOMERS[1], [STAFF[1]], "", "sphfeed",
                            {"feed_type": 4, "sph_name": "示例视频号", "feed_desc": "冬季保养小知识"}))

    for day_index, records in sorted(days.items()):
        day_name = datetime.datetime.fromtimestamp(day_index * 86_400, datetime.timezone.utc).strftime("%Y-%m-%d")
        name = f"msgarchive-{day_name}.jsonl"
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            for r in records:
                f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
            if day_index == sorted(days)[0]:
                # A line cut off mid-write by a crashed archiver: quarantined, never fatal.
                f.write('{"msgid":"' + str(rng.randrange(10**19, 10**20)) + '_1795140000","action":"send","from":"zhangwei","tolist":["wm\n')

    # Message-level rules over time, worked out from the records as the daemon would see them:
    # red packets from staff; links posted by customers in groups, and by new group members
    # (within 10 minutes of their first message in that group).
    merged = {m: set(r.split(",")) - {""} for m, r in expected}
    first_seen = {}
    for day_index in sorted(days):
        for r in days[day_index]:
            rules = set()
            if r.get("msgtype") == "redpacket" and not r["from"].startswith(("wm", "wo")):
                rules.add("money.staff-redpacket")
            if r.get("roomid") and r["from"].startswith(("wm", "wo")) and r.get("action") == "send":
                key = (r["roomid"], r["from"])
                first_seen.setdefault(key, r["msgtime"])
                content = r.get("text", {}).get("content", "") if r.get("msgtype") == "text" else ""
                if r.get("msgtype") in ("link", "weapp", "card") or "http://" in content or "https://" in content or "www." in content:
                    rules.add("group.customer-link")
                    if r["msgtime"] - first_seen[key] < 600_000:
                        rules.add("window.new-member-link")
            if rules:
                merged.setdefault(r["msgid"], set()).update(rules)
    expected = [(m, ",".join(sorted(r))) for m, r in merged.items()]

    with open(os.path.join(HERE, "expected.tsv"), "w", encoding="utf-8") as f:
        f.write("# msgid<TAB>rules the message must raise (comma-separated; empty: none). Every other message must raise none.\n")
        for msgid, rules in expected:
            f.write(f"{msgid}\t{rules}\n")


if __name__ == "__main__":
    main()
