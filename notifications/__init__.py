"""Outbound messages to citizens: outbox, dispatcher, senders, texts and calendar files."""
