"""Every export format, by the name the command line and the export page use.

One table (export_table) in, named files out: ``export_files`` returns file name → bytes, so the
command line writes them into a folder and the web sends one file, or a zip when a format is
several files (R's CSV and script, SAS's XPORT file and program, a rename table).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from followup.io.csv_exports import dictionary_files, label_csv_files, raw_csv_files
from followup.io.excel_export import excel_files
from followup.io.export_table import ExportTable
from followup.io.odm_export import odm_files
from followup.io.r_export import r_files
from followup.io.stats_files import sas_files, spss_files, stata_files

Files = dict[str, bytes]


@dataclass(frozen=True)
class ExportFormat:
    """One format: its name on the command line, what people call it, and its writer."""

    name: str
    title: str
    write: Callable[[ExportTable, str], Files]


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("csv", "CSV, raw codes (REDCap's raw export)", raw_csv_files),
        ExportFormat("labels", "CSV, labels (REDCap's label export)", label_csv_files),
        ExportFormat("xlsx", "Excel: data with labels, dictionary, codes", excel_files),
        ExportFormat("spss", "SPSS (.sav)", spss_files),
        ExportFormat("stata", "Stata (.dta)", stata_files),
        ExportFormat("sas", "SAS (XPORT version 8 and a formats program)", sas_files),
        ExportFormat(
            "sas5", "SAS (XPORT version 5: 8-character names)", partial(sas_files, version=5)
        ),
        ExportFormat("r", "R (CSV and a script that labels it)", r_files),
        ExportFormat("odm", "CDISC ODM 1.3.2 XML", odm_files),
        ExportFormat("dictionary", "Data dictionary (CSV)", dictionary_files),
    )
}


def export_files(table: ExportTable, format_name: str, stem: str) -> Files:
    """The format's files for the table, named from ``stem``."""
    return FORMATS[format_name].write(table, stem)


def zipped(files: Files) -> bytes:
    """Several files as one zip archive (deflated, in the order given)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()
