"""Every export format, by the name the command line and the export page use.

One table (export_table) in, named files out: ``export_files`` returns file name → bytes, so the
command line writes them into a folder and the web sends one file, or a zip when a format is
several files (R's CSV and script, SAS's XPORT file and program, a rename table).
"""

from __future__ import annotations

import importlib
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field

from followup.io.export_table import ExportTable

Files = dict[str, bytes]


@dataclass(frozen=True)
class ExportFormat:
    """One format: its name on the command line, what people call it, and its writer.

    The writer is named (``module:function``) and imported when a file is written: pyreadstat
    and openpyxl then load only for an export, not with every ``followup`` command.
    """

    name: str
    title: str
    writer: str
    options: Mapping[str, object] = field(default_factory=dict)

    def write(self, table: ExportTable, stem: str) -> Files:
        """The format's files for the table, named from ``stem``."""
        module, function = self.writer.split(":")
        written: Files = getattr(importlib.import_module(module), function)(
            table, stem, **self.options
        )
        return written


_IO = "followup.io."
FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat(
            "csv", "CSV, raw codes (REDCap's raw export)", _IO + "csv_exports:raw_csv_files"
        ),
        ExportFormat(
            "labels", "CSV, labels (REDCap's label export)", _IO + "csv_exports:label_csv_files"
        ),
        ExportFormat(
            "xlsx", "Excel: data with labels, dictionary, codes", _IO + "excel_export:excel_files"
        ),
        ExportFormat("spss", "SPSS (.sav)", _IO + "stats_files:spss_files"),
        ExportFormat("stata", "Stata (.dta)", _IO + "stats_files:stata_files"),
        ExportFormat(
            "sas", "SAS (XPORT version 8 and a formats program)", _IO + "stats_files:sas_files"
        ),
        ExportFormat(
            "sas5",
            "SAS (XPORT version 5: 8-character names)",
            _IO + "stats_files:sas_files",
            {"version": 5},
        ),
        ExportFormat("r", "R (CSV and a script that labels it)", _IO + "r_export:r_files"),
        ExportFormat("odm", "CDISC ODM 1.3.2 XML", _IO + "odm_export:odm_files"),
        ExportFormat("dictionary", "Data dictionary (CSV)", _IO + "csv_exports:dictionary_files"),
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
