"""Identity rules R1-R5: people and their e-mail verification, accounts, contacts, sign-in limits.

Imports nothing but the contracts and the standard library; times come in as arguments.
"""
