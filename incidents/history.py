"""History entries of the records researchers edit, written lean.

``django-simple-history`` copies an incident's many-to-many rows (its victim groups) into
every history entry of the incident. It reads them as model instances with both related
rows joined (the whole incident row again, and each group), to take their ids: on every
edit, a join and the building of model instances whose values are thrown away. The
entries here are the same rows, read as their ids alone.
"""

from __future__ import annotations

from simple_history import models as history_models
from simple_history.signals import (
    post_create_historical_m2m_records,
    pre_create_historical_m2m_records,
)
from simple_history.utils import get_m2m_field_name


class HistoricalRecords(history_models.HistoricalRecords):
    def create_historical_record_m2ms(self, history_instance, instance):
        for field in history_instance._history_m2m_fields:
            m2m_history_model = self.m2m_models[field]
            through_model = getattr(history_instance.instance, field.name).through
            columns = [f.attname for f in through_model._meta.fields]
            rows = through_model.objects.filter(
                **{get_m2m_field_name(field): instance}
            ).values_list(*columns)
            insert_rows = [
                m2m_history_model(history=history_instance, **dict(zip(columns, row, strict=True)))
                for row in rows
            ]
            pre_create_historical_m2m_records.send(
                sender=m2m_history_model,
                rows=insert_rows,
                history_instance=history_instance,
                instance=instance,
                field=field,
            )
            created_rows = m2m_history_model.objects.bulk_create(insert_rows)
            post_create_historical_m2m_records.send(
                sender=m2m_history_model,
                created_rows=created_rows,
                history_instance=history_instance,
                instance=instance,
                field=field,
            )
