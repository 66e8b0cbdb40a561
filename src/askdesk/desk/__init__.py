"""The services: every change to a conversation goes through here."""

from askdesk.desk.triage import Desk

__all__ = ["Desk"]
