"""People. For now only the login account; organisations, contacts, staff and teams come with the tickets
issue. The custom user model exists from the first migration because Django cannot switch to one later."""

from django.contrib.auth.models import AbstractUser
from django.db import models

from .validators import validate_time_zone


class User(AbstractUser):
    """A login: a customer contact or a member of the provider's staff."""

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        FRENCH = "fr", "Français"

    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="IANA zone used to show dates",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
