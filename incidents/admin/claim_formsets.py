"""Saving a claims inline through the services, for incidents' and episodes' claims alike.

Django's admin would save each inline row itself; claims are written by the services
instead (their rules, the figures recomputed, history, the reviewer's steps). Each form of
the formset becomes one call: ``add`` for a new row, ``update`` with the fields changed, or
``remove``; the formset's ``new_objects``/``changed_objects``/``deleted_objects`` are filled
as the admin's own saving fills them, for its messages and its log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def save_claims(
    formset: Any,
    *,
    fields: Iterable[str],
    add: Callable[[dict[str, Any]], Any],
    update: Callable[[Any, dict[str, Any]], Any],
    remove: Callable[[Any], Any],
) -> None:
    """Write each changed form of ``formset`` through ``add(values)``,
    ``update(claim, changed_values)`` or ``remove(claim)``."""
    fields = tuple(fields)
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for claim_form in formset.forms:
        if not claim_form.has_changed() and not claim_form.instance.pk:
            continue
        values = {
            name: claim_form.cleaned_data[name]
            for name in fields
            if name in claim_form.cleaned_data
        }
        if formset._should_delete_form(claim_form):
            if claim_form.instance.pk:
                remove(claim_form.instance)
                formset.deleted_objects.append(claim_form.instance)
        elif not claim_form.instance.pk:
            formset.new_objects.append(add(values))
        elif claim_form.has_changed():
            changed = {k: v for k, v in values.items() if k in claim_form.changed_data}
            claim = update(claim_form.instance, changed)
            formset.changed_objects.append((claim, claim_form.changed_data))
