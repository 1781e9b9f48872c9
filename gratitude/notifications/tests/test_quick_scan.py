"""The bait check's fast scanner (mail_checks.quick_scan) finds exactly the tags and links the HTML parser
finds: on every kind's real message and on markup written to slip past a naive pattern."""

from __future__ import annotations

import pytest

from gratitude.notifications.devtools.samples import preview
from gratitude.notifications.outbox.kinds import KINDS
from gratitude.notifications.rendering.bait_checks import problems_in_html, quick_scan, scan_html

HOSTILE = [
    '<p>hi</p><a href="https://x.test/a?b=1&amp;c=2">x</a>',
    "<!-- <img src=x> --><p>",
    "<IMG SRC=http://evil>",
    "<a href='https://e.test' title=\"a>b\">",
    '<div style="background:url(http://x)">',
    "<style>a>b{color:red}</style><form action=/x>",
    '<a\nhref="x"\n>',
    '<script>var a="<img src=x>"</script>',
    "<a href=https://ok.test/x>",
    '<p title="<img>">',
    '<a href="x" href="y">',
    '<svg><image href="http://e"/></svg>',
    "<![CDATA[<img>]]>",
    '<a/href="http://evil">',
    '<a href = "  http://e  ">',
    "<input/>",
    "< img src=x>",
    '<a href="java&#x73;cript:alert(1)">',
    '<table background="http://tracker.test/p.gif"><tr><td>',
    "<a href=\"https://ok.test\" onclick='x'>",
]


@pytest.mark.parametrize("html", HOSTILE)
def test_hostile_markup_scans_as_the_parser_reads_it(html):
    parsed = scan_html(html)
    assert quick_scan(html) == (parsed.tags, parsed.links)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_scans_as_the_parser_reads_it_and_is_clean(kind):
    html = preview(kind).rendered.html
    parsed = scan_html(html)

    assert quick_scan(html) == (parsed.tags, parsed.links)
    assert parsed.links, "every message links back to our site"
    assert problems_in_html(html) == []


def test_a_planted_image_and_foreign_link_are_problems():
    problems = problems_in_html('<p>x</p><img src="https://tracker.test/p.gif"><a href="https://evil.test">')
    assert "<img> is not allowed in mail" in problems
    assert any("evil.test" in p for p in problems)
