"""Phones to E.164 and phones and team mailboxes marked shared, for identities already kept."""

from django.db import migrations
from django.utils import timezone

from rapport.analytics import contact_points


def forwards(apps, schema_editor):
    from django.conf import settings

    identity_model = apps.get_model("accounts", "ContactIdentity")
    held = set(
        identity_model.objects.filter(deleted_at__isnull=True).values_list(
            "contact_id", "kind", "normalized"
        )
    )
    rows = identity_model.objects.filter(deleted_at__isnull=True, kind__in=["phone", "email"])
    for identity in rows.select_related("contact", "contact__account").iterator(chunk_size=2000):
        changes = {}
        if identity.kind == "phone":
            contact = identity.contact
            region = (
                contact_points.country_code(contact.country)
                or contact_points.country_code(contact.account.country)
                or settings.RAPPORT_PHONE_REGION
                or None
            )
            try:
                normalized = contact_points.phone_e164(identity.value, region)
            except contact_points.PhoneError:
                normalized = identity.normalized
            changes["shared"] = True
            if normalized != identity.normalized:
                key = (identity.contact_id, "phone", normalized)
                if key in held:
                    changes["deleted_at"] = timezone.now()
                else:
                    held.add(key)
                    changes["normalized"] = normalized
        elif contact_points.is_shared_mailbox(identity.value):
            changes["shared"] = True
        if changes:
            identity_model.objects.filter(pk=identity.pk).update(**changes)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_contact_places_shared_identities")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
