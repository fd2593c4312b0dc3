"""The study's report, built once per state of the data and kept in the data folder.

The key is the SHA-256 of everything the report depends on (dictionary, plan, the records as
exported, the program's version), so a saved change makes a new report and an unchanged study
answers from the folder at once. A report is built in a scratch folder and renamed into place,
so two requests never see half a report; only the newest few are kept.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from django.conf import settings

from followup.analysis import analyze
from followup.io import read_records
from followup.report import write_report
from followup.report.build import render_html, write_pdf
from followup.study.schedule import CLASSIC, Schedule

KEEP = 5
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


@dataclass(frozen=True)
class CachedReport:
    """A built report's folder and its in-app page."""

    folder: Path

    @property
    def page(self) -> Path:
        """The report with the app's links (``page.html``)."""
        return self.folder / "page.html"

    @property
    def html(self) -> Path:
        """The standalone report for download."""
        return self.folder / "report.html"

    def pdf(self) -> Path:
        """The PDF, printed on first request and kept."""
        path = self.folder / "report.pdf"
        if not path.exists():  # printed to a file of its own, then renamed: never half a PDF
            handle, scratch = tempfile.mkstemp(suffix=".pdf", prefix=".printing-", dir=self.folder)
            os.close(handle)
            write_pdf(self.html.read_text(encoding="utf-8"), Path(scratch))
            Path(scratch).replace(path)
        return path


def _root() -> Path:
    return Path(settings.DATA_DIR) / "reports"


def report_for(
    study_text: tuple[str, str],
    export: str,
    links: list[tuple[str, str]],
    schedule: Schedule = CLASSIC,
) -> CachedReport:
    """The report of these records under this dictionary, plan and schedule, built if needed."""
    dictionary_csv, plan_yaml = study_text
    parts = (version("followup"), dictionary_csv, plan_yaml, export, repr(links), repr(schedule))
    key = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]
    folder = _root() / key
    if not (folder / "page.html").exists():
        _build(folder, dictionary_csv, plan_yaml, export, links, schedule)
    return CachedReport(folder)


def _build(
    folder: Path,
    dictionary_csv: str,
    plan_yaml: str,
    export: str,
    links: list[tuple[str, str]],
    schedule: Schedule = CLASSIC,
) -> None:
    from followup.study import read_dictionary
    from followup.study.plan import read_plan

    dictionary = read_dictionary(dictionary_csv, source="the study's dictionary")
    plan = read_plan(plan_yaml, dictionary, source="the study's plan")
    records = read_records(
        export,
        dictionary,
        source="the current records",
        missing_codes=plan.missing_codes,
        schedule=schedule,
    )
    results = analyze(records, plan, schedule=schedule)
    _root().mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".building-", dir=_root()))
    try:
        files = write_report(results, scratch, pdf=False)
        page = render_html(results, files.figures, files.tables, (), links=links)
        (scratch / "page.html").write_text(page, encoding="utf-8")
        try:
            scratch.rename(folder)
        except OSError:  # another request built the same report first
            shutil.rmtree(scratch, ignore_errors=True)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    _prune()


def _prune() -> None:
    built = sorted(
        (p for p in _root().iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in built[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)


def style_hashes(html: str) -> list[str]:
    """CSP sources allowing exactly the page's own inline styles (no 'unsafe-inline')."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode("utf-8")).digest()).decode() + "'"
        for m in _STYLE.findall(html)
    ]
