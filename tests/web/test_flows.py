"""The one way a page sends a form to a service (``web/forms/flows.py``): a refusal goes on
the form with its own status; a 403 goes on to the page wrapper."""

from __future__ import annotations

import pytest
from django import forms

from membercard.core.errors import (
    CardNotFound,
    IdempotencyConflict,
    NotPermitted,
    PaymentCardRefused,
    ValidationFailed,
)
from membercard.web.forms.flows import IdempotentForm, refuse, submit


class NoteForm(forms.Form):
    note = forms.CharField(max_length=10)
    service_fields = {"note_text": "note"}


class KeyedNoteForm(IdempotentForm):
    note = forms.CharField(max_length=10)


class CardsBox(forms.Form):
    numbers = forms.CharField(required=False)


def refused(error):
    def action(_data):
        raise error

    return action


def test_a_valid_form_calls_the_service_with_its_cleaned_data():
    outcome = submit(NoteForm({"note": " hi "}), lambda data: data["note"].upper())
    assert (outcome.done, outcome.result, outcome.status) == (True, "HI", 200)


def test_an_invalid_form_is_422_and_the_service_is_not_called():
    called = []
    outcome = submit(NoteForm({"note": ""}), called.append)
    assert (outcome.done, outcome.status, called) == (False, 422, [])


def test_a_refusal_goes_beside_the_field_it_names_with_its_status():
    form = NoteForm({"note": "hi"})
    outcome = submit(form, refused(ValidationFailed("Too short.", field="note")))
    assert (outcome.done, outcome.status) == (False, 422)
    assert form.errors == {"note": ["Too short."]}


def test_a_service_name_is_mapped_to_the_form_field_and_others_go_on_top():
    form = NoteForm({"note": "hi"})
    submit(form, refused(ValidationFailed("Bad.", field="note_text")))
    assert form.errors["note"] == ["Bad."]
    other = NoteForm({"note": "hi"})
    outcome = submit(other, refused(CardNotFound()))
    assert outcome.status == 404
    assert other.non_field_errors() == [str(CardNotFound.default_message)]


def test_a_page_refusal_is_not_put_on_the_form():
    form = NoteForm({"note": "hi"})
    with pytest.raises(NotPermitted):
        submit(form, refused(NotPermitted()))
    assert not form.errors


def test_a_key_used_for_other_values_is_renewed():
    form = KeyedNoteForm({"note": "hi", "idempotency_key": "a" * 32})
    outcome = submit(form, refused(IdempotencyConflict()))
    assert outcome.status == 409
    assert form.data["idempotency_key"] != "a" * 32
    assert len(form.non_field_errors()) == 1


def test_a_fresh_form_carries_a_fresh_key():
    first, second = KeyedNoteForm(), KeyedNoteForm()
    assert len(first.initial["idempotency_key"]) == 32
    assert first.initial["idempotency_key"] != second.initial["idempotency_key"]


def test_what_read_as_a_bank_card_is_not_shown_back():
    form = CardsBox({"numbers": "4556737586899855"})
    form.is_valid()
    refuse(form, PaymentCardRefused())
    assert form.data["numbers"] == ""
    assert form.non_field_errors() == [str(PaymentCardRefused.default_message)]
