"""Draw the app icons in static/icons/ (run once; the PNGs are committed): a tile in the site accent with a
white tick over a ledger line. Plain shapes, so no font is needed.

    .venv/bin/python scripts/make_icons.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

ACCENT = (140, 28, 19, 255)  # the site accent, var(--accent)
WHITE = (255, 255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def draw(size: int, *, maskable: bool) -> Image.Image:
    scale = 4  # drawn large and scaled down for smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), ACCENT if maskable else (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if not maskable:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=ACCENT)
    # Maskable icons keep their drawing inside the central 80% safe zone.
    inset = big * (0.22 if maskable else 0.16)
    box = big - 2 * inset
    width = max(int(box * 0.11), 1)
    tick = [
        (inset + box * 0.12, inset + box * 0.42),
        (inset + box * 0.40, inset + box * 0.68),
        (inset + box * 0.90, inset + box * 0.12),
    ]
    pen.line(tick, fill=WHITE, width=width, joint="curve")
    pen.line(
        [(inset + box * 0.08, inset + box * 0.92), (inset + box * 0.92, inset + box * 0.92)], fill=WHITE, width=width
    )
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192, maskable=False).save(OUT / "icon-192.png", optimize=True)
    draw(512, maskable=False).save(OUT / "icon-512.png", optimize=True)
    draw(512, maskable=True).save(OUT / "maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
