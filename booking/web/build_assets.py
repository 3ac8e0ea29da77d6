"""`make assets`: copy what the pages use from the design system (installed by npm) and our
own few files into booking/web/static/, which git ignores and the wheel carries.

The design system ships one CSS file per component: the pages load one bundle of the core and
the components they use, not the whole system, and no JavaScript of it (the pages work without).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

WEB = Path(__file__).resolve().parent
DSFR = WEB.parent.parent / "node_modules" / "@gouvfr" / "dsfr" / "dist"
STATIC = WEB / "static"
OURS = WEB / "assets"

COMPONENTS = (
    "skiplink",
    "logo",
    "header",
    "footer",
    "link",
    "button",
    "form",
    "input",
    "radio",
    "checkbox",
    "select",
    "stepper",
    "alert",
    "callout",
    "tag",
    "notice",
)
STAFF_COMPONENTS = ("table", "badge")  # the back office's own, kept out of the citizens' bundle


def build() -> Path:
    if not DSFR.is_dir():
        raise SystemExit(f"{DSFR} is missing: run `npm ci --ignore-scripts` (or `make assets`)")
    if STATIC.exists():
        shutil.rmtree(STATIC)
    (STATIC / "css").mkdir(parents=True)
    parts = [DSFR / "core" / "core.min.css"]
    parts += [DSFR / "component" / name / f"{name}.min.css" for name in COMPONENTS]
    parts.append(OURS / "guichet.css")
    _bundle(parts, STATIC / "css" / "guichet.css")
    staff = [DSFR / "component" / name / f"{name}.min.css" for name in STAFF_COMPONENTS]
    _bundle(parts + staff, STATIC / "css" / "staff.css")
    shutil.copytree(DSFR / "fonts", STATIC / "fonts")  # a page downloads only the faces it uses
    shutil.copytree(DSFR / "favicon", STATIC / "favicon")
    for path in OURS.glob("*.js"):
        shutil.copy(path, STATIC)
    return STATIC


def _bundle(parts: list[Path], target: Path) -> None:
    target.write_text("\n".join(p.read_text(encoding="utf-8") for p in parts), encoding="utf-8")


if __name__ == "__main__":
    print(f"assets written to {build()}", file=sys.stderr)
