#!/usr/bin/python3
"""Renders lines of Chinese text as an image, the way the image tests and `make bench
BENCH=media` make screenshots to read (issue 21). Test tooling only: Debian's python3-pil and
fonts-wqy-microhei (both installed by `make test`); the product never runs this.

    render-text.py OUT.png [--style plain|bubble|dark|noisy] [--size 30] [--width 720] LINE...
    render-text.py --batch JOBS.jsonl      # one {"out":…, "lines":[…], "style":…, "size":…} per line

Styles: plain (black on white), bubble (a chat screenshot: grey background, green and white
bubbles, avatars), dark (a phone in dark mode), noisy (grey paper, speckles, JPEG at quality 55:
a photograph of a screen).
"""
import argparse
import json
import random
import sys

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
]


def font(size):
    for path in FONTS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    sys.exit("render-text.py: no CJK font found (apt-get install fonts-wqy-microhei)")


def render(out, lines, style="plain", size=30, width=720, seed=0):
    face = font(size)
    pad = size // 2
    line_height = size + pad
    if style == "bubble":
        height = 40 + len(lines) * (line_height + pad * 2) + 40
        img = Image.new("RGB", (width, height), (237, 237, 237))
        draw = ImageDraw.Draw(img)
        y = 40
        for i, line in enumerate(lines):
            mine = i % 2 == 1
            text_width = min(int(draw.textlength(line, font=face)), width - 200)
            avatar = (width - 80, y, width - 20, y + 60) if mine else (20, y, 80, y + 60)
            draw.rectangle(avatar, fill=(120, 160, 200) if mine else (200, 150, 110))
            left = width - 100 - text_width - 2 * pad if mine else 100
            box = (left, y, left + text_width + 2 * pad, y + line_height + pad)
            draw.rounded_rectangle(box, radius=8, fill=(149, 236, 105) if mine else (255, 255, 255))
            draw.text((left + pad, y + pad // 2 + 2), line, fill=(25, 25, 25), font=face)
            y += line_height + pad * 2
    else:
        height = 2 * pad + len(lines) * line_height + pad
        background, ink = {"dark": ((25, 25, 25), (230, 230, 230)), "noisy": ((214, 210, 200), (40, 40, 46))}.get(
            style, ((255, 255, 255), (0, 0, 0))
        )
        img = Image.new("RGB", (width, height), background)
        draw = ImageDraw.Draw(img)
        for i, line in enumerate(lines):
            draw.text((pad, pad + i * line_height), line, fill=ink, font=face)
        if style == "noisy":
            rng = random.Random(seed)
            for _ in range(width * height // 60):
                x, y = rng.randrange(width), rng.randrange(height)
                shade = rng.randrange(120, 240)
                draw.point((x, y), fill=(shade, shade, shade))
            img = img.filter(ImageFilter.GaussianBlur(0.6))
    if out.endswith(".jpg"):
        img.save(out, quality=55 if style == "noisy" else 85)
    else:
        img.save(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?")
    parser.add_argument("lines", nargs="*")
    parser.add_argument("--style", default="plain", choices=["plain", "bubble", "dark", "noisy"])
    parser.add_argument("--size", type=int, default=30)
    parser.add_argument("--width", type=int, default=720)
    parser.add_argument("--batch")
    args = parser.parse_intermixed_args()
    if args.batch:
        with open(args.batch, encoding="utf-8") as jobs:
            for number, job in enumerate(json.loads(line) for line in jobs if line.strip()):
                render(
                    job["out"], job["lines"], job.get("style", "plain"), job.get("size", 30),
                    job.get("width", 720), seed=number,
                )
    elif args.out and args.lines:
        render(args.out, args.lines, args.style, args.size, args.width)
    else:
        parser.error("give OUT and at least one LINE, or --batch JOBS.jsonl")


if __name__ == "__main__":
    main()
