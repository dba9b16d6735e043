"""Billing's pure rules: the lines an event charges or credits (`lines`), billing's own view of
a subscription and what each event does to it (`subscriptions`), and which lines go on which
invoice and how invoices are numbered (`invoices`). No I/O and no clock: the handlers load,
call these, and save."""
