"""The dashboard's SVG charts: marks carry their numbers, text is escaped, nothing inline to refuse."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from reports import charts
from reports.charts import Series

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML, or this raises


def test_stacked_columns_carry_each_value_and_label_the_total():
    svg = charts.column_chart(
        chart_id="c",
        title="Escalations",
        categories=["2026-W23", "2026-W24"],
        series=[Series("Accepted", "accepted", [1, 2]), Series("Declined", "declined", [3, None])],
        stacked=True,
    )

    root = parse(svg)
    marks = {
        (r.get("data-series"), r.get("data-category")): r.get("data-value") for r in root.iter(f"{SVG}rect")
    }
    assert marks == {
        ("accepted", "2026-W23"): "1",
        ("declined", "2026-W23"): "3",
        ("accepted", "2026-W24"): "2",
    }
    totals = {t.get("data-total"): t.text for t in root.iter(f"{SVG}text") if t.get("data-total")}
    assert totals == {"2026-W23": "4", "2026-W24": "2"}
    # 1 on the top of a 4-step axis up to 4 (the total 4 fills the plot): 1/4 of the plot's 178 px.
    accepted = next(r for r in root.iter(f"{SVG}rect") if r.get("data-category") == "2026-W23")
    assert float(accepted.get("height")) == 178 / 4


def test_text_is_escaped_and_there_is_no_style_attribute():
    svg = charts.bar_chart(
        chart_id='x"><script>alert(1)</script>',
        title="<b>load</b>",
        categories=['<img src=x onerror="alert(1)">'],
        series=[Series("Open <cases>", "open", [3])],
    )

    assert "<script>" not in svg and "<img" not in svg and "<b>" not in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == "<b>load</b>"
    attributes = {name for element in root.iter() for name in element.attrib}
    assert "style" not in attributes and not any(name.startswith("on") for name in attributes)
    assert root.find(f"{SVG}text").text == '<img src=x onerror="alert(1)">'  # shown as text


def test_a_line_breaks_where_a_value_is_missing():
    svg = charts.line_chart(
        chart_id="l",
        title="Attainment",
        categories=["W1", "W2", "W3", "W4"],
        series=[Series("First response", "first_response", [0.5, None, 0.75, 1.0])],
    )

    root = parse(svg)
    assert [c.get("data-value") for c in root.iter(f"{SVG}circle")] == ["0.5", "0.75", "1"]
    assert len(list(root.iter(f"{SVG}polyline"))) == 1  # W3–W4; W1 stands alone
    assert {t.text for t in root.iter(f"{SVG}text")} >= {"0%", "50%", "100%", "W1", "W4"}


def test_nothing_to_draw_says_so():
    svg = charts.column_chart(
        chart_id="e", title="Nothing", categories=["W1"], series=[Series("A", "a", [0])]
    )

    assert "No data for these filters." in svg


def test_many_weeks_are_labelled_sparsely():
    weeks = [f"W{n}" for n in range(1, 105)]

    svg = charts.column_chart(
        chart_id="w", title="Two years", categories=weeks, series=[Series("A", "a", [1] * 104)]
    )

    labels = [
        t.text for t in parse(svg).iter(f"{SVG}text") if t.get("class") == "rp-axis" and t.text in weeks
    ]
    assert labels[:3] == ["W1", "W8", "W15"]  # every 7th of 104 (at most 16 labels)
    assert len(labels) == 15
