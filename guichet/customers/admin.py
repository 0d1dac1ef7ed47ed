from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm

from guichet.audit.models import Door

from . import signin
from .forms import AdminSignInForm
from .models import ApiToken, Contact, Organisation, SignInFailure, Team, User
from .services import identifier_errors, organisation_rename, user_rename

admin.site.login_form = AdminSignInForm  # the admin's sign-in page is behind the sign-in limit too
_admin_login = admin.site.login


def _limited_admin_login(request, extra_context=None):
    """The admin's sign-in page answers as the site's does (``signin.answer``)."""
    response = _admin_login(request, extra_context)
    return signin.answer(request, response, (getattr(response, "context_data", None) or {}).get("form"))


# The default site's view is wrapped in place (a site of our own would move every registration).
admin.site.login = _limited_admin_login  # type: ignore[method-assign]


def _refuse_taken(form: forms.ModelForm, **identifiers) -> None:
    """An address or a number identifies one person, in the admin as at every other door
    (``services.identifier_errors``): the admin's change view runs in a transaction, which holds the lock."""
    for field, message in identifier_errors(**identifiers).items():
        if field in form.fields:
            form.add_error(field, message)


class UserForm(UserChangeForm):
    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        contact = getattr(self.instance, "contact", None) if self.instance.pk else None
        _refuse_taken(self, email=data.get("email"), contact=contact, user=self.instance)
        return data


class ContactForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("is_active", True):
            _refuse_taken(self, phone=data.get("phone"), contact=self.instance if self.instance.pk else None)
        return data


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserForm
    list_display = ("username", "email", "first_name", "last_name", "kind", "is_active")
    list_filter = ("kind", "is_active", "is_staff")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Guichet", {"fields": ("kind", "language", "time_zone")}),
    )

    def save_model(self, request, obj, form, change):
        # A rename goes through its service (audit, search index of the person's tickets), inside the change
        # view's transaction; the form's other fields are saved as usual.
        if change and {"first_name", "last_name", "username"} & set(form.changed_data):
            user_rename(
                actor=request.user,
                door=Door.ADMIN,
                user=obj,
                first_name=obj.first_name,
                last_name=obj.last_name,
                username=obj.username,
            )
        super().save_model(request, obj, form, change)


class ContactInline(admin.TabularInline):
    model = Contact
    form = ContactForm
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "language", "account_manager", "is_active")
    list_filter = ("language", "is_active")
    list_select_related = ("account_manager",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ContactInline]

    def save_model(self, request, obj, form, change):
        # A rename goes through its service (audit, search index of the organisation's tickets).
        if change and "name" in form.changed_data:
            organisation_rename(actor=request.user, door=Door.ADMIN, organisation=obj, name=obj.name)
        super().save_model(request, obj, form, change)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "supervisor")
    list_select_related = ("supervisor",)
    filter_horizontal = ("members",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "prefix",
        "user",
        "name",
        "can_import",
        "can_post_alerts",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_select_related = ("user",)
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")
    fields = (
        "user",
        "name",
        "prefix",
        "can_import",
        "can_post_alerts",
        "created_at",
        "last_used_at",
        "revoked_at",
    )

    def has_add_permission(self, request):
        return False  # tokens are made with `guichet createtoken`, which shows the secret once


@admin.register(SignInFailure)
class SignInFailureAdmin(admin.ModelAdmin):
    """Failed sign-ins, read-only: who was tried, from where, when (pruned after the retention period)."""

    list_display = ("at", "username", "ip_address", "known_browser")
    list_filter = ("at",)
    search_fields = ("username", "ip_address")
    date_hierarchy = "at"

    @admin.display(boolean=True, description="from a browser that signed in as this user before")
    def known_browser(self, obj: SignInFailure) -> bool:
        return bool(obj.device)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
