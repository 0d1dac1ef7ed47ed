from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext
from django.views import i18n
from django.views.decorators.http import require_POST

from guichet.audit.models import Door
from guichet.formats import reader_language
from guichet.i18n import browser_language, spoken

from . import reset, services, signin
from .forms import PasswordChangeForm, ProfileForm, SignInForm
from .permissions import is_account_manager, is_provider_staff
from .selectors import acting_contact


@login_required
def home(request):
    """Where a login lands: contacts on the extranet's home, account managers on the claims to decide,
    admins in the Django admin, other staff on their queue."""
    user = request.user
    if not is_provider_staff(user):
        return redirect("portal-home")
    if user.is_staff:
        return redirect("admin:index")
    if is_account_manager(user):
        return redirect("console-claims")
    return redirect("console-queue")


class SignInView(LoginView):
    """Django's sign-in page behind the sign-in limit: a refused attempt is answered 429 with Retry-After."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        return signin.answer(self.request, super().form_valid(form), form)

    def form_invalid(self, form):
        return signin.answer(self.request, super().form_invalid(form), form)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page (also how a new contact sets a first password), but the link is mailed by a task
    and within limits (``reset``): the answer is the same, and as quick, whether an account has the address
    or not; too many requests from one client address are answered 429 with Retry-After."""

    def form_valid(self, form):
        refused = reset.refusal(self.request)
        if refused is not None:
            form.add_error(None, refused.message)
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = str(refused.retry_after)
            return response
        reset.request_reset(
            self.request,
            form.cleaned_data["email"],
            domain=self.request.get_host(),
            use_https=self.request.is_secure(),
        )
        return HttpResponseRedirect(self.get_success_url())


@login_required
def profile(request):
    """One's own profile, for everyone signed in (contacts and staff): name, language, time zone and, for a
    contact, the number the NOC calls."""
    user = request.user
    contact = acting_contact(user)
    form = ProfileForm(request.POST or None, user=user, contact=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(actor=user, door=Door.WEB, user=user, **form.cleaned_data)
        except ValidationError as exc:
            form.refuse(exc)
        else:
            # Said in the language the next page will be in, which the change may have just set.
            with translation.override(reader_language(user, browser=browser_language(request))):
                messages.success(request, gettext("Your profile is saved."))
            return redirect("account")
    status = 400 if form.errors else 200
    return render(request, "customers/profile.html", {"form": form, "contact": contact}, status=status)


@login_required
def password_change(request):
    """A new password, the current one asked first; the session stays signed in, the login's others end."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(
                actor=request.user,
                door=Door.WEB,
                user=request.user,
                password=form.cleaned_data["new_password1"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, gettext("Your password is changed."))
            return redirect("account")
    status = 400 if form.errors else 200
    return render(request, "customers/password_change.html", {"form": form}, status=status)


@require_POST
def set_language(request):
    """The language switcher of every page: Django's ``set_language`` (the language cookie, back to the page
    it was on); signed in, the choice becomes the person's own too (``services.language_choose``)."""
    response = i18n.set_language(request)
    language = spoken(request.POST.get("language"))
    if language is not None and request.user.is_authenticated:
        services.language_choose(actor=request.user, door=Door.WEB, user=request.user, language=language)
    return response
