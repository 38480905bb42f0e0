"""The HTML report in headless Chromium: it renders, every image loads, a screenshot is kept."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from reports import ReportPaths
from tests.reports.conftest import ARTIFACTS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--virtual-time-budget=10000",
]
CHECK = """
<script>
window.addEventListener("load", () => {
  const imgs = Array.from(document.images);
  const broken = imgs.filter((i) => !(i.complete && i.naturalWidth > 0)).length;
  const marker = document.createElement("div");
  marker.id = "img-check";
  marker.textContent = `images=${imgs.length} broken=${broken} ` +
    `sections=${document.querySelectorAll("section").length}`;
  document.body.appendChild(marker);
});
</script>
"""

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (Debian: apt-get install -y chromium); "
    "the HTML report cannot be opened in a browser here",
)


def _chromium(args: list[str], profile: Path) -> str:
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize("which", ["run_report", "sweep_report", "locust_report"])
def test_html_renders_and_images_load(
    which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    report: ReportPaths = request.getfixturevalue(which)
    page = report.html.read_text(encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", CHECK + "</body>"), encoding="utf-8")
    dom = _chromium(["--dump-dom", probe.as_uri()], tmp_path / "profile")
    found = re.search(r"images=(\d+) broken=(\d+) sections=(\d+)", dom)
    assert found, "the page did not finish loading"
    images, broken, sections = map(int, found.groups())
    assert images == len(report.images) > 0
    assert broken == 0
    assert sections >= 5
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"report-{which.removesuffix('_report')}.png"
    shot.unlink(missing_ok=True)
    _chromium(
        [f"--screenshot={shot}", "--window-size=1280,4000", report.html.as_uri()],
        tmp_path / "profile2",
    )
    assert shot.exists() and shot.stat().st_size > 50_000
