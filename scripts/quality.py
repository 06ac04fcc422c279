#!/usr/bin/env python3
"""Detection quality: recall per evasion form and false positives per trap kind, measured by the
built binary (`chatwarden scan`) on labelled sets generated here from the real corpora in
../shared/data (never copied into the repository).

    make bench BENCH=quality            (or: scripts/quality.py --data ../shared/data --bin BIN)

What is generated (seeded, so a run can be repeated with --seed):
- planted violations, spread through real conversation lines as a WeCom archive, in every form
  issue 17 names: luring by nickname or homophone, contact numbers in colloquial, mixed, styled,
  English or assembled forms, QQ / Telegram handles after slang names, off-book money in
  paraphrase, investment fraud, absolute and medical claims, violations split over 2–3 messages,
  and the simpler forms (noise, zero-width, traditional, full width, digit variants);
- clean traps of every kind: staff warnings, order / tracking / invoice / transaction numbers,
  prices and dates, service lines, the company's own channels, award names and ordinals,
  homophones that are ordinary words;
- 100,000 real lines (LCCC, KdConv, subtitles) for the rate of ordinary messages flagged.

Generalisation, not memory: homophones are drawn from the pinyin table (any ideograph that
sounds like 微/信), numbers are random, and paraphrases are composed from parts, so many planted
strings are in no wordlist. A planted message counts as caught when any alert cites it (its
msgid, or for a split violation any of its parts as the alert's message or related messages).
"""
import argparse, json, os, random, re, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# ---------------------------------------------------------------------------------------------
# Pinyin, from the data the product itself ships (generated from pypinyin, see THIRD-PARTY.md).

def load_pinyin():
    text = open(os.path.join(ROOT, "Sources/Detect/Pronunciation/PronunciationData.swift"), encoding="utf-8").read()
    syllables = [""] + re.search(r'static let syllables =\s*"([^"]*)"', text).group(1).split(" ")
    readings = re.search(r'static let readings =\s*"([^"]*)"', text).group(1)
    # Characters people actually write: those of the frequent words (rare and traditional
    # characters read differently once folded to simplified).
    common = set(re.search(r'static let commonWords =\s*"([^"]*)"', text).group(1))
    by_sound = {}
    for i, ch in enumerate(readings):
        s = syllables[ord(ch) - 0x100]
        if s and chr(0x4E00 + i) in common:
            by_sound.setdefault(s, []).append(chr(0x4E00 + i))
    return by_sound

# ---------------------------------------------------------------------------------------------
# Numbers written to hide.

COLLOQUIAL = {"0": "洞", "1": "幺", "2": "两", "7": "拐", "9": "勾"}
CHINESE = "零一二三四五六七八九"
FORMAL = "零壹贰叁肆伍陆柒捌玖"
ENGLISH = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
KEYCAP = "\uFE0F\u20E3"
MATH_BOLD = 0x1D7CE  # 𝟎

def mobile(rng):
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))

def render_number(rng, digits, form):
    out = []
    for d in digits:
        if form == "colloquial":
            out.append(COLLOQUIAL.get(d, CHINESE[int(d)]) if rng.random() < 0.8 else d)
        elif form == "mixed":
            out.append(rng.choice([d, CHINESE[int(d)], FORMAL[int(d)]]))
        elif form == "keycap":
            out.append(d + KEYCAP)
        elif form == "styled":
            out.append(chr(MATH_BOLD + int(d)))
        elif form == "english":
            out.append(ENGLISH[int(d)] + " ")
        elif form == "lookalike":
            out.append({"0": "o", "1": "l"}.get(d, d) if rng.random() < 0.3 else d)
        elif form == "spaced":
            out.append(d + rng.choice(["", " ", "-", ".", " · "]) if rng.random() < 0.4 else d)
        else:
            out.append(d)
    return "".join(out).strip()

# ---------------------------------------------------------------------------------------------
# Planted violations, one generator per form. Each returns a list of message texts (several for
# a split violation) and the label of its form.

def homophones(by_sound, word_sounds, exact):
    """Other characters with the same sound as each character of a word."""
    return lambda rng: "".join(rng.choice([c for c in by_sound[s] if c != e] or [e]) for s, e in zip(word_sounds, exact))

def forms(by_sound):
    wechat_sound = homophones(by_sound, ["wei", "xin"], "微信")
    nick = ["绿泡泡", "V信", "vx", "威❤", "薇❤", "v❤", "wx", "卫星号"]
    def luring(rng):
        w = wechat_sound(rng) if rng.random() < 0.6 else rng.choice(nick)
        handle = rng.choice(["abc", "lucky", "shop", "vip", "zz"]) + str(rng.randint(1000, 99999))
        t = rng.choice([
            "加我{w}吧，{h}", "{w}联系我 {h}", "私人{w}发你了：{h}", "这边不方便，加个{w} {h}", "有问题可以{w}找我{h}",
            "加我{w}，那边给你优惠", "{w}聊吧，这里说话不方便", "你加我私人{w}，我发你资料",
        ])
        return [t.format(w=w, h=handle)]
    def numbers(rng):
        n = mobile(rng)
        form = rng.choice(["colloquial", "mixed", "keycap", "styled", "english", "lookalike", "spaced", "pieces", "three"])
        if form == "pieces":
            head, tail = n[:7], n[7:]
            t = rng.choice(["我手机尾号{t}，前面是{h}", "电话前七位{h}，后四位{t}", "号码开头{h}，尾号{t}，打我"])
            return [t.format(h=render_number(rng, head, "spaced"), t=tail)]
        if form == "three":
            return ["我电话前三位{a}，中间{b}，后四位{c}".format(a=n[:3], b=n[3:7], c=n[7:])]
        t = rng.choice(["电话{n}", "打我手机{n}", "我的号码：{n}，有事找我", "联系我 {n}", "手机 {n} 随时打"])
        return [t.format(n=render_number(rng, n, form))]
    def handles(rng):
        kind = rng.choice(["qq", "tg"])
        if kind == "qq":
            num = str(rng.randint(10000, 9999999999))
            name = rng.choice(["扣扣", "企鹅", "Q号", "球球", "抠抠", "qq"])
            return ["{n}：{v}，加我".format(n=name, v=render_number(rng, num, rng.choice(["plain", "colloquial", "mixed"])))]
        name = rng.choice(["飞机", "纸飞机", "电报", "TG", "tg"])
        return ["{n} @{h} 上面聊".format(n=name, h=rng.choice(["king", "trader", "coin", "happy"]) + str(rng.randint(10, 9999)))]
    def money(rng):
        who = rng.choice(["我", "我个人", "我私人", "我本人"])
        where = rng.choice(["卡上", "卡里", "支付宝", "微信", "银行卡", "账户上"])
        t = rng.choice([
            "{m}直接{v}{to}{who}{where}就行", "这单你{v}{to}{who}{where}，不走公司", "{m}{v}我{where}，便宜点",
            "不开票的话能便宜{p}", "不要发票可以再少{p}", "成了给你{k}", "私下{s}就行，别走公司账",
            "这单我给你{k}，别跟公司说",
        ])
        return [t.format(m=rng.choice(["钱", "货款", "尾款", "定金"]), v=rng.choice(["转", "打", "付"]), to=rng.choice(["到", "给", ""]),
                         who=who, where=where, p=rng.choice(["200", "一百", "五个点"]), k=rng.choice(["回扣", "好处费", "返点", "辛苦费"]),
                         s=rng.choice(["结算", "付款", "交易", "给钱"]))]
    def invest(rng):
        t = rng.choice([
            "跟着{a}操作，{b}", "{a}带单，{b}", "这个产品{b}", "日收益{n}%，{b}", "每天稳定收益{n}个点", "亏了我{c}，放心投",
            "内部消息，这只必涨", "做任务返佣，先垫付{n}百", "保底年化{n}十%",
        ])
        return [t.format(a=rng.choice(["老师", "导师", "我", "大神"]), b=rng.choice(["稳赚不赔", "保本保息", "包赚", "零风险", "稳赚"]),
                         n=rng.randint(2, 9), c=rng.choice(["赔", "补", "全赔"]))]
    def claims(rng):
        t = rng.choice([
            "我们这款{p}全网销量第一", "{q}品质，放心买", "{p}效果最好，{r}", "这个{d}能{c}{i}", "{u}有效，无副作用",
            "{p}是行业领先的", "全国首家，{q}认证",
        ])
        return [t.format(p=rng.choice(["产品", "净化器", "面膜", "保健品"]), q=rng.choice(["国家级", "世界级", "顶级"]),
                         r=rng.choice(["绝对划算", "首选"]), d=rng.choice(["药", "茶", "产品"]), c=rng.choice(["根治", "治愈"]),
                         i=rng.choice(["失眠", "脱发", "高血压", "胃病"]), u=rng.choice(["100%", "百分之百"]))]
    def split(rng):
        kind = rng.choice(["phone", "money", "lure"])
        if kind == "phone":
            n = mobile(rng)
            cut = rng.choice([3, 7])
            return [f"我电话{n[:cut]}", n[cut:]]
        if kind == "money":
            return [rng.choice(["货款可以私下", "钱你私下"]), rng.choice(["转账给我", "转给我就行"])]
        return [rng.choice(["那你加我", "方便的话加我"]), "微信吧 " + rng.choice(["abc", "vip"]) + str(rng.randint(1000, 99999))]
    def simple(rng):
        word = rng.choice(["私下转账", "加微信", "稳赚不赔", "保本保息", "返现"])
        style = rng.choice(["noise", "zw", "trad", "wide", "digits"])
        if style == "noise":
            w = "".join(c + rng.choice(["@", " ", "*", "✨", "~"]) for c in word)[:-1]
        elif style == "zw":
            w = "\u200b".join(word)
        elif style == "trad":
            w = word.translate(str.maketrans("转账赚赔现加微信", "轉賬賺賠現加微信"))
        elif style == "wide":
            w = "Ｖ" if False else " ".join(word)
        else:
            n = mobile(rng)
            return ["电话" + "".join("①②③④⑤⑥⑦⑧⑨"[int(d) - 1] if d != "0" else "0" for d in n)]
        return ["这个可以" + w + "，你看"]
    return {
        "luring by nickname or homophone": luring,
        "contact numbers (colloquial, mixed, styled, assembled)": numbers,
        "QQ / Telegram handles after slang names": handles,
        "off-book money in paraphrase": money,
        "investment fraud / guaranteed returns": invest,
        "absolute and medical claims": claims,
        "split over 2-3 messages": split,
        "simpler forms (noise, zero-width, traditional, digits)": simple,
    }

# ---------------------------------------------------------------------------------------------
# Clean traps.

def traps(rng):
    order = lambda: "".join(rng.choice("0123456789") for _ in range(rng.choice([12, 15, 18, 20])))
    company_phone = "400-820-8820"
    return {
        "staff warnings": lambda: rng.choice([
            "为了您的资金安全，请勿私下转账", "我们不承诺保本保收益，投资有风险", "谨防诈骗，不要添加陌生人的微信",
            "私下转账一律无效，请通过公司账户付款", "公司规定不得私下收款", "请勿相信任何稳赚不赔的说法", "切勿把钱转到个人账户",
            "提醒您注意，不要加陌生人微信", "我们不能说保本，理财有风险", "千万别私下交易",
        ]),
        "order, tracking, invoice numbers": lambda: rng.choice([
            "您的订单号{o}已发货", "快递单号SF{o}", "发票号码{o}", "交易单号：{o}", "运单号 {o} 请查收", "流水号{o}",
        ]).format(o=order()),
        "prices and dates": lambda: rng.choice([
            "这款{p}元，今天下单{d}发货", "活动价{p}块，{y}年{m}月{dd}日截止", "一共{p}元，分{k}期", "{y}-{m}-{dd} 到货",
        ]).format(p=rng.randint(99, 99999), d=rng.choice(["明天", "后天"]), y=rng.randint(2024, 2027), m=rng.randint(1, 12),
                  dd=rng.randint(1, 28), k=rng.choice([3, 6, 12])),
        "service lines": lambda: rng.choice(["客服电话400-820-8820", "有问题打95555", "售后热线800-810-8888", "拨打10086查询"]),
        "official channels": lambda: rng.choice([
            "官方客服电话" + company_phone, "请在官网 https://www.example-shop.com 下单", "对公账户 6222 0000 1111 2222 333",
            "邮件发到 service@example-shop.com",
        ]),
        "award names and ordinals": lambda: rng.choice([
            "他获得了最佳男演员奖", "这是我们第一次合作", "第11届展会见", "这是第一部", "最佳新人奖颁给了她", "第3期课程开始了",
        ]),
        "homophones that are ordinary words": lambda: rng.choice([
            "他在公司很有威信", "作为新人请多关照", "这是为新客户准备的", "未信任的设备", "危险品不能寄",
        ]),
    }

# ---------------------------------------------------------------------------------------------

def read_lines(path, limit=None):
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if 4 <= len(line) <= 200 and not any(ord(c) < 0x20 for c in line):
                out.append(line)
                if limit and len(out) >= limit:
                    break
    return out

def record(msgid, sender, peer, t, text, room=""):
    return json.dumps({"msgid": msgid, "action": "send", "from": sender, "tolist": [peer], "roomid": room, "msgtime": t,
                       "msgtype": "text", "text": {"content": text}}, ensure_ascii=False)

def scan(binary, archive, config, state):
    out = subprocess.run([binary, "scan", "--config", config, "--state-dir", state, "--format", "json", "--quiet", archive],
                         capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit("scan failed: " + out.stderr)
    listed = subprocess.run([binary, "alerts", "list", "--config", config, "--state-dir", state, "--format", "json",
                             "--limit", "10000000"], capture_output=True, text=True)
    return [json.loads(l) for l in listed.stdout.splitlines() if l.strip()]

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    p.add_argument("--bin", default=os.environ.get("CHATWARDEN_BIN", os.path.join(ROOT, ".build/release/chatwarden")))
    p.add_argument("--seed", type=int, default=17)
    p.add_argument("--planted", type=int, default=300, help="planted violations per form")
    p.add_argument("--ordinary", type=int, default=100000)
    p.add_argument("--show-missed", type=int, default=0, help="print up to N missed planted texts per form")
    args = p.parse_args()
    corpus = os.path.join(args.data, "corpus")
    if not os.path.isdir(corpus):
        print(f"quality: skipped: no corpus at {corpus} (the labelled sets are made from ../shared/data)")
        return
    rng = random.Random(args.seed)
    by_sound = load_pinyin()
    ordinary = read_lines(os.path.join(corpus, "lccc/lccc_toy_utterances.despaced.txt"))
    ordinary += read_lines(os.path.join(corpus, "kdconv/kdconv_dev_test_utterances.txt"))
    ordinary += read_lines(os.path.join(corpus, "subtitles/dgk_subtitles_zh_lines.txt"), limit=max(0, args.ordinary - len(ordinary)))
    ordinary = ordinary[:args.ordinary]
    t0 = 1_795_136_400_000
    work = tempfile.mkdtemp(prefix="cw-quality-")
    config = os.path.join(work, "quality.toml")
    with open(config, "w") as f:
        f.write('[rules]\nwordlists = ["%s"]\n[company]\nphones = ["400-820-8820"]\ndomains = ["example-shop.com"]\n'
                'accounts = ["6222000011112222333"]\n' % os.path.join(ROOT, "wordlists"))
    # The planted set: each violation (or split run) in its own conversation among real lines,
    # staff speaking to a customer, a minute apart.
    lines, labels, texts, t = [], {}, {}, t0
    generators = forms(by_sound)
    trap_makers = traps(rng)
    n = 0
    for form, make in generators.items():
        for _ in range(args.planted):
            n += 1
            staff, customer = f"staff{n % 50}", f"wmCustomer{n:012d}"
            for k in range(2):
                t += 61_000
                lines.append(record(f"c{n}-{k}", customer, staff, t, rng.choice(ordinary)))
            parts = []
            for k, text in enumerate(make(rng)):
                t += 5_000
                msgid = f"p{n}-{k}"
                lines.append(record(msgid, staff, customer, t, text))
                texts[msgid] = text
                parts.append(msgid)
            labels[tuple(parts)] = form
    trap_ids = {}
    for kind, make in trap_makers.items():
        for _ in range(args.planted):
            n += 1
            t += 61_000
            msgid = f"t{n}"
            lines.append(record(msgid, f"staff{n % 50}", f"wmCustomer{n:012d}", t, make()))
            trap_ids[msgid] = kind
    planted_path = os.path.join(work, "planted.jsonl")
    with open(planted_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    started = time.time()
    alerts = scan(args.bin, planted_path, config, os.path.join(work, "planted-state"))
    # Content rules only: the synthetic set sends one template to many customers, which rules
    # over time rightly call a blast; that is not what is measured here.
    cited = set()
    for a in alerts:
        if a["rule"].startswith("window."):
            continue
        cited.add(a["msgid"])
        cited.update(a.get("related", []))
    print(f"chatwarden detection quality — seed {args.seed}, {len(labels)} planted violations, "
          f"{len(trap_ids)} clean traps, {len(ordinary):,} ordinary lines; {args.bin}")
    print(f"{'form':<58} {'caught':>12}")
    total = caught_all = 0
    for form in generators:
        runs = [parts for parts, f in labels.items() if f == form]
        caught = sum(1 for parts in runs if any(p in cited for p in parts))
        total += len(runs)
        caught_all += caught
        print(f"  {form:<56} {caught:>5} of {len(runs):<5} {caught / len(runs):6.1%}")
        for parts in [r for r in runs if not any(p in cited for p in r)][:args.show_missed]:
            print("      missed: " + " | ".join(texts[p] for p in parts))
    print(f"  {'recall, all forms':<56} {caught_all:>5} of {total:<5} {caught_all / total:6.1%}")
    print(f"{'trap kind (must not be flagged)':<58} {'flagged':>12}")
    for kind in trap_makers:
        ids = [m for m, k in trap_ids.items() if k == kind]
        flagged = sum(1 for m in ids if m in cited)
        print(f"  {kind:<56} {flagged:>5} of {len(ids):<5} {flagged / len(ids):6.1%}")
    # Ordinary lines, each its own message (so no rule over time joins them).
    ordinary_path = os.path.join(work, "ordinary.jsonl")
    with open(ordinary_path, "w", encoding="utf-8") as f:
        for i, text in enumerate(ordinary):
            # Half from staff, half from customers, as in a real archive.
            staff, customer = f"staff{i % 50}", f"wmCustomer{i:012d}"
            sender, peer = (staff, customer) if i % 2 == 0 else (customer, staff)
            f.write(record(f"o{i}", sender, peer, t0 + i * 1_000, text) + "\n")
    ordinary_alerts = scan(args.bin, ordinary_path, config, os.path.join(work, "ordinary-state"))
    flagged = {a["msgid"] for a in ordinary_alerts if not a["rule"].startswith("window.")}
    by_rule = {}
    for a in ordinary_alerts:
        by_rule[a["rule"]] = by_rule.get(a["rule"], 0) + 1
    print(f"  {'ordinary messages flagged (content rules)':<56} {len(flagged):>5} of {len(ordinary):<5} "
          f"{len(flagged) / len(ordinary):6.2%}")
    print("  alerts on ordinary lines by rule: " + ", ".join(f"{r} {c}" for r, c in sorted(by_rule.items(), key=lambda x: -x[1])))
    print(f"(measured in {time.time() - started:.0f} s; rerun: make bench BENCH=quality, or scripts/quality.py --seed {args.seed})")

main()
