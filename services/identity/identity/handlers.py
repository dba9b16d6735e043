"""Identity commands: register an account, sign in."""
from __future__ import annotations

import uuid
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from contracts.errors import Refusal, RuleViolation
from contracts.identity import AccountRegistered
from identity.domain import Account, Person, check_password_strength, normalise_email
from identity.store import IdentityRepository
from servicekit.auth import Caller, issue_token
from servicekit.uow import UnitOfWork

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
TOKEN_TTL = timedelta(hours=1)


async def register_account(company_name: str, email: str, password: str, name: str, locale: str,
                           uow: UnitOfWork) -> tuple[Account, Person]:
    email = normalise_email(email)
    check_password_strength(password)
    repo = IdentityRepository(uow.conn)
    if await repo.person_by_email(email) is not None:
        raise RuleViolation("email_registered", "This e-mail is already registered; sign in instead.",
                            rule="R1")
    person = Person(str(uuid.uuid4()), email, name, locale, _hasher.hash(password))
    account = Account(str(uuid.uuid4()), company_name, person.id, uow.now())
    await repo.add_person(person)
    await repo.add_account(account)
    await uow.publish(AccountRegistered(account_id=account.id, company_name=company_name,
                                        administrator_id=person.id, registered_at=account.registered_at))
    return account, person


async def sign_in(email: str, password: str, account_id: str | None, secret: str,
                  uow: UnitOfWork) -> str:
    repo = IdentityRepository(uow.conn)
    person = await repo.person_by_email(email.strip().lower())
    refused = RuleViolation("bad_credentials", "Unknown e-mail or wrong password.",
                            refusal=Refusal.UNAUTHENTICATED)
    if person is None:
        raise refused
    try:
        _hasher.verify(person.password_hash, password)
    except VerificationError:
        raise refused from None
    accounts = await repo.accounts_of(person.id)
    chosen = account_id or (accounts[0] if accounts else None)
    if chosen not in accounts:
        raise RuleViolation("not_a_member", "You are not a contact of that account.", rule="R2",
                            refusal=Refusal.FORBIDDEN)
    caller = Caller(person_id=person.id, account_id=chosen, email=person.email, name=person.name,
                    locale=person.locale)
    return issue_token(secret, caller, uow.now(), TOKEN_TTL)
