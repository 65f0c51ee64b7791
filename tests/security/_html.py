"""What the Content-Security-Policy forbids, found with a real HTML parser (not regexes, so an
escaped payload such as ``title="&#34;&gt;&lt;img onerror=..."`` is text, not a handler)."""

from __future__ import annotations

from html.parser import HTMLParser


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False
        self._script_has_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name.lower(): value or "" for name, value in attrs}
        for name in names:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> inline event handler")
        for name in ("href", "src", "action", "formaction"):
            if names.get(name, "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:...>")
        if "style" in names:
            self.problems.append(f"<{tag} style=...> inline style (CSP style-src 'self')")
        if tag == "style":
            self.problems.append("<style> element (CSP style-src 'self')")
        if tag == "script":
            self._in_script = True
            self._script_has_src = bool(names.get("src"))
            if not self._script_has_src:
                self.problems.append("<script> without src (inline script)")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and self._script_has_src and data.strip():
            self.problems.append("<script src=...> with an inline body")


def csp_violations(html: str) -> list[str]:
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.problems


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.parts.extend(value or "" for name, value in attrs if name in ("value", "title", "alt"))
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """Text a reader sees (plus form values and titles), entities decoded."""
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


class _Fields(HTMLParser):
    """Form controls and the labels that name them."""

    SILENT_INPUTS = {"hidden", "submit", "button", "reset", "image"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, str, bool]] = []  # (tag, id or name, inside a <label>)
        self._label_depth = 0

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        names = {name.lower(): value or "" for name, value in attrs}
        if tag == "label":
            self._label_depth += 1
            if names.get("for"):
                self.label_for.add(names["for"])
        elif tag in ("input", "select", "textarea"):
            if tag == "input" and names.get("type", "text").lower() in self.SILENT_INPUTS:
                return
            self.controls.append((tag, names.get("id") or names.get("name", "?"), self._label_depth > 0))

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == "label" and self._label_depth:
            self._label_depth -= 1


def unlabelled_fields(html: str) -> list[str]:
    """Form controls a person cannot identify: no ``<label for=...>`` and not inside a label."""
    parser = _Fields()
    parser.feed(html)
    return [f"<{tag} {ident}>" for tag, ident, wrapped in parser.controls
            if not wrapped and ident not in parser.label_for]


class _LiveRegions(HTMLParser):
    """Live regions (``aria-live`` other than "off") and whether markup sits inside them."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.regions: list[str] = []
        self.with_markup: set[str] = set()
        self._open: list[tuple[str, str | None]] = []  # (tag, the region it opens or None)

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        names = {name.lower(): value or "" for name, value in attrs}
        for _tag, region in self._open:
            if region is not None:
                self.with_markup.add(region)
        if tag in self.VOID:
            return
        live = names.get("aria-live", "off").lower() != "off"
        region = f"<{tag} id={names.get('id', '?')}>" if live else None
        if region is not None:
            self.regions.append(region)
        self._open.append((tag, region))

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                return


def live_regions(html: str) -> tuple[list[str], list[str]]:
    """(every live region on the page, those that hold markup): a live region is read out
    whole on every change, so it should hold one announcement's text, not a section."""
    parser = _LiveRegions()
    parser.feed(html)
    return parser.regions, sorted(parser.with_markup)
