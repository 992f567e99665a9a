"""The webhooks domain's job kinds, by name (webhooks/tasks.py registers them)."""

DELIVER_WEBHOOK = "deliver_webhook"
