"""REDCap's API protocol: the posted parameters, the answer's formats and REDCap's errors.

A client (PyCap, REDCapR, a script with curl) posts form fields: ``token``, ``content``,
``format`` (csv, json or xml; REDCap's default is xml), ``returnFormat`` (the format of errors
and import answers; without it ``format``'s, then xml). Arrays come as PHP writes them
(``fields[]=a``, ``fields[0]=a``) or as one comma-separated value (``fields=a,b``). Errors are
REDCap's: ``{"error": "…"}`` in JSON, ``ERROR: …`` in CSV, ``<hash><error>…</error></hash>`` in
XML, with REDCap's HTTP status (400 for a request that cannot be answered, 403 for no right).
Followup answers data in CSV and JSON; XML only for errors and import counts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpResponse, QueryDict
from django.utils.translation import gettext as _

from followup.io.export import csv_text as rows_csv

FORMATS = ("json", "csv", "xml")
DATA_FORMATS = ("json", "csv")
MAX_ITEMS = 5000  # of one array parameter: far above any study's fields, far below a flood
_TYPES = {
    "json": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}
_TRUE = ("1", "true", "yes", "y", "on")
_FALSE = ("", "0", "false", "no", "n", "off")


class ApiError(Exception):
    """A request the API refuses: REDCap's status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def invalid(parameter: str, values: Iterable[str]) -> ApiError:
    """REDCap's answer to names that are not the study's, in a parameter's array."""
    shown = ", ".join(f"'{v[:100]}'" for v in values)
    return ApiError(
        400,
        _('The following values in the parameter "%(parameter)s" are not valid: %(values)s')
        % {"parameter": parameter, "values": shown},
    )


@dataclass(frozen=True)
class ApiRequest:
    """The posted fields, read as REDCap reads them."""

    fields: QueryDict

    def value(self, name: str, default: str = "") -> str:
        """One field's text (the last if sent twice), ``default`` when absent."""
        text = self.fields.get(name)
        if text is None:
            return default
        if "\x00" in text:
            raise ApiError(
                400, _('The parameter "%(name)s" contains a NUL character.') % {"name": name}
            )
        return text

    def choice(self, name: str, allowed: Sequence[str], default: str) -> str:
        """One of ``allowed`` (case ignored), ``default`` when absent or blank."""
        text = self.value(name).strip()
        if not text:
            return default
        if text.lower() not in [a.lower() for a in allowed]:
            raise ApiError(
                400,
                _(
                    'The value of the parameter "%(name)s" is not valid: %(value)s '
                    "(expected %(allowed)s)"
                )
                % {"name": name, "value": repr(text[:40]), "allowed": ", ".join(allowed)},
            )
        return next(a for a in allowed if a.lower() == text.lower())

    def flag(self, name: str) -> bool:
        """A true/false parameter (REDCap: true, false; clients also send 1, 0, True, False)."""
        text = self.value(name).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ApiError(
            400,
            _(
                'The value of the parameter "%(name)s" is not valid: %(value)s '
                "(expected true or false)"
            )
            % {"name": name, "value": repr(text[:40])},
        )

    def array(self, name: str) -> list[str]:
        """An array parameter's items in order, blanks dropped, each once."""
        indexed: list[tuple[int, int, str]] = []
        pattern = re.compile(rf"{re.escape(name)}\[(\d*)\]")
        for position, key in enumerate(self.fields):
            found = pattern.fullmatch(key)
            if found is None:
                continue
            index = int(found.group(1)[:9]) if found.group(1) else position
            indexed.extend((index, position, item) for item in self.fields.getlist(key))
        items = [item for _, _, item in sorted(indexed)]
        for whole in self.fields.getlist(name):
            items.extend(whole.split(","))
        cleaned = list(dict.fromkeys(i.strip() for i in items if i.strip()))
        if len(cleaned) > MAX_ITEMS:
            raise ApiError(
                400,
                _('The parameter "%(name)s" has more than %(limit)d values.')
                % {"name": name, "limit": MAX_ITEMS},
            )
        if any("\x00" in item for item in cleaned):
            raise ApiError(
                400, _('The parameter "%(name)s" contains a NUL character.') % {"name": name}
            )
        return cleaned

    @property
    def format(self) -> str:
        """The data's format: csv or json (REDCap's default, xml, is refused for data)."""
        chosen = self.choice("format", FORMATS, "xml")
        if chosen not in DATA_FORMATS:
            raise ApiError(
                400,
                _(
                    "Followup's API answers data in csv or json, not xml: "
                    "send format=json or format=csv."
                ),
            )
        return chosen

    @property
    def return_format(self) -> str:
        """The format of errors and import answers (returnFormat, else format, else xml)."""
        for name in ("returnFormat", "format"):
            text = (self.fields.get(name) or "").strip().lower()
            if text in FORMATS:
                return text
        return "xml"


def error_response(error: ApiError, return_format: str) -> HttpResponse:
    """REDCap's error body in the format asked for."""
    if return_format == "json":
        body = json.dumps({"error": error.message}, ensure_ascii=False)
    elif return_format == "csv":
        body = f"ERROR: {error.message}"
    else:
        body = (
            '<?xml version="1.0" encoding="UTF-8" ?>\n'
            f"<hash>\n  <error>{escape(error.message)}</error>\n</hash>"
        )
    return HttpResponse(body, status=error.status, content_type=_TYPES[return_format])


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A header and rows as CSV, each cell through the one safe writer."""
    return rows_csv([header, *rows])


def table_response(
    items: Sequence[Mapping[str, Any]],
    header: Sequence[str],
    fmt: str,
    *,
    csv_header: Sequence[str] | None = None,
) -> HttpResponse:
    """A list of objects as JSON, or as CSV under ``header`` (``csv_header`` shown instead)."""
    if fmt == "json":
        body = json.dumps([dict(item) for item in items], ensure_ascii=False)
    else:
        cells = ([_csv_cell(item.get(column, "")) for column in header] for item in items)
        body = csv_text(csv_header or header, cells)
    return HttpResponse(body, content_type=_TYPES[fmt])


def object_response(item: Mapping[str, Any], fmt: str) -> HttpResponse:
    """One object (project information): a JSON object, or a CSV header and one row."""
    if fmt == "json":
        return HttpResponse(json.dumps(dict(item), ensure_ascii=False), content_type=_TYPES[fmt])
    return table_response([item], list(item), fmt)


def text_response(text: str) -> HttpResponse:
    """A bare answer (the version), as REDCap sends it."""
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


def import_response(record_ids: Sequence[str], content: str, return_format: str) -> HttpResponse:
    """What an import answers: the count, the IDs or nothing, in the format asked for."""
    if content == "nothing":
        return HttpResponse("", content_type=_TYPES[return_format])
    if return_format == "json":
        answer: object = list(record_ids) if content == "ids" else {"count": len(record_ids)}
        body = json.dumps(answer, ensure_ascii=False)
    elif return_format == "csv":
        body = (
            csv_text(["id"], [[r] for r in record_ids])
            if content == "ids"
            else str(len(record_ids))
        )
    elif content == "ids":
        ids = "".join(f"<id>{escape(r)}</id>" for r in record_ids)
        body = f'<?xml version="1.0" encoding="UTF-8" ?>\n<ids>{ids}</ids>'
    else:
        body = f'<?xml version="1.0" encoding="UTF-8" ?>\n<count>{len(record_ids)}</count>'
    return HttpResponse(body, content_type=_TYPES[return_format])


def _csv_cell(value: object) -> object:
    """A JSON answer's cell in CSV: an object of form rights as REDCap writes it (a:1,b:2)."""
    if isinstance(value, Mapping):
        return ",".join(f"{k}:{v}" for k, v in value.items())
    return value
