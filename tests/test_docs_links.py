"""Every relative link in README.md and docs/*.md points at a file that exists.

The README is a front door to the pages under docs/; a page renamed or moved
must not leave a link into nothing. Anchors (``page.md#section``) are cut off
before the check: the file is what must exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: ``[text](target)`` and ``![alt](target)``; the target ends at whitespace or ``)``
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"`[^`]*`")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def relative_links(text: str) -> list[str]:
    """The relative link targets of a Markdown text, outside code blocks and code spans."""
    targets: list[str] = []
    in_fence = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for target in _LINK.findall(_CODE_SPAN.sub("", line)):
            if _SCHEME.match(target) or target.startswith(("#", "//")):
                continue  # a URL, or a place in the same page
            targets.append(target)
    return targets


def broken_links(page: Path) -> list[str]:
    """The relative links of ``page`` whose file (anchor cut off) does not exist."""
    broken = []
    for target in relative_links(page.read_text(encoding="utf-8")):
        path = target.split("#", 1)[0].split("?", 1)[0]
        if not (page.parent / path).exists():
            broken.append(target)
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_the_readme_links_into_docs() -> None:
    linked = {target.split("#", 1)[0] for target in relative_links(PAGES[0].read_text("utf-8"))}
    assert linked >= {"docs/bench.md", "docs/run-format.md", "docs/real-targets.md"}


def test_a_broken_link_is_found_and_code_is_not_read_as_links(tmp_path: Path) -> None:
    (tmp_path / "there.md").write_text("# There\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md) [ok too](there.md#there) [gone](missing.md) ![img](gone.png)\n"
        "[web](https://example.com/x.md) [here](#top) `[span](nowhere.md)`\n"
        "```\n[fenced](nowhere.md)\n```\n",
        encoding="utf-8",
    )
    assert broken_links(page) == ["missing.md", "gone.png"]
