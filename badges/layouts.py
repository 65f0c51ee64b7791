"""Badge sheet layouts as data.

A layout says where badges sit on a sheet; the badge design adapts to the badge's size and
shape. Adding a stock (another Avery or Herma product) is one more entry here, not new drawing
code, the way pretix describes its badge exporters.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.pagesizes import A4, A6, LETTER

from badges.pdf import inch, mm


@dataclass(frozen=True)
class BadgeLayout:
    """Badges of ``badge_width`` x ``badge_height`` points in a ``columns`` x ``rows`` grid.

    ``margin_left``/``margin_top`` place the top-left badge; ``gutter_x``/``gutter_y`` are the
    gaps between neighbours. Badges fill a sheet left to right, then top to bottom.
    """

    name: str
    description: str
    page_size: tuple[float, float]
    badge_width: float
    badge_height: float
    columns: int = 1
    rows: int = 1
    margin_left: float = 0.0
    margin_top: float = 0.0
    gutter_x: float = 0.0
    gutter_y: float = 0.0

    def __post_init__(self) -> None:
        right = self.margin_left + self.columns * self.badge_width + (self.columns - 1) * self.gutter_x
        bottom = self.margin_top + self.rows * self.badge_height + (self.rows - 1) * self.gutter_y
        if right > self.page_size[0] + 0.01 or bottom > self.page_size[1] + 0.01:
            raise ValueError(f"layout {self.name!r}: badges do not fit on the page")

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def pages_for(self, count: int) -> int:
        return max(1, -(-count // self.per_page))

    def slot(self, index: int) -> tuple[float, float]:
        """Lower-left corner (PDF coordinates) of the ``index``-th badge on its sheet."""
        column, row = index % self.columns, (index // self.columns) % self.rows
        x = self.margin_left + column * (self.badge_width + self.gutter_x)
        top = self.page_size[1] - self.margin_top - row * (self.badge_height + self.gutter_y)
        return x, top - self.badge_height


LAYOUTS: dict[str, BadgeLayout] = {
    layout.name: layout
    for layout in (
        BadgeLayout("a6", "A6 portrait, one badge per page (badge printers, A6 pouches)",
                    A6, A6[0], A6[1]),
        # Avery 5392 / 74541 insertable name badges: 4 x 3 in, 2 x 3 on US Letter,
        # 1/4 in side margins, 1 in top margin, no gaps between badges.
        BadgeLayout("avery-5392", "Avery 5392: 4 x 3 in, 6 per US Letter sheet",
                    LETTER, 4 * inch, 3 * inch, columns=2, rows=3,
                    margin_left=0.25 * inch, margin_top=1 * inch),
        # 90 x 54 mm (business card / lanyard pouch size), 2 x 5 on A4, centred, no gaps.
        BadgeLayout("a4-10", "90 x 54 mm, 10 per A4 sheet",
                    A4, 90 * mm, 54 * mm, columns=2, rows=5,
                    margin_left=15 * mm, margin_top=13.5 * mm),
    )
}


def get_layout(layout: str | BadgeLayout) -> BadgeLayout:
    """The named layout (or the given one); a clear error lists the known names."""
    if isinstance(layout, BadgeLayout):
        return layout
    try:
        return LAYOUTS[layout]
    except KeyError:
        raise ValueError(f"unknown badge layout {layout!r}; choose one of {', '.join(LAYOUTS)}") from None
