"""Open upper bounds and figure kinds.

An incident whose claims include one without a maximum ("at least 7") used to publish that
claim's minimum as its high, a ceiling no source gave. ``Incident.killed_high_open`` now
says the high is open (``killed_high`` then empty); the figures of such incidents are
recomputed (``incidents.reconciliation.recompute_open_bounds``) and their map cells follow,
which now count their incidents with an open high. Claims record how the source stated the
figure (``figure_kind``, see ``incidents.figurekinds``); claims entered before have none.
"""

from django.conf import settings
from django.db import migrations, models


def recompute(apps, schema_editor):
    from incidents.reconciliation import recompute_open_bounds

    recompute_open_bounds(apps)


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0016_evidence_files'),
        ('mapping', '0002_place_curated_has_origin_note'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='incident',
            name='incident_killed_range_ordered',
        ),
        migrations.AddField(
            model_name='claim',
            name='figure_kind',
            field=models.CharField(blank=True, choices=[('exact', 'Exact'), ('at_least', 'At least'), ('more_than', 'More than'), ('around', 'Around'), ('range', 'Range (between … and …)'), ('up_to', 'Up to'), ('vague', 'Vague (dozens, hundreds)')], default='', help_text='How the source states the figure (see incidents.figurekinds); empty for claims recorded before kinds, or imported from an outside data set.', max_length=20, verbose_name='figure kind'),
        ),
        migrations.AddField(
            model_name='episodeclaim',
            name='figure_kind',
            field=models.CharField(blank=True, choices=[('exact', 'Exact'), ('at_least', 'At least'), ('more_than', 'More than'), ('around', 'Around'), ('range', 'Range (between … and …)'), ('up_to', 'Up to'), ('vague', 'Vague (dozens, hundreds)')], default='', help_text='How the source states the figure (see incidents.figurekinds); empty for claims recorded before kinds, or imported from an outside data set.', max_length=20, verbose_name='figure kind'),
        ),
        migrations.AddField(
            model_name='historicalclaim',
            name='figure_kind',
            field=models.CharField(blank=True, choices=[('exact', 'Exact'), ('at_least', 'At least'), ('more_than', 'More than'), ('around', 'Around'), ('range', 'Range (between … and …)'), ('up_to', 'Up to'), ('vague', 'Vague (dozens, hundreds)')], default='', help_text='How the source states the figure (see incidents.figurekinds); empty for claims recorded before kinds, or imported from an outside data set.', max_length=20, verbose_name='figure kind'),
        ),
        migrations.AddField(
            model_name='historicalepisodeclaim',
            name='figure_kind',
            field=models.CharField(blank=True, choices=[('exact', 'Exact'), ('at_least', 'At least'), ('more_than', 'More than'), ('around', 'Around'), ('range', 'Range (between … and …)'), ('up_to', 'Up to'), ('vague', 'Vague (dozens, hundreds)')], default='', help_text='How the source states the figure (see incidents.figurekinds); empty for claims recorded before kinds, or imported from an outside data set.', max_length=20, verbose_name='figure kind'),
        ),
        migrations.AddField(
            model_name='historicalincident',
            name='killed_high_open',
            field=models.BooleanField(default=False, help_text='No source gives a ceiling ("at least 7"): the high is left empty and the figures read "7 or more".', verbose_name='upper bound open'),
        ),
        migrations.AddField(
            model_name='incident',
            name='killed_high_open',
            field=models.BooleanField(default=False, help_text='No source gives a ceiling ("at least 7"): the high is left empty and the figures read "7 or more".', verbose_name='upper bound open'),
        ),
        migrations.AddField(
            model_name='publishedmapcell',
            name='killed_high_open',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name='historicalincident',
            name='killed_high',
            field=models.PositiveIntegerField(blank=True, help_text='Empty when the upper bound is open.', null=True),
        ),
        migrations.AlterField(
            model_name='incident',
            name='killed_high',
            field=models.PositiveIntegerField(blank=True, help_text='Empty when the upper bound is open.', null=True),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(('figure_kind', ''), models.Q(('figure_kind', 'vague'), ('killed_max__isnull', True), ('killed_min__isnull', True)), models.Q(('figure_kind__in', ['at_least', 'more_than']), ('killed_max__isnull', True), ('killed_min__isnull', False)), models.Q(('approximate', False), ('figure_kind', 'exact'), ('killed_max', models.F('killed_min')), ('killed_max__isnull', False), ('killed_min__isnull', False)), models.Q(('approximate', True), ('figure_kind', 'around'), ('killed_max__gte', models.F('killed_min')), ('killed_max__isnull', False), ('killed_min__isnull', False)), models.Q(('figure_kind', 'up_to'), ('killed_max__isnull', False), ('killed_min', 0), ('killed_min__isnull', False)), models.Q(('figure_kind', 'range'), ('killed_max__gt', models.F('killed_min')), ('killed_max__isnull', False), ('killed_min__isnull', False)), _connector='OR'), name='claim_figures_fit_kind', violation_error_message='The minimum and maximum do not fit the figure kind.'),
        ),
        migrations.AddConstraint(
            model_name='episodeclaim',
            constraint=models.CheckConstraint(condition=models.Q(('figure_kind', ''), models.Q(('figure_kind', 'vague'), ('killed_max__isnull', True), ('killed_min__isnull', True)), models.Q(('figure_kind__in', ['at_least', 'more_than']), ('killed_max__isnull', True), ('killed_min__isnull', False)), models.Q(('approximate', False), ('figure_kind', 'exact'), ('killed_max', models.F('killed_min')), ('killed_max__isnull', False), ('killed_min__isnull', False)), models.Q(('approximate', True), ('figure_kind', 'around'), ('killed_max__gte', models.F('killed_min')), ('killed_max__isnull', False), ('killed_min__isnull', False)), models.Q(('figure_kind', 'up_to'), ('killed_max__isnull', False), ('killed_min', 0), ('killed_min__isnull', False)), models.Q(('figure_kind', 'range'), ('killed_max__gt', models.F('killed_min')), ('killed_max__isnull', False), ('killed_min__isnull', False)), _connector='OR'), name='episodeclaim_figures_fit_kind', violation_error_message='The minimum and maximum do not fit the figure kind.'),
        ),
        migrations.AddConstraint(
            model_name='incident',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('killed_best__isnull', True), ('killed_high__isnull', True), ('killed_high_open', False), ('killed_low__isnull', True)), models.Q(('killed_best__gte', models.F('killed_low')), ('killed_best__isnull', False), ('killed_high__gte', models.F('killed_best')), ('killed_high__isnull', False), ('killed_high_open', False), ('killed_low__gte', 0), ('killed_low__isnull', False)), models.Q(('killed_best__gte', models.F('killed_low')), ('killed_best__isnull', False), ('killed_high__isnull', True), ('killed_high_open', True), ('killed_low__gte', 0), ('killed_low__isnull', False)), _connector='OR'), name='incident_killed_range_ordered', violation_error_message='Killed figures must all be given, not negative, with low ≤ best ≤ high; an open upper bound has low and best and no high.'),
        ),
        # Last, so that no table is altered after rows were updated in this transaction.
        # Backwards: the figures stay as recomputed.
        migrations.RunPython(recompute, migrations.RunPython.noop),
    ]
