"""The owning services as the portal calls them: the bearer token in a header, the caller's
Idempotency-Key on commands, pages of a list followed, refusals as typed problems."""

from __future__ import annotations

import httpx
import pytest

from portal.adapters.upstream import Upstream, UpstreamProblem


def upstream(handler) -> Upstream:
    return Upstream("subscriptions", "http://subscriptions", 5.0, httpx.MockTransport(handler))


async def test_a_read_carries_the_token_in_a_header_only():
    seen: list[httpx.Request] = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json=[])

    await upstream(handler).get("/subscriptions", "tok.en.value")

    assert seen[0].headers["authorization"] == "Bearer tok.en.value"
    assert "tok.en.value" not in str(seen[0].url)


async def test_a_command_carries_the_key_it_is_given():
    seen: list[httpx.Request] = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    answer = await upstream(handler).command("POST", "/subscriptions/s-1/activation", "t", "key-123", {"a": 1})

    assert answer.body == {"ok": True}
    assert seen[0].headers["idempotency-key"] == "key-123"
    assert seen[0].content == b'{"a":1}'


async def test_every_page_of_a_list_is_read():
    def handler(request):
        cursor = request.url.params.get("cursor")
        if cursor is None:
            return httpx.Response(200, json=[1, 2], headers={"X-Next-Cursor": "c2"})
        if cursor == "c2":
            return httpx.Response(200, json=[3], headers={"X-Next-Cursor": "c3"})
        return httpx.Response(200, json=[4])

    assert await upstream(handler).get_all("/subscriptions", "t", limit=2) == [1, 2, 3, 4]


async def test_a_refusal_becomes_a_problem_with_the_service_s_error_body():
    def handler(request):
        return httpx.Response(409, json={"code": "activation_window_closed", "message": "Too late (R8).", "rule": "R8"})

    with pytest.raises(UpstreamProblem) as refused:
        await upstream(handler).command("POST", "/subscriptions/s-1/activation", "t", "k")

    assert (refused.value.status, refused.value.code, refused.value.rule) == (409, "activation_window_closed", "R8")
    assert refused.value.message == "Too late (R8)."
    assert not refused.value.not_found


@pytest.mark.parametrize("status", [403, 404])
async def test_forbidden_and_unknown_are_one_problem(status):
    def handler(request):
        return httpx.Response(status, json={"code": "x", "message": "y"})

    with pytest.raises(UpstreamProblem) as refused:
        await upstream(handler).get("/subscriptions/s-1", "t")
    assert refused.value.not_found


async def test_a_service_that_cannot_be_reached_is_a_problem_too():
    def handler(request):
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(UpstreamProblem) as refused:
        await upstream(handler).get("/subscriptions", "t")
    assert (refused.value.status, refused.value.code) == (503, "unavailable")


async def test_an_answer_that_is_not_json_is_still_a_problem():
    def handler(request):
        return httpx.Response(502, text="<html>bad gateway</html>")

    with pytest.raises(UpstreamProblem) as refused:
        await upstream(handler).get("/subscriptions", "t")
    assert (refused.value.status, refused.value.code) == (502, "error")


async def test_issue15_a_document_is_read_no_further_than_its_bound():
    """An answer without a Content-Length is read a chunk at a time and given up past the bound."""
    sent: list[int] = []

    async def chunks():
        for number in range(100):
            sent.append(number)
            yield b"x" * 1024

    def handler(request):
        return httpx.Response(200, content=chunks(), headers={"content-type": "application/pdf"})

    with pytest.raises(UpstreamProblem) as refused:
        await upstream(handler).document("/invoices/i-1.pdf", "t", max_bytes=4096)

    assert refused.value.status == 502 and refused.value.code == "download_too_large"
    assert len(sent) <= 5  # not the 100 chunks offered


async def test_issue15_a_declared_length_over_the_bound_is_not_read():
    def handler(request):
        return httpx.Response(200, content=b"x" * 5000, headers={"content-type": "application/pdf"})

    with pytest.raises(UpstreamProblem) as refused:
        await upstream(handler).document("/invoices/i-1.pdf", "t", max_bytes=4096)
    answer = await upstream(handler).document("/invoices/i-1.pdf", "t", {"syntax": "ubl"}, max_bytes=5000)

    assert refused.value.code == "download_too_large"
    assert answer.content == b"x" * 5000 and answer.status == 200


async def test_issue15_a_refusal_of_a_bounded_document_is_the_service_s_problem():
    def handler(request):
        return httpx.Response(409, json={"code": "not_an_e_invoice", "message": "Too old.", "rule": None})

    with pytest.raises(UpstreamProblem) as refused:
        await upstream(handler).document("/invoices/i-1/e-invoice", "t", max_bytes=4096)

    assert (refused.value.status, refused.value.code, refused.value.message) == (409, "not_an_e_invoice", "Too old.")
