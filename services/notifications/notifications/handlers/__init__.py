"""The flows of the notifications service: an event queues its e-mails (emails); the sender
delivers each once (sending)."""
