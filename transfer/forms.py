"""The upload form and the export filters."""

from __future__ import annotations

from typing import Any

from django import forms

from clients.models import Client
from receivables.models import InvoiceStatus
from transfer.models import ImportKind
from transfer.reading import DEFAULT_ENCODING, ENCODINGS
from transfer.values import DATE_FORMATS, Options


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV (any delimiter) or XLSX.")
    kind = forms.ChoiceField(label="The file holds",
                             choices=[("", "Detect from the column names"),
                                      *ImportKind.choices], required=False)
    encoding = forms.ChoiceField(
        label="CSV text encoding", initial=DEFAULT_ENCODING, required=False,
        choices=[(codec, name + (" (with or without BOM)" if codec == "utf-8" else ""))
                 for codec, name in ENCODINGS.items()],
        help_text="What the CSV file was saved as: \"CSV UTF-8\" in Excel is UTF-8; plain "
                  "\"CSV\" from Excel on Western-European Windows is Windows-1252. A file "
                  "with a byte-order mark is read as it says.")
    date_format = forms.ChoiceField(label="Dates are written",
                                    choices=[(f, f) for f in DATE_FORMATS], initial="YYYY-MM-DD")
    decimal = forms.ChoiceField(label="Numbers are written", initial="point", choices=[
        ("point", "1,234.56 (decimal point)"), ("comma", "1.234,56 (decimal comma)"),
        ("locale", "as in the locale below")])
    locale = forms.CharField(label="Locale", required=False, max_length=20,
                             help_text="For numbers written another way, e.g. de_CH "
                                       "(1'234.56) or fr_FR (1 234,56).")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        decimal = data.get("decimal")
        if decimal == "locale":
            if not data.get("locale"):
                self.add_error("locale", "Give the locale the numbers are written in.")
                return data
            decimal = data["locale"]
        try:
            data["options"] = Options.from_dict({"date_format": data.get("date_format"),
                                                 "decimal": decimal,
                                                 "encoding": data.get("encoding")})
        except ValueError as exc:
            self.add_error("locale" if data.get("decimal") == "locale" else "decimal", str(exc))
        return data


class DateRangeForm(forms.Form):
    start = forms.DateField(label="From", required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError("The end of the range is before its start.")
        return data


class InvoiceExportForm(DateRangeForm):
    status = forms.ChoiceField(choices=[("", "Any status"), *InvoiceStatus.choices],
                               required=False)


class AgingExportForm(forms.Form):
    on = forms.DateField(label="As of", required=False,
                         widget=forms.DateInput(attrs={"type": "date"}))


class TimelineExportForm(DateRangeForm):
    client = forms.CharField(label="Client reference", required=False, max_length=40,
                             help_text="Empty for all clients.")

    def clean_client(self) -> Client | None:
        reference = self.cleaned_data.get("client", "").strip()
        if not reference:
            return None
        client = Client.objects.filter(reference=reference).first()
        if client is None:
            raise forms.ValidationError(f"No client with reference '{reference}'.")
        return client
