from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings

# A loopback public URL reaches no one but this machine: plain http there is a local trial
# (the compose file's default), not links mailed across the internet.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
ANY_ADDRESS = {"", "0.0.0.0", "::"}


class IdentitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_")
    service_name: str = "identity"
    http_port: int = 8101
    public_url: str = Field("", description="Where people reach identity (`https://...`): the base "
                            "of verification links and invitations. Required outside a test clock "
                            "(https unless the host is loopback). Empty on a test stack: "
                            "`http://<HTTP_HOST>:<HTTP_PORT>`. Never taken from a request's Host header.")
    sign_in_failures_per_client: int = Field(20, ge=1, description="Failed sign-ins one client address "
                                             "may make in 15 minutes, whatever e-mails it tries; then it "
                                             "is answered 429 until the quarter of an hour ends.")
    sign_in_failures_per_minute: int = Field(300, ge=1, description="Failed sign-ins the whole service "
                                             "accepts in a minute (a brake on guessing spread over many "
                                             "addresses); past it, every sign-in is answered 429 until "
                                             "the minute ends.")

    def resolved_public_url(self) -> str:
        """The base of every link identity mails. Only configuration decides it: a request's
        Host header is the caller's to forge, and a link built from it would carry a live
        verification token to the forger's host."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.http_host in ANY_ADDRESS else self.http_host
        return f"http://{host}:{self.http_port}"

    def production_problems(self) -> list[str]:
        return super().production_problems() + public_url_problems(self.public_url)


def public_url_problems(public_url: str) -> list[str]:
    """Why `public_url` cannot be the base of links mailed to real people (empty if it can)."""
    if not public_url:
        return ["IDENTITY_PUBLIC_URL is empty: verification and invitation links need the "
                "address people reach identity at (https://...)."]
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        return [f"IDENTITY_PUBLIC_URL {public_url!r} is not an absolute http(s) URL without query or "
                "fragment."]
    if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
        return [f"IDENTITY_PUBLIC_URL {public_url!r} is not https: mailed links carry single-use "
                "tokens, which must not travel in clear text."]
    return []
