"""The report: self-contained HTML, Word and PDF; figures as PNG and SVG, tables as CSV.

Everything is drawn from a ``StudyResults``; nothing here computes a statistic.
"""

from followup.report.build import ReportFiles, render_html, report_html, write_report
from followup.report.paragraph import results_paragraphs

__all__ = ["ReportFiles", "render_html", "report_html", "results_paragraphs", "write_report"]
