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
