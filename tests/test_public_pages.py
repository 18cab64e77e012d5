"""Public pages show published incidents only, and never a confidential source."""

from django.urls import reverse

from incidents import services
from incidents.models import Incident, Source, SourceKind, Status


def test_home_lists_exactly_the_published_incidents(client, seeded):
    page = client.get(reverse("incidents:home")).content.decode()
    for incident in Incident.objects.all():
        assert (incident.public_id in page) == (incident.status == Status.PUBLISHED)
    assert "SY-2025-0011" not in page  # the Tuwaym draft


def test_a_draft_page_is_not_found_even_for_staff(client, superuser, seeded):
    draft = Incident.objects.get(public_id="SY-2025-0011")
    assert (
        client.get(reverse("incidents:incident-detail", args=[draft.public_id])).status_code == 404
    )
    client.force_login(superuser)
    assert (
        client.get(reverse("incidents:incident-detail", args=[draft.public_id])).status_code == 404
    )


def test_incident_page_lists_claims_with_quotes_and_hides_confidential_sources(
    client, seeded, reviewer
):
    incident = Incident.objects.get(public_id="SY-2025-0005")
    secret = Source.objects.create(
        slug="witness",
        headline="Interview with a survivor",
        publisher="Field team",
        kind=SourceKind.WITNESS_TESTIMONY,
        confidential=True,
    )
    services.claim_add(
        incident=incident,
        user=reviewer,
        source=secret,
        killed_min=41,
        quote="We counted 41 bodies.",
    )
    page = client.get(
        reverse("incidents:incident-detail", args=[incident.public_id])
    ).content.decode()
    assert "executed en masse" in page and "about 40 civilians were executed" in page
    assert "Interview with a survivor" not in page and "41 bodies" not in page
    assert "low 40, best 40, high 41" in page  # the figure counts; its source stays private


def test_database_text_is_escaped(client, seeded, reviewer, source):
    hostile = services.incident_create(
        user=None,
        title="<img src=x onerror=alert(1)>",
        event_type="other",
        date_start=Incident.objects.first().date_start,
        date_end=Incident.objects.first().date_start,
        latitude=35.0,
        longitude=36.0,
        claims=[{"source": source, "quote": "<script>alert(2)</script>", "killed_min": 1}],
    )
    services.incident_publish(incident=hostile, user=reviewer)
    for url in [
        reverse("incidents:home"),
        reverse("incidents:incident-detail", args=[hostile.public_id]),
    ]:
        page = client.get(url).content.decode()
        assert "<img src=x" not in page and "<script>alert" not in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page
