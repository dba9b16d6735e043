"""A TLS and SASL door in front of the embedded broker, for tests of the clients' side.

Tansu 0.6, the embedded broker, cannot stand in for a secured Kafka (tests/broker shows
it): it accepts `--cert`/`--key` and serves plaintext anyway, and once started with
`--authentication` it refuses every unauthenticated request, including the one that would
create the first SCRAM user, while its only storage (memory) cannot be given users before
it starts. So the tests put this gate in front of a plaintext Tansu: it terminates TLS,
answers SaslHandshake/SaslAuthenticate as a Kafka broker does (SCRAM-SHA-512 per RFC 5802
and 7677, SCRAM-SHA-256, PLAIN), closes a connection that sends anything else before it
has authenticated, and then passes the bytes through. Tansu advertises the gate's address,
so every connection a client opens goes through it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import ssl
import struct
import threading
from dataclasses import dataclass, field

API_VERSIONS, SASL_HANDSHAKE, SASL_AUTHENTICATE = 18, 17, 36
UNSUPPORTED_SASL_MECHANISM, ILLEGAL_SASL_STATE, SASL_AUTHENTICATION_FAILED = 33, 34, 58
SCRAM_ITERATIONS = 4096  # Kafka's minimum for SCRAM credentials
HASHES = {"SCRAM-SHA-512": "sha512", "SCRAM-SHA-256": "sha256"}


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack(">h", len(data)) + data


async def _frame(reader: asyncio.StreamReader) -> bytes:
    size = struct.unpack(">i", await reader.readexactly(4))[0]
    return await reader.readexactly(size)


def _send(writer: asyncio.StreamWriter, correlation_id: int, body: bytes) -> None:
    payload = struct.pack(">i", correlation_id) + body  # response header v0: these APIs are not flexible
    writer.write(struct.pack(">i", len(payload)) + payload)


def _request_body(frame: bytes) -> bytes:
    """The body after a request header v1 (api key, version, correlation id, client id)."""
    client_id_length = struct.unpack(">h", frame[8:10])[0]
    return frame[10 + max(client_id_length, 0) :]


class ScramServer:
    """The server side of one SCRAM exchange (client-first, client-final)."""

    def __init__(self, mechanism: str, users: dict[str, str]) -> None:
        self._hash, self._users = HASHES[mechanism], users
        self.user: str | None = None

    def first(self, message: bytes) -> bytes:
        text = message.decode()
        _gs2_flag, _authzid, bare = text.split(",", 2)
        attributes = dict(part.split("=", 1) for part in bare.split(","))
        self.user = attributes["n"].replace("=2C", ",").replace("=3D", "=")
        self._client_first_bare, self._salt = bare, os.urandom(16)
        self._nonce = attributes["r"] + base64.b64encode(os.urandom(18)).decode()
        self._server_first = f"r={self._nonce},s={base64.b64encode(self._salt).decode()},i={SCRAM_ITERATIONS}"
        return self._server_first.encode()

    def final(self, message: bytes) -> bytes | None:
        """The server's signature, or None when the proof is wrong (or the user unknown)."""
        text = message.decode()
        without_proof, proof = text.rsplit(",p=", 1)
        attributes = dict(part.split("=", 1) for part in without_proof.split(","))
        password = self._users.get(self.user or "")
        if password is None or attributes.get("r") != self._nonce:
            return None
        salted = hashlib.pbkdf2_hmac(self._hash, password.encode(), self._salt, SCRAM_ITERATIONS)
        client_key = hmac.digest(salted, b"Client Key", self._hash)
        stored_key = hashlib.new(self._hash, client_key).digest()
        auth_message = f"{self._client_first_bare},{self._server_first},{without_proof}".encode()
        signature = hmac.digest(stored_key, auth_message, self._hash)
        expected = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        if not hmac.compare_digest(expected, base64.b64decode(proof)):
            return None
        server_key = hmac.digest(salted, b"Server Key", self._hash)
        return b"v=" + base64.b64encode(hmac.digest(server_key, auth_message, self._hash))


@dataclass
class SaslGate:
    upstream: tuple[str, int]
    users: dict[str, str]
    ssl_context: ssl.SSLContext | None = None
    mechanisms: tuple[str, ...] = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")
    signed_in: list[tuple[str, str, bool]] = field(default_factory=list)  # user, mechanism, over TLS
    refused: list[str] = field(default_factory=list)  # why each refused connection was refused

    async def serve(self, host: str, port: int) -> asyncio.Server:
        return await asyncio.start_server(self._connection, host, port, ssl=self.ssl_context)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        try:
            if await self._authenticate(reader, writer, upstream_reader, upstream_writer):
                await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            for w in (writer, upstream_writer):
                w.close()

    async def _authenticate(self, reader, writer, upstream_reader, upstream_writer) -> bool:
        mechanism, scram = None, None
        while True:
            frame = await _frame(reader)
            api_key, version, correlation_id = struct.unpack(">hhi", frame[:8])
            if api_key == API_VERSIONS:  # the broker's own answer: it lists the SASL APIs
                upstream_writer.write(struct.pack(">i", len(frame)) + frame)
                answer = await _frame(upstream_reader)
                writer.write(struct.pack(">i", len(answer)) + answer)
            elif api_key == SASL_HANDSHAKE:
                asked = _request_body(frame)[2:].decode()
                known = asked in self.mechanisms
                listing = struct.pack(">i", len(self.mechanisms)) + b"".join(map(_string, self.mechanisms))
                _send(writer, correlation_id, struct.pack(">h", 0 if known else UNSUPPORTED_SASL_MECHANISM) + listing)
                if not known:
                    self.refused.append(f"mechanism {asked}")
                    return False
                mechanism = asked
            elif api_key == SASL_AUTHENTICATE and mechanism is not None and version in (0, 1):
                token = _request_body(frame)[4:]
                answer = self._step(mechanism, token, scram)
                if answer is None:
                    self._answer(
                        writer,
                        correlation_id,
                        version,
                        SASL_AUTHENTICATION_FAILED,
                        "Authentication failed: invalid credentials",
                        b"",
                    )
                    await writer.drain()
                    self.refused.append(f"credentials of {mechanism}")
                    return False
                scram, reply, user = answer
                self._answer(writer, correlation_id, version, 0, None, reply)
                if user is not None:
                    self.signed_in.append((user, mechanism, self.ssl_context is not None))
                    await writer.drain()
                    return True
            else:
                # A real broker with authentication required closes the connection too.
                self.refused.append(f"api {api_key} before authentication")
                return False
            await writer.drain()

    def _step(self, mechanism: str, token: bytes, scram: ScramServer | None):
        """(exchange state, reply, the user once authenticated) or None when refused."""
        if mechanism == "PLAIN":
            _authzid, user, password = token.decode().split("\0")
            return (None, b"", user) if self.users.get(user) == password else None
        if scram is None:
            scram = ScramServer(mechanism, self.users)
            return scram, scram.first(token), None
        signature = scram.final(token)
        return None if signature is None else (scram, signature, scram.user)

    @staticmethod
    def _answer(writer, correlation_id: int, version: int, error: int, message: str | None, data: bytes) -> None:
        body = struct.pack(">h", error) + (struct.pack(">h", -1) if message is None else _string(message))
        body += struct.pack(">i", len(data)) + data
        if version >= 1:
            body += struct.pack(">q", 0)  # session lifetime: no re-authentication asked
        _send(writer, correlation_id, body)


async def _pipe(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            target.write(data)
            await target.drain()
    finally:
        target.close()


class GateThread:
    """The gate on an event loop of its own, so tests may call the tools' `asyncio.run`."""

    def __init__(self, gate: SaslGate, port: int) -> None:
        self.gate, self.port = gate, port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> GateThread:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self.gate.serve("127.0.0.1", self.port), self._loop).result(10)
        return self

    def __exit__(self, *_exc) -> None:
        async def close() -> None:
            self._server.close()
            for task in [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]:
                task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
