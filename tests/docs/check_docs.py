#!/usr/bin/env python3
"""Checks the documentation's links, figures and translations.

    check_docs.py REPO_ROOT

- docs/ and docs/es/ hold the same chapter pages (ch*.md) and README.md;
- every relative link and image in README.md, docs/*.md and docs/es/*.md
  resolves to a file or folder of the repository, and every #anchor to a
  heading of its page;
- a GitHub line link (file#L10 or file#L10-L20) lies within the file, and a
  link whose text names lines ("L12", "lines 3-8", "líneas 3-8") or a code
  identifier (`DecoderLm::forward`) names what the anchor points at;
- each Spanish page has the English page's line links and figures, in the
  same order, and the two link to each other;
- every chapter page shows at least one figure of docs/img/ with alt text
  and a caption, and every PNG in docs/img/ is shown somewhere.

Standard library only; prints one line per problem and exits 1 if any.
"""
import re
import sys
import unicodedata
from pathlib import Path

LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(([^()\s]+(?:\([^()\s]*\))?)(?:\s+\"[^\"]*\")?\)")
LINE_ANCHOR = re.compile(r"^L(\d+)(?:-L(\d+))?$")
TEXT_LINES = re.compile(r"^(?:\S+\s+)?(?:L|lines?\s+|líneas?\s+)(\d+)(?:\s*-\s*L?(\d+))?$")
IDENTIFIER = re.compile(r"^`([A-Za-z_][A-Za-z0-9_:]*)`$")
FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")


class Page:
    """A markdown file's links, images and headings, outside code."""

    def __init__(self, path: Path):
        self.path = path
        self.links = []   # (is_image, text, target, line number)
        self.headings = []
        self.lines = path.read_text(encoding="utf-8").splitlines()
        in_fence = False
        for number, line in enumerate(self.lines, 1):
            if FENCE.match(line):
                in_fence = not in_fence
                continue
            if in_fence:
                continue
            if line.startswith("#"):
                self.headings.append(line.lstrip("#").strip())
            for m in LINK.finditer(mask_inline_code(line)):
                text = line[m.start(2):m.end(2)]
                self.links.append((m.group(1) == "!", text, m.group(3), number))

    def slugs(self):
        return {github_slug(h) for h in self.headings}


def mask_inline_code(line: str) -> str:
    """Blanks what is inside `code` spans so that brackets there are not links,
    but keeps a span that is a whole link text, e.g. [`forward`](x.cpp#L3)."""
    def blank(m):
        before = line[:m.start()]
        after = line[m.end():]
        if before.endswith("[") and after.startswith("]("):
            return m.group(0)
        return " " * len(m.group(0))
    return INLINE_CODE.sub(blank, line)


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\$[^$]*\$", lambda m: m.group(0).strip("$"), heading)
    text = re.sub(r"[`*_]", "", text).lower()
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in " -":
            out.append("-" if ch == " " else ch)
        elif cat[0] in "LN":
            out.append(ch)
    return "".join(out)


class Checker:
    def __init__(self, root: Path):
        self.root = root
        self.problems = []
        self.pages = {}

    def fail(self, page, number, message):
        where = f"{page.path.relative_to(self.root)}:{number}" if page else "docs"
        self.problems.append(f"{where}: {message}")

    def page(self, path: Path) -> Page:
        if path not in self.pages:
            self.pages[path] = Page(path)
        return self.pages[path]

    def check_links(self, page: Page):
        for is_image, text, target, number in page.links:
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, mailto:, ...
                continue
            path_part, _, anchor = target.partition("#")
            dest = (page.path.parent / path_part).resolve() if path_part else page.path
            if not dest.exists():
                self.fail(page, number, f"link to a missing file: {target}")
                continue
            if is_image:
                if not text.strip():
                    self.fail(page, number, f"image without alt text: {target}")
                continue
            if not anchor:
                continue
            lines = LINE_ANCHOR.match(anchor)
            if lines and dest.is_file():
                self.check_line_link(page, number, text, target, dest, lines)
            elif dest.suffix == ".md" and dest.is_file():
                if anchor not in self.page(dest).slugs():
                    self.fail(page, number, f"no heading for the anchor: {target}")
            else:
                self.fail(page, number, f"anchor on something that is not a page or a file: {target}")

    def check_line_link(self, page, number, text, target, dest, match):
        first = int(match.group(1))
        last = int(match.group(2) or first)
        source = dest.read_text(encoding="utf-8", errors="replace").splitlines()
        if not 1 <= first <= last <= len(source):
            self.fail(page, number, f"lines {first}-{last} outside {dest.name} ({len(source)} lines): {target}")
            return
        said = TEXT_LINES.match(text.strip())
        if said and (int(said.group(1)), int(said.group(2) or said.group(1))) != (first, last):
            self.fail(page, number, f"the text says '{text}' but the link goes to lines {first}-{last}: {target}")
        named = IDENTIFIER.match(text.strip())
        if named:
            name = named.group(1).split("::")[-1]
            if not any(re.search(rf"\b{re.escape(name)}\b", l) for l in source[first - 1:last]):
                self.fail(page, number, f"'{name}' is not in lines {first}-{last} of {dest.name}: {target}")

    def check_translation(self, english: Page, spanish: Page):
        def line_links(p):
            return [(str((p.path.parent / t.partition("#")[0]).resolve()), t.partition("#")[2])
                    for img, _, t, _ in p.links if not img and LINE_ANCHOR.match(t.partition("#")[2])]

        def images(p):
            return [str((p.path.parent / t).resolve()) for img, _, t, _ in p.links if img]

        for what, get in (("line links", line_links), ("figures", images)):
            en, es = get(english), get(spanish)
            if en != es:
                first = next((i for i, (a, b) in enumerate(zip(en, es)) if a != b), min(len(en), len(es)))
                self.fail(spanish, 0, f"{what} differ from {english.path.name}'s: {len(en)} there, {len(es)} here, "
                          f"first difference at number {first + 1}")
        for a, b in ((english, spanish), (spanish, english)):
            if not any(not img and (a.path.parent / t.partition("#")[0]).resolve() == b.path.resolve()
                       for img, _, t, _ in a.links):
                self.fail(a, 1, f"no link to {b.path.relative_to(self.root)}")

    def check_figures(self, page: Page):
        img_dir = (self.root / "docs" / "img").resolve()
        shown = [(t, n) for img, _, t, n in page.links
                 if img and (page.path.parent / t).resolve().parent == img_dir]
        if not shown:
            self.fail(page, 1, "a chapter page without a figure from docs/img/")
        for target, number in shown:
            # The caption is the next non-empty line, in italics.
            after = [l for l in page.lines[number:number + 3] if l.strip()]
            if not after or not after[0].lstrip().startswith("*"):
                self.fail(page, number, f"figure without a caption (an italic line after it): {target}")

    def run(self):
        docs, es = self.root / "docs", self.root / "docs" / "es"
        translated = lambda d: sorted(p.name for p in d.glob("*.md") if p.name.startswith("ch") or p.name == "README.md")
        if translated(docs) != translated(es):
            self.fail(None, 0, f"docs/ has {translated(docs)}, docs/es/ has {translated(es)}")
        files = [self.root / "README.md"] + sorted(docs.glob("*.md")) + sorted(es.glob("*.md"))
        for f in files:
            self.check_links(self.page(f))
        for name in translated(docs):
            if (es / name).exists():
                self.check_translation(self.page(docs / name), self.page(es / name))
            if name.startswith("ch"):
                for d in (docs, es):
                    if (d / name).exists():
                        self.check_figures(self.page(d / name))
        used = {(p.path.parent / t).resolve() for p in self.pages.values() for img, _, t, _ in p.links if img}
        for png in sorted((docs / "img").glob("*.png")):
            if png.resolve() not in used:
                self.fail(None, 0, f"docs/img/{png.name} is shown by no page")
        return self.problems


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    problems = Checker(root).run()
    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s)" if problems else "docs: links, line links, figures and translations agree")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
