"""Reading the CSV files officers and admins upload: UTF-8 (with or without BOM) or, since
spreadsheets in China often save GBK, GB18030 (a superset of GBK), detected and named."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

MAX_BYTES = 50 * 1024 * 1024


class CsvProblem(ValueError):
    """The file as a whole cannot be read. ``code``: encoding, empty, columns, too_large."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class CsvTable:
    encoding: str  # "UTF-8" or "GB18030"
    rows: list[tuple[int, dict[str, str]]]  # (line number in the file, values by column)


def decode(data: bytes) -> tuple[str, str]:
    if len(data) > MAX_BYTES:
        raise CsvProblem("too_large", f"more than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError:
        raise CsvProblem("encoding", "neither UTF-8 nor GB18030/GBK") from None


def read_csv(data: bytes, *, required: tuple[str, ...]) -> CsvTable:
    text, encoding = decode(data)
    if not text.strip():
        raise CsvProblem("empty")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise CsvProblem("empty") from exc
    missing = [name for name in required if name not in header]
    if missing:
        raise CsvProblem("columns", "missing " + ", ".join(missing))
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            padded = values + [""] * (len(header) - len(values))
            # Cells beyond the header are ignored; missing cells count as empty.
            cells = zip(header, padded, strict=False)
            rows.append((reader.line_num, {k: v.strip() for k, v in cells}))
    except csv.Error as exc:
        raise CsvProblem("columns", f"line {reader.line_num}: {exc}") from exc
    return CsvTable(encoding, rows)


def csv_message(problem: CsvProblem) -> str:
    """The problem in the reader's language."""
    from deliberate.web.i18n import gettext as _

    messages = {
        "encoding": _("The file is neither UTF-8 nor GBK/GB18030 text. Save it as CSV (UTF-8)."),
        "empty": _("The file is empty."),
        "columns": _("The file lacks required columns (%(detail)s).", detail=problem.detail),
        "too_large": _("The file is too large."),
    }
    return messages[problem.code]
