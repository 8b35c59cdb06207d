from celery import shared_task

from reminders.services import scheduler_heartbeat


@shared_task(name="reminders.tasks.scheduler_tick", ignore_result=True)
def scheduler_tick() -> None:
    scheduler_heartbeat()
