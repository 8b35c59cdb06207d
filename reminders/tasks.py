"""Celery tasks: thin, they only wake the services up; the database says what is due."""

from celery import shared_task

from reminders.tick import reminders_tick


@shared_task(name="reminders.tasks.scheduler_tick", ignore_result=True)
def scheduler_tick() -> None:
    reminders_tick()
