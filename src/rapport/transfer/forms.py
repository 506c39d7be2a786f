"""Forms of the import pages: the upload, and the choice of mode at confirmation."""

from __future__ import annotations

from django import forms

from rapport.transfer.models import ImportKind, ImportMode


class ImportUploadForm(forms.Form):
    """What the file holds, and the file."""

    kind = forms.ChoiceField(choices=ImportKind.choices, label="What the file holds")
    file = forms.FileField(
        label="File", help_text="CSV (any delimiter, UTF-8 or Excel's encoding) or XLSX."
    )


class ImportConfirmForm(forms.Form):
    """How to import after the dry run."""

    mode = forms.ChoiceField(
        choices=ImportMode.choices, widget=forms.RadioSelect, initial=ImportMode.GOOD
    )
    skip_duplicates = forms.BooleanField(
        required=False, initial=True, label="Leave out the rows flagged as probable duplicates"
    )
