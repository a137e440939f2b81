"""Reading a staff page in the view tests (through the Django test client): the text inside any
element with an id (and inside <main> and <body>), and the form's inputs as the browser would
show them."""

from html.parser import HTMLParser


class Page(HTMLParser):
    """What a test reads off a page: the text inside any element with an id, and the form's
    inputs as the browser would show them (value, checked, disabled, selected)."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "rect", "line"}
    INLINE = {"strong", "em", "b"}  # other tags read as separate words

    def __init__(self, html: str) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.checked: dict[str, list[str]] = {}
        self.disabled: dict[str, list[str]] = {}
        self.selected: dict[str, str] = {}
        self.texts: dict[str, list[str]] = {}
        self._open: list[tuple[str, int]] = []  # (id, depth) of elements being read
        self._depth = 0
        self._select = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") in ("radio", "checkbox"):
                if "checked" in a:
                    self.checked.setdefault(name, []).append(a.get("value", "on"))
                if "disabled" in a:
                    self.disabled.setdefault(name, []).append(a.get("value", "on"))
            elif a.get("type") != "file":
                self.values[name] = a.get("value") or ""
        if tag == "select":
            self._select = name
        if tag == "option" and self._select and "selected" in a:
            self.selected[self._select] = a.get("value", "")
        if tag not in self.INLINE:
            self.handle_data(" ")
        if tag in self.VOID:
            return
        self._depth += 1
        element_id = a.get("id") or (tag if tag in ("main", "body") else None)
        if element_id:
            self._open.append((element_id, self._depth))
            self.texts[element_id] = []

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag not in self.INLINE:
            self.handle_data(" ")
        if tag in self.VOID:
            return
        while self._open and self._open[-1][1] >= self._depth:
            self._open.pop()
        self._depth -= 1

    def handle_data(self, data):
        for element_id, _ in self._open:
            self.texts[element_id].append(data)

    def text(self, element_id: str) -> str:
        """The element's text, white space folded; "" for an id the page does not have."""
        return " ".join("".join(self.texts.get(element_id, [])).split())


def page_of(response, reader: type[Page] = Page) -> Page:
    """The page of a 200 response (else the test fails, showing the start of what came back)."""
    assert response.status_code == 200, response.content.decode()[:500]
    return reader(response.content.decode())
