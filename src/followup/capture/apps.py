"""The capture app's configuration."""

from django.apps import AppConfig


class CaptureConfig(AppConfig):
    """Followup's web app."""

    name = "followup.capture"
    label = "capture"
    verbose_name = "Followup capture"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Connect the sign-in lockout to the audit trail."""
        from followup.capture import signin  # noqa: F401  (its receiver connects on import)
