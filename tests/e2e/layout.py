"""Checks a browser test runs on a rendered page: axe-core's serious and critical violations, words the layout
broke in the middle, and touch targets too small for a finger. Each returns what it found, so a test can
assert it is empty and print the offenders when it is not."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Page

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
SCHEMES = ("light", "dark")
BLOCKING_IMPACTS = {"serious", "critical"}
MIN_TOUCH_PX = 44

_axe = Axe()


def axe_blocking(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each, naming the first nodes."""
    found = []
    for violation in _axe.run(page).response["violations"]:
        if violation["impact"] in BLOCKING_IMPACTS:
            nodes = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
            found.append(f"{violation['id']} ({violation['impact']}): {nodes}")
    return found


# A DOM Range over each word of each visible text node: a word whose client rects sit on more than one line
# was broken in the middle by the layout (e.g. `overflow-wrap: anywhere` in a narrow table cell).
_BROKEN_WORDS_JS = """
(root) => {
  const broken = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, [hidden], .share-link') || !parent.offsetParent) continue;
    const text = node.textContent;
    const re = /\\S+/g;
    let match;
    while ((match = re.exec(text)) !== null) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set();
      for (const rect of range.getClientRects()) if (rect.width > 0) tops.add(Math.round(rect.top));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}
"""


def words_broken_mid_word(page: Page, selector: str = "main") -> list[str]:
    """Words under `selector` that the layout split across two lines (the share link is exempt: a long URL
    must wrap somewhere)."""
    result: list[str] = page.locator(selector).evaluate(_BROKEN_WORDS_JS)
    return result


def small_touch_targets(page: Page, selector: str = "main") -> list[str]:
    """Buttons, button-styled links and form controls under `selector` smaller than 44 px in either
    direction (WCAG 2.5.5's target size), named by their text."""
    result: list[str] = page.locator(selector).evaluate(
        """(root, min) => [...root.querySelectorAll('button:not(.link), a.button, select, ' +
                'input:not([type=hidden]):not([type=checkbox]):not([type=radio])')]
            .filter(el => el.offsetParent)
            .filter(el => { const r = el.getBoundingClientRect(); return r.height < min || r.width < min; })
            .map(el => {
              const r = el.getBoundingClientRect();
              const name = el.tagName === 'SELECT' ? el.name : (el.innerText || el.name || el.tagName);
              return `${name.trim()} ${Math.round(r.width)}x${Math.round(r.height)}`;
            })""",
        MIN_TOUCH_PX,
    )
    return result


def wrapped_buttons(page: Page, selector: str = "main") -> list[str]:
    """Buttons and button-styled links under `selector` whose label runs over more than one line."""
    result: list[str] = page.locator(selector).evaluate(
        """(root) => [...root.querySelectorAll('button:not(.link), a.button')]
            .filter(el => el.offsetParent)
            .filter(el => {
              const range = document.createRange(); range.selectNodeContents(el);
              const rects = [...range.getClientRects()].filter(r => r.width > 0);
              return new Set(rects.map(r => Math.round(r.top))).size > 1;
            })
            .map(el => el.innerText.trim())"""
    )
    return result


def small_checkables(page: Page, selector: str = "main") -> list[str]:
    """Checkboxes and radio buttons under `selector` smaller than 20 px, or whose label's first line is not
    beside them (a label floating above or below its box)."""
    result: list[str] = page.locator(selector).evaluate(
        """(root) => [...root.querySelectorAll('input[type=checkbox], input[type=radio]')]
            .filter(el => el.offsetParent)
            .filter(el => {
              const box = el.getBoundingClientRect();
              if (box.width < 20 || box.height < 20) return true;
              const label = el.labels && el.labels[0];
              if (!label || !label.textContent.trim()) return false;
              const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
              const rects = [];
              for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                if (!n.textContent.trim()) continue;
                const r = document.createRange(); r.selectNodeContents(n);
                rects.push(...[...r.getClientRects()].filter(x => x.width > 0));
              }
              return !rects.some(r => r.top < box.bottom && r.bottom > box.top);
            })
            .map(el => (el.name || '') + '=' + (el.value || ''))"""
    )
    return result


def page_for(browser: Any, *, size: str, scheme: str, cookies: list[dict[str, Any]] | None = None) -> Any:
    """A fresh browser context at the named size and colour scheme, optionally signed in by cookie."""
    context = browser.new_context(viewport=SIZES[size], color_scheme=scheme)
    if cookies:
        context.add_cookies(cookies)
    return context
