from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "guichet.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self):
        from django_tasks.signals import task_finished, task_started

        from . import checks, context  # noqa: F401 - checks registers the configuration's system checks

        # The id of the task a worker runs goes on every log line written meanwhile.
        def started(sender, task_result, **kwargs):
            context.task_id.set(str(task_result.id))

        def finished(sender, task_result, **kwargs):
            context.task_id.set(None)

        task_started.connect(started, dispatch_uid="guichet.ops.task_started", weak=False)
        task_finished.connect(finished, dispatch_uid="guichet.ops.task_finished", weak=False)
