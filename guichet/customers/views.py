from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


@login_required
def home(request):
    """Where a login lands until the extranet and the console exist: staff go to the admin, customers to
    their API description."""
    if request.user.is_staff:
        return redirect("admin:index")
    return redirect("/api/v1/docs")
