"""villages.terms: a village's grade scales and benefits, kept per process under a revision that
every change renews, so a page never shows a scale or a benefit that is no longer in force."""

from django.urls import reverse

from villages.grades import scale_history
from villages.terms import kept_benefits, kept_scales


def test_it_reads_the_scales_and_benefits_once_per_revision(village, django_assert_num_queries):
    today = village.today()
    with django_assert_num_queries(2):
        scales, benefits = kept_scales(village), kept_benefits(village, today)
    with django_assert_num_queries(0):
        again = kept_scales(village), kept_benefits(village, today)
    assert again == (scales, benefits)
    assert scales == scale_history(village_id=village.pk)


def test_a_scale_changed_in_the_admin_is_read_again(admin_client, village):
    kept_scales(village)
    page = admin_client.get(reverse("admin:villages_village_change", args=[village.pk]))
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    formset = page.context["inline_admin_formsets"][0].formset
    data |= {f"{formset.prefix}-{key}": value for key, value in formset.management_form.initial.items()}
    for band in formset.forms:
        data |= {f"{band.prefix}-{name}": band[name].value() or "" for name in band.fields}
    top = formset.forms[0]
    data[f"{top.prefix}-grade"] = "S"
    response = admin_client.post(page.request["PATH_INFO"], data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    village.refresh_from_db()
    assert "S" in [band.grade for _, bands in kept_scales(village) for band in bands]
