"""Campaigns are run by their brands in the browser; the admin shows them and their history."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from campaigns.models import Campaign, CampaignTerms, Prize, Winner, WinnerDraw
from campaigns.winners import winner_disqualify
from core.exceptions import ApplicationError


class PrizeInline(admin.TabularInline):
    model = Prize
    extra = 0
    fields = ["rank", "description"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class TermsInline(admin.TabularInline):
    model = CampaignTerms
    extra = 0
    fields = ["version", "created_at", "text"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "brand", "status", "starts_at", "ends_at", "opened_at", "closed_at"]
    list_filter = ["status", "moderation_mode", "brand"]
    list_select_related = ["brand"]
    search_fields = ["title", "slug", "brand__name", "hashtag"]
    date_hierarchy = "starts_at"
    inlines = [PrizeInline, TermsInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # brands create campaigns through the campaign services

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # changes go through the brand dashboard, where the phase rules hold

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_staff


class DisqualifyForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason, recorded with the winner"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


@admin.register(Winner)
class WinnerAdmin(admin.ModelAdmin):
    list_display = ["campaign", "rank", "participant", "points", "disqualified_at", "notified_at"]
    list_filter = [("disqualified_at", admin.EmptyFieldListFilter), "campaign"]
    list_select_related = ["campaign", "participant"]
    search_fields = ["campaign__title", "participant__email", "participant__display_name"]
    readonly_fields = [
        "campaign",
        "draw",
        "rank",
        "participant",
        "submission",
        "points",
        "notified_at",
        "disqualified_at",
        "disqualified_reason",
        "disqualified_by",
    ]
    actions = ["disqualify_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Disqualify selected winners and redraw"), permissions=["change"])
    def disqualify_selected(
        self, request: HttpRequest, queryset: QuerySet[Winner]
    ) -> HttpResponse | None:
        form = DisqualifyForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for winner in queryset.order_by("rank"):
                try:
                    winner_disqualify(
                        winner=winner, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                except ApplicationError as exc:
                    self.message_user(request, f"#{winner.rank}: {exc.message}", messages.ERROR)
                else:
                    done += 1
            if done:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d winner disqualified; the rank went to the next candidate.",
                        "%(count)d winners disqualified; their ranks went to the next candidates.",
                        done,
                    )
                    % {"count": done},
                    messages.SUCCESS,
                )
            return None
        count = len(queryset)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Disqualify winners"),
            "intro": ngettext(
                "You are disqualifying %(count)d winner. The reason is kept with the record.",
                "You are disqualifying %(count)d winners. The reason is kept with each record.",
                count,
            )
            % {"count": count},
            "items": [f"{w.campaign} — #{w.rank} — {w.participant}" for w in queryset],
            "form": form,
            "queryset": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "action_name": "disqualify_selected",
            "submit_label": _("Disqualify"),
        }
        status = 400 if form.is_bound else 200
        return TemplateResponse(request, "admin/reason_action.html", context, status=status)


@admin.register(WinnerDraw)
class WinnerDrawAdmin(admin.ModelAdmin):
    list_display = ["campaign", "rule", "seed", "reason", "created_at"]
    list_select_related = ["campaign"]
    list_filter = ["rule"]
    readonly_fields = ["campaign", "rule", "seed", "pool", "reason", "drawn_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
