"""The card's look: class colours (always paired with text), one stylesheet scaled by settings.

Every text colour here is at least 4.5:1 against its background and the card's edge at least 3:1
against a white and a dark page (WCAG 2.2 1.4.3 and 1.4.11): tests/ui/test_contrast.py computes
each pair from this stylesheet.
"""

from __future__ import annotations

CARD_BACKGROUND = "#fbfbfd"
# The edge, against the page behind the card: 4.6:1 on white, 3.5:1 on a dark (#202124) page.
CARD_EDGE = "#6b7785"
# The edge while it flashes at the end of the 2-second wait (ui/flash.py).
FLASH_EDGE = "#388e3c"   # 4.1:1 on white, 3.9:1 on a dark page
CARD_RADIUS = 8          # the card's rounded corners, in px at 100 % (ui/card_shape.py cuts the window to them)

# Badge colours by caller class: white text on each is at least 4.5:1 contrast (WCAG AA).
CLASS_COLOURS = {
    "regular": "#1b5e20",
    "no_value": "#b71c1c",
    "non_regular": "#8a4b00",
    "unknown": "#455a64",
}
# A shape in the badge as well as the colour, for colour-blind agents.
CLASS_MARKS = {"regular": "●", "no_value": "✖", "non_regular": "▲", "unknown": "?"}


def stylesheet(scale: float) -> str:
    def px(n: float) -> str:
        return f"{round(n * scale)}px"

    badges = "\n    ".join(f'#badge[cls="{cls}"] {{ background: {colour}; }}' for cls, colour in CLASS_COLOURS.items())
    return f"""
    #card {{ background: {CARD_BACKGROUND}; border: {px(2)} solid {CARD_EDGE}; border-radius: {px(CARD_RADIUS)}; }}
    #card[flash="true"] {{ border: {px(4)} solid {FLASH_EDGE}; }}
    QScrollArea, #body {{ background: transparent; border: none; }}
    QLabel, QPushButton, QToolButton, QComboBox, QLineEdit, QPlainTextEdit {{ font-size: {px(13)}; }}
    #keysNote {{ color: #455a64; font-size: {px(11)}; }}
    #keysNote[problem="true"] {{ color: #b71c1c; font-weight: bold; }}
    #title {{ color: #37474f; font-weight: bold; }}
    #status {{ color: #455a64; font-size: {px(11)}; }}
    #status[problem="true"] {{ color: #b71c1c; }}
    #badge {{ color: white; background: {CLASS_COLOURS["unknown"]}; border-radius: {px(4)}; padding: {px(3)} {px(8)}; font-size: {px(15)}; font-weight: bold; }}
    #number {{ font-size: {px(18)}; font-weight: bold; color: #263238; letter-spacing: 1px; }}
    {badges}
    #duration {{ font-size: {px(15)}; color: #37474f; }}
    #reason {{ color: #37474f; }}
    #counter {{ font-size: {px(14)}; font-weight: bold; }}
    #counter[reached="true"] {{ color: #b71c1c; }}
    #line {{ background: #fff8e1; border: 1px solid #ffca28; border-radius: {px(4)}; padding: {px(6)}; color: #3e2723; }}
    #line[allowed="true"] {{ background: #e8f5e9; border-color: #43a047; }}
    #lineTitle {{ color: #8a4b00; font-weight: bold; }}
    #lineTitle[allowed="true"] {{ color: #1b5e20; }}
    #flag {{ color: #b71c1c; }}
    #noteLabel {{ color: #37474f; font-weight: bold; }}
    #noteState {{ color: #455a64; font-size: {px(11)}; }}
    QPushButton {{ padding: {px(4)} {px(8)}; }}
    QPushButton#primary {{ background: #1565c0; color: white; border: none; border-radius: {px(4)}; padding: {px(6)} {px(10)}; }}
    QPushButton#primary:disabled {{ background: #90a4ae; }}
    QPushButton#danger {{ background: white; color: #b71c1c; border: {px(2)} solid #c62828; border-radius: {px(4)}; padding: {px(5)} {px(9)}; }}
    QPushButton#danger[allowed="true"] {{ background: #1b5e20; color: white; border-color: #1b5e20; font-weight: bold; }}
    QToolButton#menuButton::menu-indicator {{ image: none; width: 0px; }}
    QLabel[ask="true"] {{ color: #b71c1c; font-weight: bold; }}
    QPushButton#otherCall {{ text-align: left; padding: {px(3)} {px(6)}; background: #eceff1; border: 1px solid #b0bec5; border-radius: {px(4)}; }}
    QPushButton#otherCall[state="ringing"] {{ background: #fff3e0; border-color: #ef6c00; font-weight: bold; }}
    QLabel#unsavedNote {{ color: #8a4b00; background: #fff8e1; padding: {px(3)} {px(6)}; border-radius: {px(4)}; }}
    QProgressBar {{ border: 1px solid #90a4ae; border-radius: {px(3)}; height: {px(8)}; text-align: center; }}
    QProgressBar::chunk {{ background: #1565c0; }}
    """
