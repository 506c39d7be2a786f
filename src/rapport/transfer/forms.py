"""Forms of the import pages: the upload, the choice of mode at confirmation, and the e-mail
and calendar import with its review queue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms

from rapport.accounts.models import Account, Contact
from rapport.core.errors import ApplicationError
from rapport.interactions.forms import ObjectMultipleChoiceField
from rapport.transfer.importers import may_import
from rapport.transfer.models import ImportKind, ImportMode, IngestionFormat
from rapport.web.kit import ObjectChoiceField, apply_error


class _UploadForm(forms.Form):
    """A form with a file, which says why the file is missing when the upload was dropped."""

    def __init__(self, *args: Any, refused: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if refused:
            self.fields["file"].error_messages["required"] = refused


class ImportUploadForm(_UploadForm):
    """What the file holds (the kinds the user may import), and the file."""

    kind = forms.ChoiceField(choices=ImportKind.choices, label="What the file holds")
    file = forms.FileField(
        label="File", help_text="CSV (any delimiter, UTF-8 or Excel's encoding) or XLSX."
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user is not None:
            field = cast(forms.ChoiceField, self.fields["kind"])
            field.choices = [(k, label) for k, label in ImportKind.choices if may_import(user, k)]


class ImportConfirmForm(forms.Form):
    """How to import after the dry run."""

    mode = forms.ChoiceField(
        choices=ImportMode.choices, widget=forms.RadioSelect, initial=ImportMode.GOOD
    )
    skip_duplicates = forms.BooleanField(
        required=False, initial=True, label="Leave out the rows flagged as probable duplicates"
    )


# --- e-mail and calendar ingestion (X10) -------------------------------------------------


class IngestionUploadForm(_UploadForm):
    """The import page: a file of interactions, its format (or told by the file), dry run."""

    file = forms.FileField(
        label="File",
        help_text="CSV, a single e-mail (.eml), a mailbox (mbox) or a calendar (.ics).",
    )
    format = forms.ChoiceField(
        required=False,
        choices=[("", "Tell from the file"), *IngestionFormat.choices],
        label="Format",
    )
    dry_run = forms.BooleanField(
        required=False, label="Dry run: report what would happen, write nothing"
    )

    def add_application_error(self, error: ApplicationError) -> None:
        """Show a service's refusal next to its field."""
        apply_error(self, error)


def _contact_label(contact: Contact) -> str:
    title = f" ({contact.title})" if contact.title else ""
    return f"{contact.full_name}{title} · {contact.account.name}"


def _unit_label(unit: Account) -> str:
    return "\u2003" * (unit.depth - 1) + unit.name


class ReviewAttachForm(forms.Form):
    """Attach a review item: the unit it happened with and their people who took part."""

    account = ObjectChoiceField(label="Organisation or unit", empty_label=None)
    contacts = ObjectMultipleChoiceField(
        required=False,
        label="Their people",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(
        self, *args: Any, units: Sequence[Account], contacts: Sequence[Contact], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(ObjectChoiceField, self.fields["account"]).set_objects(units, _unit_label)
        cast(ObjectMultipleChoiceField, self.fields["contacts"]).set_objects(
            contacts, _contact_label
        )

    def add_application_error(self, error: ApplicationError) -> None:
        """Show a service's refusal next to its field."""
        apply_error(self, error)
