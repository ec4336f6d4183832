from django.contrib import admin
from django.db import models

from villages.models import AuditEvent, GradeBand, Household, Membership, Resident, Township, Village
from villages.terms import revise_terms


class GradeBandInline(admin.TabularInline):
    model = GradeBand
    extra = 0


class ReadOnlyAdmin(admin.ModelAdmin):
    """For append-only tables (the ledger, the audit trail): shown, never added, changed or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Township)
class TownshipAdmin(admin.ModelAdmin):
    """Which villages a township covers is set on each village; its reviewers here."""

    list_display = ["name"]
    filter_horizontal = ["reviewers"]


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "township", "starting_capital", "timezone"]
    inlines = [GradeBandInline]
    # The village's public address is served over HTTPS (check --deploy); Django 6 assumes it too.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        revise_terms(form.instance)  # the grade bands may have changed: villages.terms


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["number", "village", "address"]
    list_filter = ["village"]
    search_fields = ["number", "address"]


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    list_display = ["name", "household", "village", "status", "consent_given_on"]
    list_filter = ["village", "status"]
    search_fields = ["name", "name_pinyin", "name_initials", "household__number"]
    list_select_related = ["household", "village"]
    autocomplete_fields = ["household", "user"]
    # Consent goes through villages.services so that who recorded it is always kept.
    readonly_fields = ["consent_given_on", "consent_recorded_by"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "village", "role", "since"]
    list_filter = ["village", "role"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the trail is never changed."""

    list_display = ["at", "village", "actor", "action", "target"]
    list_filter = ["village", "action"]
    search_fields = ["target", "actor__username"]
