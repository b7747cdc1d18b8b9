"""Contrast of every colour pair in the card's stylesheet, computed (WCAG 2.2 relative luminance):
text ≥ 4.5:1 against the background it is drawn on, the card's edge ≥ 3:1 against a white and a
dark page behind the card."""

import re

from hangup_coach.ui.style import CARD_BACKGROUND, CARD_EDGE, CLASS_COLOURS, FLASH_EDGE, stylesheet

DEFAULT_TEXT = "#000000"        # Qt's palette text (the stylesheet sets no colour for plain labels)
PAGES = {"white page": "#ffffff", "dark page": "#202124"}
NAMES = {"white": "#ffffff", "black": "#000000"}


def luminance(colour: str) -> float:
    colour = NAMES.get(colour, colour).lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    channels = []
    for i in (0, 2, 4):
        c = int(colour[i:i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def rules(css: str) -> dict[str, dict[str, str]]:
    """selector → {property: value}, one entry per selector of a comma list."""
    out: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        props = dict((k.strip(), v.strip()) for k, v in (p.split(":", 1) for p in body.split(";") if ":" in p))
        for selector in selectors.split(","):
            out.setdefault(selector.strip(), {}).update(props)
    return out


def base(selector: str) -> str:
    """`#line[allowed="true"]` → `#line`, `QPushButton#primary:disabled` → `QPushButton#primary`."""
    return re.sub(r"\[[^]]*\]|:[a-z-]+", "", selector)


def colour_pairs() -> list[tuple[str, str, str]]:
    """(selector, text colour, background) for every rule that sets a text or background colour."""
    table = rules(stylesheet(1.0))
    pairs = []
    for selector, props in table.items():
        if ":disabled" in selector or "::" in selector:
            continue     # inactive controls are exempt (WCAG 1.4.3); sub-controls are graphics (below)
        inherited = table.get(base(selector), {})
        text = props.get("color") or inherited.get("color") or DEFAULT_TEXT
        background = props.get("background") or inherited.get("background") or CARD_BACKGROUND
        if "color" in props or "background" in props:
            if background == "transparent":
                background = CARD_BACKGROUND
            pairs.append((selector, text, background))
    return pairs


def test_every_text_colour_in_the_style_is_at_least_4_5_to_1_on_its_background():
    pairs = colour_pairs()
    assert len(pairs) >= 20, "the stylesheet was not read"
    low = [(s, t, b, round(contrast(t, b), 2)) for s, t, b in pairs if contrast(t, b) < 4.5]
    assert low == []


def test_the_class_badges_white_text_is_at_least_4_5_to_1():
    pairs = {s: (t, b) for s, t, b in colour_pairs()}
    for cls, colour in CLASS_COLOURS.items():
        assert pairs[f'#badge[cls="{cls}"]'] == ("white", colour)
        assert contrast("#ffffff", colour) >= 4.5, cls


def test_the_cards_edge_stands_out_against_white_and_dark_pages():
    for edge in (CARD_EDGE, FLASH_EDGE):
        for page, colour in PAGES.items():
            assert contrast(edge, colour) >= 3.0, (edge, page, round(contrast(edge, colour), 2))
    assert f"solid {CARD_EDGE}" in rules(stylesheet(1.0))["#card"]["border"]


def test_the_progress_of_the_wait_stands_out_against_the_card():
    chunk = rules(stylesheet(1.0))["QProgressBar::chunk"]["background"]
    assert contrast(chunk, CARD_BACKGROUND) >= 3.0


def test_the_contrast_formula_matches_wcags_own_examples():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#767676", "#ffffff"), 2) == 4.54      # the well-known lightest AA grey on white
    assert contrast("#9aa3ad", "#ffffff") < 3.0                  # the old edge: 2.56:1, too faint
