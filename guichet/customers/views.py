from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpResponseRedirect
from django.shortcuts import redirect

from . import reset, signin
from .forms import SignInForm
from .permissions import is_account_manager, is_provider_staff


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
