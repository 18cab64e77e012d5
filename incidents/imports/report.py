"""What every importer hands back: counts, and each refused row with its line and reason.

Importers share one signature so that the command line and the admin treat them alike::

    def import_file(data: bytes, *, dry_run=False, user=None, run=None, progress=None)
        -> ImportReport

``data`` is the file's bytes; ``run`` the :class:`~incidents.models.ImportRun` the admin
keeps (or ``None``); ``progress(done, total)`` is called as rows are processed. A file that
cannot be read at all raises :class:`FileRefused`; a row that cannot be taken raises
:class:`RowError` inside the importer and becomes a :class:`RowFailure` in the report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


class FileRefused(Exception):
    """The file as a whole cannot be imported (unreadable, not the expected format, missing
    columns). The message says what was expected, for the person who chose the file."""


class RowError(Exception):
    """One row cannot be imported. ``field`` names the column at fault, when there is one."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


@dataclass(frozen=True)
class RowFailure:
    line: int
    reason: str
    external_id: str = ""


@dataclass
class ImportReport:
    format: str
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failures: list[RowFailure] = field(default_factory=list)
    # Rows taken, with something a researcher should know about how (a point just outside
    # the country, figures put in order): line, what, and the row's id.
    warnings: list[RowFailure] = field(default_factory=list)
    # Open pairs of possible duplicates the imported incidents have once written (see
    # incidents.duplicates), for a researcher to review.
    duplicates: int = 0
    # What will happen (or happened) to the first rows, for the admin's preview: one dict
    # per row with at least "line", "action" (created, updated, skipped, failed) and
    # "summary" (a line of text a researcher can read).
    preview: list[dict] = field(default_factory=list)
    # Incidents of another database whose public id was taken here by a different
    # incident: the file's public id -> the one given here.
    renamed: dict[str, str] = field(default_factory=dict)

    PREVIEW_ROWS = 20

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.skipped + self.failed

    def fail(self, line: int, reason: str, external_id: str = "") -> None:
        self.failures.append(RowFailure(line, reason, external_id))

    def warn(self, line: int, reason: str, external_id: str = "") -> None:
        self.warnings.append(RowFailure(line, reason, external_id))

    def note_preview(self, line: int, action: str, summary: str, **extra) -> None:
        if len(self.preview) < self.PREVIEW_ROWS:
            self.preview.append({"line": line, "action": action, "summary": summary, **extra})

    def summary(self) -> str:
        counts = (
            f"{self.created} created, {self.updated} updated, "
            f"{self.skipped} skipped, {self.failed} failed"
        )
        if self.warnings:
            counts += f" ({len(self.warnings)} with a warning)"
        if self.dry_run:
            return f"{counts} (dry run: nothing was written)"
        if self.duplicates:
            return f"{counts}; {self.duplicates} possible duplicates to review"
        return counts

    def as_dict(self) -> dict:
        return {
            "format": self.format,
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "failed": self.failed,
            "duplicates": self.duplicates,
            "failures": [asdict(failure) for failure in self.failures],
            "warnings": [asdict(warning) for warning in self.warnings],
            "preview": self.preview,
            "renamed": self.renamed,
        }
