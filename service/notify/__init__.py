"""Notifications in the service: sending (SMTP, webhooks), the worker, the daily job."""
