"""The outside world: the SMTP server (mailer) and the e-mail templates (rendering)."""
