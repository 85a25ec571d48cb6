"""User text in Prefect markdown artifacts stays text: no HTML, links, rows or headings."""

from __future__ import annotations

from danvan_workflow.dashboards import escape_markdown, markdown_table

HOSTILE = ("Ban <script>alert(1)</script> [bấm](javascript:alert(1)) | cột giả\n"
           "# Tiêu đề giả\n| a | b |")


def test_hostile_unit_name_is_literal_text() -> None:
    out = escape_markdown(HOSTILE)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "\\[bấm\\](javascript:" in out  # escaped brackets: no link
    assert "\n" not in out and "\\|" in out and "|" not in out.replace("\\|", "")


def test_table_keeps_its_shape_and_vietnamese() -> None:
    table = markdown_table([{"Đơn vị": HOSTILE, "Tỷ lệ nộp đúng hạn": "85,7%"},
                            {"Đơn vị": "Đảng ủy phường Bình", "Tỷ lệ nộp đúng hạn": "—"}])
    lines = table.splitlines()
    assert len(lines) == 4  # header, rule, two rows: nothing injected
    assert all(line.count(" | ") - line.count("\\| ") == 1 for line in lines if "Đ" in line)
    assert "Đảng ủy phường Bình" in table and "85,7%" in table
