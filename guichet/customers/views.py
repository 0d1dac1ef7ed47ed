from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect

from .forms import SignInForm


@login_required
def home(request):
    """Where a login lands: contacts on the extranet's home, account managers on the claims to decide,
    admins in the Django admin, other staff on their queue."""
    user = request.user
    if not user.is_provider_staff:
        return redirect("portal-home")
    if user.is_staff:
        return redirect("admin:index")
    if user.kind == user.Kind.ACCOUNT_MANAGER:
        return redirect("console-claims")
    return redirect("console-queue")


class SignInView(LoginView):
    """Django's sign-in page behind the sign-in limit: a refused attempt is answered 429 with Retry-After."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.refusal is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.refusal.retry_after)
        return response
