"""Seat users are contacts of the company (R39): identity consumes `seats.user_invited` through
its own consumer group (the kit's consumer, one transaction per batch with the inbox) and makes
the invited e-mail a member-role contact of the account, so that the invited person, once
registered and verified, signs in acting for it (R2, R4). Events it cannot vouch for are
dead-lettered as `inconsistent`, and its `identity.contact_added` is marked `seat_user` so that
nobody mails an invitation seats already sent."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from contracts.envelope import Envelope
from contracts.seats import UserInvited
from contracts.testing import SubscriptionStory
from contracts.values import Contact
from identity.domain.accounts import AccountContact, Role

PASSWORD = "Correct-Horse-9"
UMA = Contact(person_id="u-uma", email="Uma@Example.com", name="Uma Seat User", locale="nl")
"""A seat user as seats invites her: her id is seats' user id until she registers."""


@pytest.fixture
async def service(driver_of):
    return (await driver_of(portal_url="http://id.test")).from_()


async def register(service, email: str, name: str, company: str | None = None) -> dict:
    body = {"email": email, "password": PASSWORD, "name": name, "accept_terms": True}
    if company:
        body["company_name"] = company
    answer = await service.post("/accounts" if company else "/people", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def verify(service, person_id: str) -> None:
    requests = [
        e for e in await service.driver.published("identity.verification_email_requested") if e["subject"] == person_id
    ]
    [token] = parse_qs(urlsplit(requests[-1]["data"]["verify_url"]).query)["token"]
    assert (await service.post("/verifications", json={"token": token})).status_code == 200


async def sign_in(service, email: str, **extra):
    return await service.post("/tokens", json={"email": email, "password": PASSWORD, **extra})


async def headers_of(service, email: str) -> dict[str, str]:
    signed_in = await sign_in(service, email)
    assert signed_in.status_code == 200, signed_in.text
    return {"Authorization": f"Bearer {signed_in.json()['access_token']}"}


async def company(service, email: str = "ada@example.com", name: str = "Ada Admin", company: str = "Acme"):
    """A verified founder and her account: (account id, the founder as seats names her, her headers)."""
    registered = await register(service, email, name, company)
    await verify(service, registered["person_id"])
    founder = Contact(person_id=registered["person_id"], email=email, name=name)
    return registered["account_id"], founder, await headers_of(service, email)


async def contacts(service, account_id: str, headers: dict[str, str]) -> dict[str, dict]:
    answer = await service.get(f"/accounts/{account_id}/contacts", headers=headers)
    assert answer.status_code == 200, answer.text
    return {c["email"]: c for c in answer.json()}


def story(account_id: str, administrator: Contact, subscription_id: str = "s-1") -> SubscriptionStory:
    return SubscriptionStory(subscription_id=subscription_id, account_id=account_id, administrator=administrator)


async def test_R39_an_invited_seat_user_becomes_a_member_contact_once_whatever_the_invitations(service):
    account_id, ada, headers = await company(service)
    first = Envelope.wrap(
        story(account_id, ada).user_invited(UMA), source="seats", time=service.driver.runtime.clock.now()
    )
    published = await service.driver.deliver(first, first)  # a redelivery within one batch
    published += await service.driver.deliver(first)  # and in a later one
    published += await service.driver.deliver(
        story(account_id, ada).user_invited(UMA, resend=True),
        story(account_id, ada, subscription_id="s-2").user_invited(UMA),  # another subscription
    )

    uma = (await contacts(service, account_id, headers))["uma@example.com"]
    assert (uma["role"], uma["status"], uma["person_id"]) == ("member", "invited", None)
    assert (uma["first_name"], uma["last_name"], uma["locale"]) == ("Uma", "Seat User", "nl")
    assert len(await contacts(service, account_id, headers)) == 2
    # once, for the company's directory elsewhere (R17), marked so that nobody mails it (R39)
    [added] = published
    assert added["type"] == "identity.contact_added"
    assert (added["data"]["contact"]["email"], added["data"]["seat_user"]) == ("uma@example.com", True)
    assert (added["data"]["added_by"]["person_id"], added["data"]["register_url"]) == (ada.person_id, None)
    assert service.driver.dead_letters == []
    consumer = service.driver.runtime.consumers[0]
    assert (consumer.group, consumer.topics, consumer.processed, consumer.skipped) == (
        "identity",
        ["seats.events.v1", "subscriptions.events.v1"],  # the latter for orders' billing details (issue 15)
        3,
        2,
    )


async def test_R39_R2_an_invited_person_registers_verifies_and_signs_in_acting_for_the_company(service):
    account_id, ada, _ = await company(service)
    registered = await register(service, "uma@example.com", "Uma Seat User")
    await verify(service, registered["person_id"])
    refused = await sign_in(service, "uma@example.com")
    assert (refused.status_code, refused.json()["code"], refused.json()["rule"]) == (403, "no_account", "R2")

    # The invitation was for the address: registering it first or later makes no difference.
    fresh = "cy@example.com"
    await service.driver.deliver(
        story(account_id, ada).user_invited(UMA),
        story(account_id, ada).user_invited(Contact(person_id="u-cy", email=fresh, name="Cy Clerk")),
    )
    cy = await register(service, fresh, "Cy Clerk")
    await verify(service, cy["person_id"])

    for email, person_id in (("uma@example.com", registered["person_id"]), (fresh, cy["person_id"])):
        signed_in = await sign_in(service, email)
        assert signed_in.status_code == 200, signed_in.text
        claims = jwt.decode(signed_in.json()["access_token"], options={"verify_signature": False})
        assert (claims["sub"], claims["acct"]) == (person_id, account_id)
        mine = (await service.get("/me/accounts", headers=await headers_of(service, email))).json()
        assert [(m["account_id"], m["role"]) for m in mine] == [(account_id, "member")]


async def test_R39_R4_a_registered_person_is_linked_at_once(service):
    account_id, ada, headers = await company(service)
    registered = await register(service, "uma@example.com", "Uma Seat User")
    await service.driver.deliver(story(account_id, ada).user_invited(UMA))
    uma = (await contacts(service, account_id, headers))["uma@example.com"]
    assert (uma["status"], uma["person_id"], uma["role"]) == ("linked", registered["person_id"], "member")


async def test_R39_an_existing_contact_keeps_its_role(service):
    """An administrator who seats lists as a user of her own subscription stays administrator."""
    account_id, ada, headers = await company(service)
    await service.driver.deliver(
        story(account_id, ada).user_invited(ada.model_copy(update={"email": "ADA@example.com"}))
    )
    assert [(c["email"], c["role"]) for c in (await contacts(service, account_id, headers)).values()] == [
        ("ada@example.com", "administrator")
    ]


async def test_R39_R6_a_member_who_administers_the_subscription_may_invite(service):
    """Any member may buy (R6) or be handed the subscription (R17, R38): seats names them as the
    inviter, though identity's administrator role is Ada's."""
    account_id, _, ada_headers = await company(service)
    added = await service.post(
        f"/accounts/{account_id}/contacts",
        headers=ada_headers,
        json={"email": "bob@example.com", "first_name": "Bob", "last_name": "Buyer"},
    )
    assert added.status_code == 201, added.text
    bob = await register(service, "bob@example.com", "Bob Buyer")
    await verify(service, bob["person_id"])
    buyer = Contact(person_id=bob["person_id"], email="bob@example.com", name="Bob Buyer")

    await service.driver.deliver(story(account_id, buyer).user_invited(UMA))
    assert service.driver.dead_letters == []
    assert (await contacts(service, account_id, ada_headers))["uma@example.com"]["role"] == "member"


async def test_R39_an_invitation_identity_cannot_vouch_for_is_dead_lettered_and_adds_nobody(service):
    account_id, ada, headers = await company(service)
    globex_id, _, _ = await company(service, "gil@example.com", "Gil Globex", "Globex")
    # Cy was invited to Acme but never registered: her contact's id is no member's.
    invited = await service.post(
        f"/accounts/{account_id}/contacts",
        headers=headers,
        json={"email": "cy@example.com", "first_name": "Cy", "last_name": "Clerk"},
    )
    not_yet_member = Contact(person_id=invited.json()["contact_id"], email="cy@example.com", name="Cy Clerk")
    # Wes registered Wayne Ltd without ever verifying; someone registered his address again.
    wayne = await register(service, "wes@example.com", "Wes Wayne", "Wayne Ltd")
    await register(service, "wes@example.com", "Not Wes")
    wes = Contact(person_id=wayne["person_id"], email="wes@example.com", name="Wes Wayne")
    stranger = Contact(person_id="p-mallory", email="mallory@example.com", name="Mallory")

    forged: list[UserInvited] = [
        story("a-unknown", ada).user_invited(UMA),  # an account identity never registered
        story(wayne["account_id"], wes).user_invited(UMA),  # a withdrawn account (R1)
        story(account_id, stranger).user_invited(UMA),  # nobody of the account
        story(account_id, not_yet_member).user_invited(UMA),  # invited, not a member yet (R2)
        story(globex_id, ada).user_invited(UMA),  # Acme's administrator is nobody at Globex
        story(account_id, ada).user_invited(UMA.model_copy(update={"email": "not an address"})),
    ]
    published = await service.driver.deliver(*forged)

    assert [(d.type, d.reason) for d in service.driver.dead_letters] == [("seats.user_invited", "inconsistent")] * 6
    assert "withdrawn" in service.driver.dead_letters[1].error
    assert "not a member" in service.driver.dead_letters[2].error
    assert published == []
    assert set(await contacts(service, account_id, headers)) == {"ada@example.com", "cy@example.com"}
    uma = await register(service, "uma@example.com", "Uma Seat User")
    await verify(service, uma["person_id"])
    refused = await sign_in(service, "uma@example.com")
    assert (refused.status_code, refused.json()["code"]) == (403, "no_account")


async def test_R4_R39_verifying_links_an_invitation_the_registration_did_not_see(service):
    """An invitation consumed while the person's registration was being committed: neither saw
    the other. Verifying the mailbox links it."""
    account_id, _, _ = await company(service)
    registered = await register(service, "uma@example.com", "Uma Seat User")
    async with service.driver.uow() as uow:
        await uow.contacts.save(
            AccountContact("c-uma", account_id, "uma@example.com", "Uma", "Seat User", "nl", Role.MEMBER, uow.now())
        )
        await uow.commit()
    await verify(service, registered["person_id"])
    claims = jwt.decode(
        (await sign_in(service, "uma@example.com")).json()["access_token"], options={"verify_signature": False}
    )
    assert claims["acct"] == account_id
