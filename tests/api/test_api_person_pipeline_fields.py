"""A person's travel-document, reception and symptom fields through the API and the person page
(docs/documents-pipeline.md, docs/reception.md, docs/health-checks.md): read back as written, shown in words,
and edited through the form."""

from __future__ import annotations

from service_testkit import Api
from web_sign_in import browser, csrf

FIELDS = {"document_status": "refused", "document_requested_on": "2021-11-20",
          "return_governorate": "Duhok", "return_district": "Zakho", "referral": "protection",
          "referral_partner": "Mission partner",
          "symptom_onset": "2021-11-25", "symptom_free_since": "2021-11-28"}


def test_the_fields_are_read_back_shown_in_words_and_edited_on_the_page(api: Api) -> None:
    op = api.import_teaching()
    url = f"/api/v1/operations/{op}/people/C0001"
    person = api.get(url).json()
    assert person["document_status"] == "valid" and person["symptom_onset"] is None  # the defaults
    r = api.patch(url, "officer", if_match=person["version"], json={**FIELDS, "document_type": "none"})
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in FIELDS} == FIELDS
    assert {k: api.get(url, "viewer").json()[k] for k in FIELDS} == FIELDS

    officer = browser(api, "officer1")
    page = officer.get(f"/operations/{op}/people/C0001").text
    for words in ("Document status", "refused", "Symptoms since", "Without symptoms since",
                  "Governorate of return", "Duhok", "Referral to a reception partner"):
        assert words in page, words
    assert "document_status" not in page.split("<main", 1)[-1].split("</main>")[0].replace('name="', "")

    form = officer.get(f"/operations/{op}/people/C0001/edit").text
    assert 'id="f-symptom_free_since"' in form and 'value="2021-11-28"' in form
    fields = dict(FIELDS, symptom_free_since="", referral="", referral_partner="", document_status="issued",
                  document_issued_on="2021-12-01")
    data = {"csrf_token": csrf(form), "version": str(api.get(url).json()["version"]), "case_id": "C0001"}
    current = api.get(url).json()
    for name in ("household_id", "given_name", "family_name", "name_native", "sex", "date_of_birth", "nationality",
                 "destination", "location", "consent", "consent_date", "consent_note", "document_type",
                 "document_number", "document_expiry", "fitness", "mobility", "last_test_result",
                 "reception_contact", "notes", "place_of_birth", "receiving_facility"):
        value = current.get(name)
        data[name] = "" if value is None else str(value)
    r = officer.post(f"/operations/{op}/people/C0001/edit", data={**data, **fields}, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    after = api.get(url).json()
    assert after["document_status"] == "issued" and after["document_issued_on"] == "2021-12-01"
    assert after["symptom_free_since"] is None and after["referral"] is None
