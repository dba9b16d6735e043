"""`EntitleClient`: what a desktop product runs on the user's machine.

    client = EntitleClient("https://identity.example", "https://seats.example", cache_dir=dirs.user_cache_dir)
    client.sign_in(email, password, device_name="Alice's laptop")   # kept signed in for 30 days
    access = client.check_access("designer")                        # online, or offline with grace
    lease = client.checkout("designer", on_lost=stop_editing)       # floating: heartbeats in the background
    ...
    lease.release(); client.sign_out()

or, for a floating product, the guides' desktop sign-in in one call (R26): sign in and take a
seat bound to that sign-in; `sign_out()` gives it back:

    lease = client.sign_in_and_checkout(email, password, "designer", on_lost=stop_editing)
    ...
    client.sign_out()

Sign-in: identity's `POST /tokens` with `keep_signed_in` gives a refresh token (30 days),
kept in the cache directory (mode 0600). Access tokens live in memory and are refreshed with
`POST /tokens/refresh`, which rotates the refresh token: the new one is saved before it is
used, and refreshes are serialized (one thread at a time), since presenting a spent refresh
token again ends the whole sign-in (reuse detection).

Offline: every entitlement Entitle sends is verified and saved per product; when Entitle
cannot be reached, `check_access` answers from the saved one until its not-after, with
`offline=True` and a reason, and refuses (`ClockRollback`) when the clock was turned back.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from entitle_client import _http
from entitle_client.cache import Cache, safe_name
from entitle_client.clock import DEFAULT_TOLERANCE, Clock, ClockGuard, SystemClock
from entitle_client.errors import (
    ApiError,
    ClockRollback,
    EntitleError,
    Expired,
    InvalidEntitlement,
    Malformed,
    NotSignedIn,
    Unreachable,
)
from entitle_client.fingerprint import fingerprint as this_machine
from entitle_client.leases import EventCallback, Heartbeat, Lease, LostCallback, parse_time
from entitle_client.models import Access, LicenceFile
from entitle_client.verify import DEFAULT_LEEWAY, Entitlement, KeyStore, Verifier, unwrap_licence_file

SESSION_FILE = "session.json"
_TOKEN_MARGIN = timedelta(seconds=30)  # refresh an access token this long before it expires


def _entitlement_file(product: str) -> str:
    return f"entitlements/{safe_name(product)}.jws"


def _licence_file(product: str) -> str:
    return f"licences/{safe_name(product)}.lic"


class EntitleClient:
    """A person's use of Entitle from one machine (thread-safe)."""

    def __init__(
        self,
        identity_url: str,
        seats_url: str,
        *,
        cache_dir: str,
        clock: Clock | None = None,
        http: httpx.Client | None = None,
        leeway: timedelta = DEFAULT_LEEWAY,
        rollback_tolerance: timedelta = DEFAULT_TOLERANCE,
        heartbeat_fraction: float = 1 / 3,
        heartbeat_retry: timedelta = timedelta(seconds=30),
        wait: Callable[[float], bool] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.identity_url = identity_url.rstrip("/")
        self.seats_url = seats_url.rstrip("/")
        self.clock: Clock = clock or SystemClock()
        self._own_http = http is None
        self.http = http or httpx.Client(timeout=timeout)
        self.cache = Cache(cache_dir)
        self.guard = ClockGuard(self.cache, rollback_tolerance)
        self.keys = KeyStore(
            seats_url=self.seats_url, http=self.http, cache=self.cache, clock=self.clock, guard=self.guard
        )
        self.verifier = Verifier(self.keys, clock=self.clock, leeway=leeway, guard=self.guard)
        self._heartbeat_fraction = heartbeat_fraction
        self._heartbeat_retry = heartbeat_retry
        self._wait = wait
        self._lock = threading.RLock()
        self._access_token: str | None = None
        self._access_expires: datetime | None = None
        self._session: dict[str, Any] = self._load_session()
        self._leases: dict[str, Lease] = {}

    # -- sign-in ---------------------------------------------------------------------------

    @property
    def signed_in(self) -> bool:
        """Signed in now, or kept signed in (a refresh token saved)."""
        return self._access_token is not None or bool(self._session.get("refresh_token"))

    @property
    def person_id(self) -> str | None:
        return self._session.get("person_id")

    @property
    def email(self) -> str | None:
        return self._session.get("email")

    def sign_in(
        self,
        email: str,
        password: str,
        *,
        keep_signed_in: bool = True,
        device_name: str | None = None,
        account_id: str | None = None,
    ) -> str:
        """Sign in (identity `POST /tokens`); returns the person id. With `keep_signed_in`,
        the sign-in lasts 30 days on this machine (listed in the person's sign-ins)."""
        body: dict[str, Any] = {"email": email, "password": password, "keep_signed_in": keep_signed_in}
        if device_name:
            body["device_name"] = device_name[:100]
        if account_id:
            body["account_id"] = account_id
        answer = _http.request(self.http, "POST", self.identity_url + "/tokens", guard=self.guard, json=body).json()
        with self._lock:
            person_id = _token_subject(answer["access_token"])
            # Someone else may have used this machine before (a borrowed seat's entitlement
            # outlives its holder's sign-out): what was granted to another person goes.
            self._forget_entitlements(keep=lambda token: _subject_or_none(token) == person_id)
            self._set_access(answer)
            self._session = {
                "identity_url": self.identity_url,
                "person_id": person_id,
                "email": email,
                "device_name": device_name,
            }
            if keep_signed_in and answer.get("refresh_token"):
                self._session["refresh_token"] = answer["refresh_token"]
                self._session["refresh_expires_at"] = answer.get("refresh_expires_at")
            self._save_session()
        return person_id

    def sign_in_and_checkout(
        self,
        email: str,
        password: str,
        product: str,
        *,
        keep_signed_in: bool = True,
        device_name: str | None = None,
        account_id: str | None = None,
        on_lost: LostCallback | None = None,
        on_event: EventCallback | None = None,
        heartbeat: bool = True,
    ) -> Lease:
        """Sign in and take a floating seat of `product` in one call: the desktop sign-in of
        the guides (R26). The lease is taken with this sign-in's token, so the server binds it
        to this sign-in (the token's `sid`): it survives token refreshes, and `sign_out()`
        gives it back. Heartbeats run as with `checkout`.

        When no seat can be taken (`ApiError`: 409 `no_free_seat`, 403 `no_seat_assigned`),
        the error is raised and the person stays signed in, so that the product can offer to
        try again (`checkout(product)`) without asking for the password again."""
        safe_name(product)  # a product name the library refuses must not sign anyone in
        self.sign_in(email, password, keep_signed_in=keep_signed_in, device_name=device_name, account_id=account_id)
        return self.checkout(product, on_lost=on_lost, on_event=on_event, heartbeat=heartbeat)

    def sign_out(self) -> None:
        """End the sign-in everywhere, giving back the floating seats taken with it (R26).

        The seats this client holds are released first (`DELETE /leases/{id}`), so that a
        colleague can take one at once; then the sign-in ends (identity `POST
        /sessions/current/sign-out`), after which seats also releases whatever that sign-in
        still held (a lease taken by an earlier run of the product, say). A borrowed seat is
        kept, as the server keeps it: its holder signs out to work offline on purpose; its
        `Lease` stays usable until the borrow ends and its entitlement stays saved
        (`saved_entitlement`) until another person signs in here.

        Local state goes even when Entitle cannot be reached (then `Unreachable` is raised
        after: the server-side sign-in ends when its tokens expire, its leases within the hour)."""
        self._stop_heartbeats()
        now = self.clock.now()
        borrowed = [lease for lease in self.leases if lease.borrowed_until is not None and lease.borrowed_until > now]
        kept_ids = {lease.lease_id for lease in borrowed}
        failure: Unreachable | None = None
        try:
            if self.signed_in:
                failure = self._release_at_sign_out([lease for lease in self.leases if lease.lease_id not in kept_ids])
                self._authorized("POST", self.identity_url + "/sessions/current/sign-out")
        except NotSignedIn:
            pass  # already ended
        except Unreachable as error:
            failure = error
        finally:
            kept = {lease.entitlement.token for lease in borrowed if lease.entitlement is not None}
            with self._lock:
                self._access_token = self._access_expires = None
                self._session = {}
                self.cache.delete(SESSION_FILE)
                self._forget_entitlements(keep=lambda token: token in kept)
                for lease in self.leases:
                    if lease.lease_id not in kept_ids:
                        lease.released = True
                self._leases.clear()
        if failure is not None:
            raise failure

    def _release_at_sign_out(self, leases: list[Lease]) -> Unreachable | None:
        """Give back the seats of a sign-in about to end; what cannot be given back now is
        released by seats when the sign-out reaches it (or expires within the hour)."""
        for lease in leases:
            try:
                self.release(lease)
            except Unreachable as error:
                return error  # seats is down: do not wait on it once per lease
            except EntitleError:
                continue  # refused or rate-limited: the sign-out releases it server-side
        return None

    def access_token(self) -> str:
        """A valid access token, refreshed when needed (`NotSignedIn` when there is none)."""
        with self._lock:
            if self._access_token and self._access_expires and self.clock.now() < self._access_expires:
                return self._access_token
            return self._refresh()

    def _refresh(self) -> str:
        with self._lock:
            refresh_token = self._session.get("refresh_token")
            if not refresh_token:
                self._access_token = None
                raise NotSignedIn(401, "not_signed_in", "Sign in first.")
            expires = parse_time(self._session.get("refresh_expires_at"))
            if expires is not None and self.clock.now() >= expires:
                self._end_local_session()
                raise NotSignedIn(401, "sign_in_expired", "The sign-in on this computer expired: sign in again.")
            try:
                answer = _http.request(
                    self.http,
                    "POST",
                    self.identity_url + "/tokens/refresh",
                    guard=self.guard,
                    json={"refresh_token": refresh_token},
                ).json()
            except NotSignedIn:
                self._end_local_session()
                raise
            except ApiError as error:
                if error.status in (400, 403, 404, 409, 422):
                    self._end_local_session()
                    raise NotSignedIn(401, error.code, error.message, error.rule) from error
                raise
            # Rotation: the old refresh token is spent; save the new one before anything else.
            self._session["refresh_token"] = answer["refresh_token"]
            self._session["refresh_expires_at"] = answer.get("refresh_expires_at")
            self._save_session()
            self._set_access(answer)
            assert self._access_token is not None
            return self._access_token

    def _set_access(self, answer: dict[str, Any]) -> None:
        self._access_token = str(answer["access_token"])
        ttl = timedelta(seconds=int(answer.get("expires_in") or 0))
        self._access_expires = self.clock.now() + ttl - _TOKEN_MARGIN

    def _end_local_session(self) -> None:
        self._access_token = self._access_expires = None
        self._session.pop("refresh_token", None)
        self._session.pop("refresh_expires_at", None)
        self._save_session()

    def _authorized(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """A request with the person's token; once more with a refreshed token on a 401."""
        token = self.access_token()
        try:
            return _http.request(self.http, method, url, guard=self.guard, token=token, **kwargs)
        except NotSignedIn:
            with self._lock:
                if self._access_token == token:
                    self._access_token = None  # revoked or expired early: refresh (once)
            if not self._session.get("refresh_token"):
                raise
            return _http.request(self.http, method, url, guard=self.guard, token=self.access_token(), **kwargs)

    def _load_session(self) -> dict[str, Any]:
        text = self.cache.read(SESSION_FILE)
        try:
            session = json.loads(text) if text else {}
        except ValueError:
            return {}
        if not isinstance(session, dict) or session.get("identity_url") != self.identity_url:
            return {}
        return session

    def _save_session(self) -> None:
        self.cache.write(SESSION_FILE, json.dumps(self._session))

    # -- access ----------------------------------------------------------------------------

    def check_access(self, product: str, *, signed: bool = True) -> Access:
        """May the signed-in person use `product` now (seats `GET /access`, about themselves)?

        Online, a signed entitlement comes with a positive answer: it is verified, saved, and
        in `Access.entitlement`. When Entitle cannot be reached, the answer comes from the
        saved entitlement until its not-after (`offline=True`); `ClockRollback` when the
        clock was turned back.
        """
        safe_name(product)
        params = {"product": product}
        if signed:
            params["signed"] = "true"
        try:
            self.access_token()
            if self.person_id:
                params["user_id"] = self.person_id
            elif self.email:
                params["email"] = self.email
            response = self._authorized("GET", self.seats_url + "/access", params=params)
        except Unreachable as error:
            return self._offline_access(product, error)
        view = response.json()
        entitlement = None
        if view.get("entitlement"):
            entitlement = self._accept(view["entitlement"], product, response)
            self.cache.write(_entitlement_file(product), entitlement.token)
        elif not view.get("allowed"):
            self.cache.delete(_entitlement_file(product))  # revoked: nothing to fall back on
        return Access.of_view(product, view, entitlement)

    def saved_entitlement(self, product: str) -> Entitlement:
        """The entitlement saved for `product`, verified offline (raises `InvalidEntitlement`)."""
        token = self.cache.read(_entitlement_file(product))
        if not token:
            raise Expired(f"no entitlement for {product} is saved on this computer")
        return self.verifier.verify(token, product=product)

    def _offline_access(self, product: str, error: Unreachable) -> Access:
        try:
            entitlement = self.saved_entitlement(product)
        except Expired as expired:
            return Access.denied(
                product,
                f"{error}, and {expired}: connect to the network to use {product} again.",
                offline=True,
            )
        except ClockRollback:
            raise
        except InvalidEntitlement as invalid:
            return Access.denied(product, f"{error}, and the saved entitlement is not valid ({invalid}).", offline=True)
        until = entitlement.not_after.isoformat(timespec="minutes")
        return Access.of_entitlement(
            entitlement,
            f"{error}: working offline on the entitlement issued "
            f"{entitlement.issued_at.isoformat(timespec='minutes')}, valid until {until}.",
            offline=True,
        )

    def _accept(
        self, token: str, product: str | None, response: httpx.Response, fingerprint: str | None = None
    ) -> Entitlement:
        """An entitlement Entitle just sent: verified at the server's time (so a wrong local
        clock does not refuse it), and its issue time recorded."""
        server_now = _server_time(response) or self.clock.now()
        return self.verifier.verify(token, product=product, fingerprint=fingerprint, now=server_now, check_clock=False)

    def _forget_entitlements(self, keep: Callable[[str], bool] | None = None) -> None:
        """Delete the saved entitlements, but those `keep(token)` says to keep."""
        directory = self.cache.path("entitlements")
        if directory.is_dir():
            for saved in directory.glob("*.jws"):
                try:
                    if keep is not None and keep(saved.read_text(encoding="utf-8").strip()):
                        continue
                except (OSError, UnicodeDecodeError):
                    pass  # unreadable: nothing worth keeping
                saved.unlink(missing_ok=True)

    # -- floating seats --------------------------------------------------------------------

    def checkout(
        self,
        product: str,
        *,
        on_lost: LostCallback | None = None,
        on_event: EventCallback | None = None,
        heartbeat: bool = True,
    ) -> Lease:
        """Take a floating seat of `product` (seats `POST /products/{product}/leases`) and
        keep it with heartbeats in a background thread (`heartbeat=False`: beat yourself
        with `client.heartbeat(lease)`). `on_lost(lease, error)` is called from that thread
        when the seat is gone for good. 409 `no_free_seat` raises `ApiError`."""
        safe_name(product)
        response = self._authorized("POST", f"{self.seats_url}/products/{quote(product, safe='')}/leases")
        view = response.json()
        entitlement = self._lease_entitlement(view, product, response)
        lease = Lease(
            lease_id=str(view["lease_id"]),
            product=str(view.get("product") or product),
            subscription_id=str(view["subscription_id"]),
            acquired_at=parse_time(view["acquired_at"]) or self.clock.now(),
            expires_at=parse_time(view["expires_at"]) or self.clock.now(),
            borrowed_until=parse_time(view.get("borrowed_until")),
            revivable_until=parse_time(view.get("revivable_until")),
            entitlement=entitlement,
            _client=self,
        )
        with self._lock:
            self._leases[lease.lease_id] = lease
        if heartbeat:
            lease.heartbeat = Heartbeat(
                lease,
                self.heartbeat,
                self.clock,
                fraction=self._heartbeat_fraction,
                retry=self._heartbeat_retry,
                wait=self._wait,
                on_lost=on_lost,
                on_event=on_event,
            )
            lease.heartbeat.start()
        return lease

    def heartbeat(self, lease: Lease) -> None:
        """One heartbeat (seats `POST /leases/{id}/heartbeat`): the lease runs on, or is
        revived within the revive window; 404/409 raise `ApiError`."""
        response = self._authorized("POST", f"{self.seats_url}/leases/{quote(lease.lease_id, safe='')}/heartbeat")
        view = response.json()
        lease.update(view, self._lease_entitlement(view, lease.product, response))

    def borrow(self, lease: Lease, until: datetime) -> Lease:
        """Borrow the seat for offline use until `until` (seats `POST /leases/{id}/borrow`):
        no heartbeat is needed until then; the entitlement saved lasts until the borrow end."""
        if until.tzinfo is None:
            raise ValueError("until needs a time zone")
        response = self._authorized(
            "POST",
            f"{self.seats_url}/leases/{quote(lease.lease_id, safe='')}/borrow",
            json={"until": until.isoformat()},
        )
        view = response.json()
        lease.update(view, self._lease_entitlement(view, lease.product, response))
        return lease

    def release(self, lease: Lease) -> None:
        """Give the seat back (seats `DELETE /leases/{id}`); stops its heartbeat first. A
        lease the server no longer knows counts as released."""
        if lease.heartbeat is not None:
            lease.heartbeat.stop()
        with self._lock:
            self._leases.pop(lease.lease_id, None)
        lease.released = True
        saved = self.cache.read(_entitlement_file(lease.product))
        if saved and lease.entitlement is not None and saved.strip() == lease.entitlement.token:
            self.cache.delete(_entitlement_file(lease.product))
        try:
            self._authorized("DELETE", f"{self.seats_url}/leases/{quote(lease.lease_id, safe='')}")
        except ApiError as error:
            if error.status != 404:
                raise

    @property
    def leases(self) -> list[Lease]:
        with self._lock:
            return list(self._leases.values())

    def _lease_entitlement(self, view: dict[str, Any], product: str, response: httpx.Response) -> Entitlement | None:
        token = view.get("entitlement")
        if not token:
            return None
        entitlement = self._accept(token, product, response)
        self.cache.write(_entitlement_file(product), entitlement.token)
        return entitlement

    def _stop_heartbeats(self) -> None:
        for lease in self.leases:
            if lease.heartbeat is not None:
                lease.heartbeat.stop()

    # -- node-locked licence files ---------------------------------------------------------

    def activate(self, key: str, fingerprint: str | None = None, *, device_name: str | None = None) -> LicenceFile:
        """Activate a node-locked key on this machine (seats `POST /licence-files`), or get
        its licence file again on the same machine; the file is verified and saved.
        409 `key_in_use` when it is active on another machine (deactivate it there first)."""
        device = fingerprint or this_machine()
        body: dict[str, Any] = {"key": key.strip(), "fingerprint": device}
        if device_name:
            body["device_name"] = device_name[:100]
        response = self._authorized("POST", self.seats_url + "/licence-files", json=body)
        text = str(response.json()["licence_file"])
        entitlement = self._accept(unwrap_licence_file(text), None, response, fingerprint=device)
        path = self.cache.write(_licence_file(entitlement.product), text)
        return LicenceFile(text, entitlement, path)

    def deactivate(self, product: str, fingerprint: str | None = None) -> None:
        """Free this machine's node-locked key, to activate it on another (R27: moving a key
        is deactivation, then activation): seats `POST /subscriptions/{id}/keys/{key}/deactivation`
        as the key's holder, which the holder may do a limited number of times in 30 days (an
        `ApiError` 429 `device_resets_exceeded` with `retry_after` past it; the administrator
        can always free it in the portal). The saved licence file is deleted."""
        entitlement = self.licence_file(product, fingerprint).entitlement
        if not (entitlement.subscription_id and entitlement.activation_key_id):
            raise Malformed("the licence file names no subscription or key")
        path = f"/subscriptions/{entitlement.subscription_id}/keys/{entitlement.activation_key_id}/deactivation"
        self._authorized("POST", self.seats_url + path)
        self.cache.delete(_licence_file(product))

    def licence_file(self, product: str, fingerprint: str | None = None) -> LicenceFile:
        """The saved licence file of `product`, verified offline against this machine
        (raises `InvalidEntitlement`: `Expired` also when none is saved)."""
        text = self.cache.read(_licence_file(product))
        if not text:
            raise Expired(f"no licence file for {product} is saved on this computer")
        entitlement = self.verifier.verify_licence_file(
            text, fingerprint=fingerprint or this_machine(), product=product
        )
        return LicenceFile(text, entitlement, self.cache.path(_licence_file(product)))

    def check_licence(self, product: str, fingerprint: str | None = None) -> Access:
        """A node-locked product's check: online (signed in), seats is asked about this
        device, and a deactivated or revoked key is refused and its file deleted; offline or
        not signed in, the saved licence file decides until its not-after."""
        device = fingerprint or this_machine()
        if self.signed_in:
            try:
                response = self._authorized(
                    "GET", self.seats_url + "/access", params={"product": product, "device_id": device}
                )
            except Unreachable as error:
                return self._offline_licence(product, device, str(error))
            except NotSignedIn:  # the sign-in lapsed: a node-locked machine may stay offline
                return self._offline_licence(product, device, "Not signed in: checked offline")
            view = response.json()
            if not view.get("allowed"):
                self.cache.delete(_licence_file(product))
                return Access.of_view(product, view, None)
            return self._offline_licence(product, device, "Entitle confirmed the licence", offline=False)
        return self._offline_licence(product, device, "Not signed in: checked offline")

    def _offline_licence(self, product: str, device: str, why: str, *, offline: bool = True) -> Access:
        try:
            found = self.licence_file(product, device)
        except ClockRollback:
            raise
        except InvalidEntitlement as invalid:
            return Access.denied(product, f"{why}, but the licence file is not valid: {invalid}", offline=offline)
        until = found.not_after.isoformat(timespec="minutes")
        return Access.of_entitlement(
            found.entitlement, f"{why}: the licence file is valid until {until}.", offline=offline
        )

    # -- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the heartbeats (the leases expire on their own) and close the connections."""
        self._stop_heartbeats()
        if self._own_http:
            self.http.close()

    def __enter__(self) -> EntitleClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _token_subject(token: str) -> str:
    """The `sub` of identity's access token: read, not verified (the services verify it)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(claims["sub"])
    except (IndexError, KeyError, ValueError, binascii.Error) as error:
        raise EntitleError("identity answered a token this library cannot read") from error


def _subject_or_none(token: str) -> str | None:
    """Whom a saved entitlement was granted to (its `sub`, read without verifying: only to
    decide whether to delete it)."""
    try:
        return _token_subject(token)
    except EntitleError:
        return None


def _server_time(response: httpx.Response) -> datetime | None:
    value = response.headers.get("Date")
    if not value:
        return None
    try:
        at: datetime = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)
