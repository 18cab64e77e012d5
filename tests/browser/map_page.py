"""What the public map's browser tests share: a browser context of a given size, language
and kind of device (tiles cut off, page errors collected), and the wait for the map's next
drawing."""

from __future__ import annotations


def wait_for_draw(page, after: int = 0) -> int:
    """Waits until the map has drawn more than ``after`` times; returns how many."""
    page.wait_for_function(
        "n => Number(document.querySelector('[data-map]').dataset.drawn || 0) > n", arg=after
    )
    return int(page.get_attribute("[data-map]", "data-drawn"))


def new_context(browser, *, width=1280, height=1000, language="en", phone=False):
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale=language,
        extra_http_headers={"Accept-Language": language},
        has_touch=phone,
        is_mobile=phone,
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    return context, page
