from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


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
