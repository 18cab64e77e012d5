"""Check that every evidence file is still in the storage with the bytes it was kept with.

    manage.py verify_evidence [--delete-orphans]

Reads each stored file again and compares its SHA-256 and size with those recorded at
upload, so a researcher can show that a file is the one kept then; reports files missing
from the storage, and files in the storage that no record names (left by an upload whose
transaction failed after the bytes were written). ``--delete-orphans`` removes the latter.
Exits with an error when a file is missing or changed.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents import evidence
from incidents.models import EvidenceBlob


def _stored_names(path: str = "") -> list[str]:
    storage = evidence.storage()
    try:
        folders, files = storage.listdir(path)
    except FileNotFoundError:
        return []
    names = [f"{path}/{name}" if path else name for name in files]
    for folder in folders:
        names += _stored_names(f"{path}/{folder}" if path else folder)
    return names


class Command(BaseCommand):
    help = "Re-hash every evidence file and report missing, changed and unrecorded files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--delete-orphans",
            action="store_true",
            help="remove files in the storage that no record names",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        storage = evidence.storage()
        problems = 0
        checked = 0
        known: set[str] = set()
        for blob in EvidenceBlob.objects.order_by("pk").iterator():
            known.add(blob.storage_name)
            if blob.public_copy_name:
                known.add(blob.public_copy_name)
            if not storage.exists(blob.storage_name):
                self.stderr.write(f"MISSING {blob.sha256} ({blob.storage_name})")
                problems += 1
                continue
            digest = hashlib.sha256()
            size = 0
            for chunk in evidence.read_chunks(blob.storage_name):
                digest.update(chunk)
                size += len(chunk)
            if digest.hexdigest() != blob.sha256 or size != blob.size:
                self.stderr.write(
                    f"CHANGED {blob.sha256} ({blob.storage_name}): now {digest.hexdigest()}, "
                    f"{size} bytes instead of {blob.size}"
                )
                problems += 1
            checked += 1
        orphans = [name for name in _stored_names() if name not in known]
        for name in orphans:
            if options["delete_orphans"]:
                storage.delete(name)
                self.stdout.write(f"deleted unrecorded file {name}")
            else:
                self.stdout.write(f"unrecorded file {name} (remove with --delete-orphans)")
        self.stdout.write(
            f"{checked} evidence file(s) checked, {problems} problem(s), "
            f"{len(orphans)} unrecorded file(s)."
        )
        if problems:
            raise CommandError(f"{problems} evidence file(s) missing or changed.")
