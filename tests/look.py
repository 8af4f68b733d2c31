"""Checks that look at a page as a person looks at it, each a small function over a Playwright page.

They read what the browser drew (rendered boxes, visible text, the slider as it moves), not the app's state:
- chart_text_overlaps: two texts of one plotly chart drawn on top of each other;
- cut_metrics: a metric value or a button label cut short (an ellipsis, or text wider than its box);
- element_box / box_inside_viewport / offscreen: where a figure lies against the viewport;
- raw_codes: a code (data set, loss, metric key, zero-padded step) where a person reads a label;
- play_advances: what a replay timeline's slider shows, sampled while Play plays.
Used by tests/test_browser_look.py; other browser tests may use them too.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, fields

from explorer.game.config import DATASETS, TrainConfig

# ---------------------------------------------------------------------------------------------------------------
# Chart texts on top of each other

OVERLAP_PX = 2.0  # two boxes that share more than this in both directions overlap (anti-aliasing aside)

# Per chart: its visible, non-empty SVG <text> elements (ticks, titles, annotations, colour-bar ticks) and its legend
# items (a trace's line sample and name, as one box: a legend covers a title with its line samples too), as
# [text, left, top, right, bottom]. Plotly keeps hidden copies (display:none, opacity 0, empty text) and zero-size
# boxes for ticks it does not show; the hover layer holds only what the mouse points at. All are left out, and a
# text drawn twice at the same place (the same string in the same box) counts once.
_CHART_TEXTS_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => {
    const seen = new Set(), out = [];
    const shown = el => el.checkVisibility({opacityProperty: true, visibilityProperty: true})
        && el.getAttribute('opacity') !== '0';
    const add = (text, el) => {
        const r = el.getBoundingClientRect();
        if (r.width < 1 || r.height < 1) return;
        const id = [text, Math.round(r.left), Math.round(r.top), Math.round(r.right), Math.round(r.bottom)].join('|');
        if (seen.has(id)) return;
        seen.add(id);
        out.push([text, r.left, r.top, r.right, r.bottom]);
    };
    for (const item of gd.querySelectorAll('g.legend g.traces')) {
        const text = (item.textContent || '').trim();
        if (text && shown(item)) add('legend: ' + text, item);
    }
    for (const el of gd.querySelectorAll('svg text')) {
        if (el.closest('.hoverlayer') || el.closest('g.legend')) continue;
        const text = (el.textContent || '').trim();
        if (text && shown(el)) add(text, el);
    }
    return out;
})"""


def _overlap(a: list, b: list) -> bool:
    width = min(a[3], b[3]) - max(a[1], b[1])
    height = min(a[4], b[4]) - max(a[2], b[2])
    return width > OVERLAP_PX and height > OVERLAP_PX


def chart_text_overlaps(page) -> list[tuple[int, str, str]]:
    """(chart index on the page, text a, text b) for every two texts of one chart whose boxes overlap."""
    found = []
    for index, texts in enumerate(page.evaluate(_CHART_TEXTS_JS)):
        for i, a in enumerate(texts):
            for b in texts[i + 1:]:
                if _overlap(a, b):
                    found.append((index, a[0], b[0]))
    return found


# ---------------------------------------------------------------------------------------------------------------
# Metric values and button labels cut short

# An element is cut when its text is wider than its box (scrollWidth > clientWidth: CSS clips or ellipsizes it)
# or, for a metric value, reads with an ellipsis (a value cut before it was sent; a button label may end in "…" on
# purpose: "Delete…" asks first). A metric value's text sits in nested divs, and a button label's <p> in a box that
# may clip it, so a metric's descendants and a label's ancestors up to its button count too. Any other text of the page
# (a toggle's label, a sidebar link) counts when CSS ellipsizes it (text-overflow: ellipsis) and it does not fit.
_CUT_JS = r"""() => {
    // scrollWidth and clientWidth are rounded to whole pixels, and an ellipsis shows at ANY overflow: where CSS
    // ellipsizes, the text's own width (a Range over it, in fractional pixels) against the content box decides.
    const inner = el => {
        const cs = getComputedStyle(el);
        return el.getBoundingClientRect().width - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight)
            - parseFloat(cs.borderLeftWidth) - parseFloat(cs.borderRightWidth);
    };
    const textWidth = el => { const range = document.createRange(); range.selectNodeContents(el);
                              return range.getBoundingClientRect().width; };
    const wider = el => el.clientWidth > 0 && (el.scrollWidth > el.clientWidth + 1
        || (getComputedStyle(el).textOverflow === 'ellipsis' && textWidth(el) > inner(el) + 0.01));
    const cut = el => wider(el) || /(\u2026|\.\.\.)$/.test((el.textContent || '').trim());
    const out = [], flagged = new Set();
    const report = (kind, el, bad) => {
        if (flagged.has(bad)) return;
        flagged.add(bad);
        out.push([kind, (el.textContent || '').trim(), bad.scrollWidth, bad.clientWidth]);
    };
    for (const el of document.querySelectorAll("[data-testid='stMetricValue']")) {
        if (!el.checkVisibility()) continue;
        const bad = [el, ...el.querySelectorAll('*')].find(cut);
        if (bad) report('metric', el, bad);
    }
    for (const p of document.querySelectorAll("[data-testid='stButton'] button p, "
                                              + "[data-testid='stDownloadButton'] button p")) {
        if (!p.checkVisibility()) continue;
        const parts = [];
        for (let el = p; el && el.tagName !== 'BUTTON'; el = el.parentElement) parts.push(el);
        const bad = parts.find(wider);
        if (bad) report('button', p, bad);
    }
    for (const root of document.querySelectorAll("[data-testid='stMain'], [data-testid='stSidebar']")) {
        for (const el of root.querySelectorAll('*')) {
            if (el.tagName === 'INPUT' || !(el.textContent || '').trim()) continue;
            if (getComputedStyle(el).textOverflow !== 'ellipsis' || !wider(el)) continue;
            if (el.checkVisibility()) report('text', el, el);
        }
    }
    return out;
}"""


def cut_metrics(page) -> list[tuple[str, str, int, int]]:
    """(kind 'metric', 'button' or 'text', its full text, text width, box width) for every metric value, button
    label and ellipsized text that is cut."""
    return [tuple(row) for row in page.evaluate(_CUT_JS)]


# ---------------------------------------------------------------------------------------------------------------
# Where a figure lies


@dataclass(frozen=True)
class Box:
    """An element's rendered box in CSS pixels, relative to the viewport (the page scrolled to its top)."""

    x: float
    y: float
    width: float
    height: float

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def right(self) -> float:
        return self.x + self.width

    def __str__(self) -> str:
        return f"x {self.x:.0f}-{self.right:.0f}, y {self.y:.0f}-{self.bottom:.0f}"


def st_key_class(key: str) -> str:
    """The CSS class Streamlit gives a keyed element: 'st-key-' + the key with anything but [a-zA-Z0-9_-] as '-'
    (the rule in Streamlit 1.67's frontend)."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


_BOX_JS = """selector => {
    for (const el of document.querySelectorAll(selector)) {
        if (!el.checkVisibility()) continue;
        const r = el.getBoundingClientRect();
        if (r.width > 0 && r.height > 0) return [r.x, r.y, r.width, r.height];
    }
    return null;
}"""


def scroll_to_top(page) -> None:
    """Both scrollers back at the top: the window and Streamlit's main section (which scrolls on its own)."""
    page.evaluate("""() => { window.scrollTo(0, 0);
        for (const el of document.querySelectorAll("[data-testid='stMain'], [data-testid='stAppViewContainer'],"
                                                     + " section.main, .main")) el.scrollTop = 0; }""")


def element_box(page, selector: str) -> Box | None:
    """The box of the first visible element matching `selector`, None when none is drawn."""
    found = page.evaluate(_BOX_JS, selector)
    return Box(*found) if found else None


def box_inside_viewport(page, selector: str, bottom: float | None = None,
                        wait: float = 10.0) -> tuple[bool, Box | None]:
    """Whether the first visible `selector` lies wholly inside the viewport (above `bottom` when given, e.g. the
    fold), with its box; (False, None) when it is not drawn within `wait` seconds. A live page redraws its charts
    every second, and one caught between two draws has no box for a moment: it is looked for again, not failed."""
    end = time.monotonic() + wait
    box = element_box(page, selector)
    while box is None and time.monotonic() < end:
        time.sleep(0.2)
        box = element_box(page, selector)
    if box is None:
        return False, None
    size = page.viewport_size
    limit = size["height"] if bottom is None else bottom
    return (box.x >= -1 and box.y >= -1 and box.right <= size["width"] + 1 and box.bottom <= limit + 1), box


# What a person uses or reads on a page: presentation mode must show all of these without scrolling.
ON_SCREEN = ("[data-testid='stButton'], [data-testid='stPlotlyChart'], [data-testid='stImage'], "
             "[data-testid='stSlider'], [data-testid='stMetric'], [data-testid='stMarkdownContainer']")

_OFFSCREEN_JS = r"""([selector, width, height]) => {
    const main = document.querySelector("[data-testid='stMain']") || document.body;
    const out = [];
    for (const el of main.querySelectorAll(selector)) {
        if (!el.checkVisibility()) continue;
        if (el.parentElement && el.parentElement.closest(selector)) continue;  // the outermost one counts
        const r = el.getBoundingClientRect();
        if (r.width < 1 || r.height < 1) continue;
        if (r.left < -1 || r.top < -1 || r.right > width + 1 || r.bottom > height + 1) {
            const text = (el.innerText || '').replace(/\s+/g, ' ').trim().slice(0, 40);
            out.push([el.getAttribute('data-testid') + ': ' + text, r.x, r.y, r.width, r.height]);
        }
    }
    return out;
}"""


def offscreen(page, selector: str = ON_SCREEN) -> list[tuple[str, Box]]:
    """(what, its box) for every visible element of the main area matching `selector` that reaches outside the
    viewport (the page scrolled to its top)."""
    size = page.viewport_size
    return [(row[0], Box(*row[1:])) for row in page.evaluate(_OFFSCREEN_JS, [selector, size["width"], size["height"]])]


# ---------------------------------------------------------------------------------------------------------------
# Raw codes where a label belongs
#
# What counts as a raw code (case-sensitive, a whole token: a token is a run of letters, digits and _ . - / ~, so a
# run name such as "toy1d-toy-20261204-101500", a path or a file name is one token and is not a code):
# - a data set code (explorer.game.config.DATASETS), except the ones that are ordinary words a label may use
#   ("Two moons", "a spiral", "your image folder");
# - a snake_case identifier (lowercase words joined by "_": non_saturating, classifier_score, modes_covered),
#   except the paper's notation p_data, p_g and p_z, which the lessons use on purpose;
# - a dotted metric key, "word.word" where a part has an underscore or the first part names a metric family of
#   an evaluation (fid.frechet_distance, parzen.mean, coverage.coverage);
# - a zero-padded step ("step 00004000", "step_00004000").
# What is exempt, because a person reads codes there on purpose:
# - URLs and query strings ("/train?dataset=toy1d&loss=minimax"), wherever they appear;
# - code blocks (st.code: the "Share this configuration" link, a CLI line, a log tail), i.e. <pre> and stCode;
# - help tooltips (they are not in the page until hovered, and are skipped if one is open);
# - Material icons: their text is a ligature ("play_arrow") that the font draws as a glyph;
# - a setting's own name (a TrainConfig field: lr_d, z_dim, eval_interval): the sidebar's help and the links name
#   settings by it, and the status line's "lr_d 0.002" is the paper's learning rate of D. Which words a page uses
#   for a setting is the config form's business, not one of the codes named in explorer/names.py.
# Inline `code` in running text is NOT exempt: "`toy1d` · loss `non_saturating`" is a code where a label belongs.
# Read: the visible text nodes of the main area and the sidebar (chart texts included), and the value of every
# visible <input> (a selectbox shows its choice in one).

PLAIN_WORD_DATASETS = frozenset({"moons", "spiral", "folder"})
DATASET_CODES = frozenset(d for d in DATASETS if d not in PLAIN_WORD_DATASETS)
NOTATION = frozenset({"p_data", "p_g", "p_z"})
SETTINGS = frozenset(f.name for f in fields(TrainConfig))
METRIC_FAMILIES = frozenset({"fid", "score", "coverage", "parzen", "modes", "cifar", "prdc"})

_TOKEN = re.compile(r"[A-Za-z0-9_.\-/~]+")
_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
_DOTTED = re.compile(r"([a-z][a-z0-9_]+)\.([a-z][a-z0-9_]+)")
_PADDED_STEP = re.compile(r"\bstep[ _]0\d{3,}\b")
_URL = re.compile(r"\S+://\S+|\S*\?\S*=\S*")

_TEXTS_JS = """() => {
    const skip = "pre, [data-testid='stCode'], [data-testid='stTooltipContent'], [role='tooltip'], script, style, "
               + "noscript, [data-testid='stToolbar'], [data-testid='stHeader'], [data-testid='stIconMaterial']";
    const out = [];
    const roots = [['main', "[data-testid='stMain']"], ['sidebar', "[data-testid='stSidebar']"]];
    for (const [where, root] of roots.map(([w, s]) => [w, document.querySelector(s)])) {
        if (!root || !root.checkVisibility()) continue;
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const text = node.textContent.trim();
            const el = node.parentElement;
            if (!text || !el || el.closest(skip)) continue;
            if (getComputedStyle(el).fontFamily.includes('Material')) continue;  // an icon's ligature
            if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
            const r = el.getBoundingClientRect();
            if (r.width < 1 || r.height < 1) continue;
            out.push([where, text]);
        }
        for (const input of root.querySelectorAll('input, textarea')) {
            if (input.type === 'hidden' || input.type === 'checkbox' || input.type === 'radio') continue;
            if (!input.checkVisibility() || !input.value) continue;
            const holder = input.closest('[data-testid]');
            const label = input.getAttribute('aria-label') || (holder && holder.getAttribute('data-testid')) || '';
            out.push([where + ' input ' + label, input.value]);
        }
    }
    return out;
}"""


def codes_in(text: str) -> list[str]:
    """The raw codes in one piece of text, by the rules above."""
    text = _URL.sub(" ", text)
    found = [m.group(0) for m in _PADDED_STEP.finditer(text)]
    for raw in _TOKEN.findall(text):
        token = raw.strip(".-/~")
        if token in DATASET_CODES:
            found.append(token)
        elif _SNAKE.fullmatch(token) and token not in NOTATION and token not in SETTINGS:
            found.append(token)
        elif (m := _DOTTED.fullmatch(token)) and ("_" in token or m.group(1) in METRIC_FAMILIES):
            found.append(token)
    return found


def raw_codes(page) -> list[str]:
    """'where: code in "text"' for every raw code the page shows where a label belongs."""
    out = []
    for where, text in page.evaluate(_TEXTS_JS):
        for code in codes_in(text):
            out.append(f"{where}: {code} in {text[:80]!r}")
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------------------------------------------------------
# Play on a replay timeline

PLAY_SAMPLE_S = 0.5


def _slider(page, key: str):
    """The slider's <input type=range> (react-aria keeps one, visually hidden, for the keyboard and its range)."""
    return page.locator(f".{st_key_class(key + '_step')} input[type='range']").first


def slider_value(page, key: str) -> int | None:
    """The step the timeline `key` shows (its thumb's value), None when it is not drawn."""
    thumb = page.locator(f".{st_key_class(key + '_step')} [data-testid='stSliderThumbValue']").first
    if thumb.count() == 0:
        return None
    text = thumb.inner_text().replace(",", "").strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else None


def slider_max(page, key: str) -> int | None:
    """The last step of the timeline `key` (its slider's maximum)."""
    slider = _slider(page, key)
    if slider.count() == 0:
        return None
    value = slider.get_attribute("max")
    return int(float(value)) if value else None


def play_advances(page, key: str, seconds: float = 15.0, settle: int = 4, enough: int | None = None
                  ) -> list[int | None]:
    """Press Play on the timeline `key` (the app's replay_view.timeline key) and return the slider's value every
    PLAY_SAMPLE_S for `seconds`, or until it has rested at the last step for `settle` samples, or (given `enough`)
    until it has shown that many distinct steps (sample i is taken (i + 1) * PLAY_SAMPLE_S after the press; one
    that could not be read is None)."""
    page.locator(f".{st_key_class(key + '_play')} button").first.click()
    last = slider_max(page, key)
    samples: list[int | None] = []
    start = tick = time.monotonic()
    while time.monotonic() - start < seconds:
        if last is not None and len(samples) >= settle and all(v == last for v in samples[-settle:]):
            break  # resting at the last step
        if enough is not None and len({v for v in samples if v is not None}) >= enough:
            break  # it plays: seen moving through `enough` steps
        tick += PLAY_SAMPLE_S
        time.sleep(max(0.0, tick - time.monotonic()))
        samples.append(slider_value(page, key))
    return samples


def play_label(page, key: str) -> str:
    """What the timeline `key`'s Play button reads ("Play" or "Pause"; its icon's ligature left out)."""
    text = page.locator(f".{st_key_class(key + '_play')} button").first.inner_text()
    return "Pause" if "Pause" in text else "Play" if "Play" in text else text.strip()


def seek_near_end(page, key: str) -> int | None:
    """Pause the timeline `key` if it plays (and wait until its button reads Play), then move its slider to a tenth
    of the run before the end (the keyboard's End, then PageDown: react-aria's page step) and wait until it shows
    a step in the run's last fifth; that step, None if Pause did not take or the slider did not get there."""
    play = page.locator(f".{st_key_class(key + '_play')} button").first
    if play_label(page, key) == "Pause":
        play.click()
        end = time.monotonic() + 15
        while play_label(page, key) != "Play":
            if time.monotonic() > end:
                return None
            time.sleep(0.25)
    last = slider_max(page, key)
    if last is None:
        return None
    thumb = _slider(page, key)
    thumb.focus()
    thumb.press("End")
    thumb.press("PageDown")
    end = time.monotonic() + 30
    while time.monotonic() < end:
        value = slider_value(page, key)
        if value is not None and 0.8 * last <= value < last:
            return value
        time.sleep(0.25)
    return None
