"""redact_url / redact_text, expand_env and target_url."""

from __future__ import annotations

import pytest

from danvan_workflow.adapters.channels import (
    MissingCredential,
    expand_env,
    redact_text,
    redact_url,
    target_url,
)
from danvan_workflow.errors import UserError


@pytest.mark.parametrize(
    ("url", "hidden", "kept"),
    [
        (
            "mailtos://user:S3cret-pass@mail.example.vn?to=a@b.vn",
            ["S3cret-pass"],
            ["mailtos://user:****@mail.example.vn", "to=a@b.vn"],
        ),
        (
            "dvzbot://12345:AbCdEf_token@chat9?base=http://127.0.0.1:8080",
            ["12345", "AbCdEf_token"],
            ["dvzbot://****@chat9", "base=http"],
        ),
        ("dvzoa://oa-token-value@5551234", ["oa-token-value"], ["@5551234"]),
        (
            "json://hooks.example.vn/x?+Authorization=Bearer%20xyz789&+X-Api-Key=k-1234",
            ["xyz789", "k-1234"],
            ["+Authorization=****", "+X-Api-Key=****"],
        ),
        (
            "jsons://h/x?%2BX-Token=abcd1234&access_token=tok-5678&apikey=key-9999&method=POST",
            ["abcd1234", "tok-5678", "key-9999"],
            ["method=POST"],
        ),
        (
            "json://h/x?base=http://proxyuser:proxy-pass@proxy:3128",
            ["proxy-pass"],
            ["proxyuser"],
        ),
    ],
)
def test_redact_url(url: str, hidden: list[str], kept: list[str]) -> None:
    redacted = redact_url(url)
    for secret in hidden:
        assert secret not in redacted
    for part in kept:
        assert part in redacted


def test_redact_url_keeps_env_references() -> None:
    url = "dvzoa://${ZALO_OA_TOKEN}@123?secret=${ZALO_SECRET}"
    assert redact_url(url) == url


def test_redact_text() -> None:
    text = "token=abc%2Fdef rejected; token abc/def also"
    assert redact_text(text, ["abc/def", None, "x"]) == "token=**** rejected; token **** also"


def test_expand_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANVAN_TEST_TOKEN", "gia-tri-bi-mat")
    assert expand_env("dvzoa://${DANVAN_TEST_TOKEN}@1") == "dvzoa://gia-tri-bi-mat@1"
    assert expand_env("json://h/x") == "json://h/x"


def test_expand_env_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANVAN_SET", "gia-tri-bi-mat")
    monkeypatch.delenv("DANVAN_UNSET", raising=False)
    with pytest.raises(MissingCredential) as info:
        expand_env("mailtos://u:${DANVAN_SET}@h?x=${DANVAN_UNSET}")
    assert isinstance(info.value, UserError)
    assert info.value.name == "DANVAN_UNSET"
    assert "DANVAN_UNSET" in str(info.value)
    assert "gia-tri-bi-mat" not in str(info.value)


@pytest.mark.parametrize(
    ("kind", "base", "contact", "expected"),
    [
        (
            "email",
            "mailtos://u:p@h?from=a@b.vn&to=old@x.vn&+X-A=1",
            "new@x.vn",
            "mailtos://u:p@h?from=a@b.vn&+X-A=1&to=new@x.vn",
        ),
        ("email", "mailto://h", "a@b.vn", "mailto://h?to=a@b.vn"),
        ("zalo_bot", "dvzbot://1:tok@placeholder?base=http://x", "c9", "dvzbot://1:tok@c9?base=http://x"),
        ("zalo_bot", "dvzbot://1:tok", "c9", "dvzbot://1:tok@c9"),
        ("zalo_oa", "dvzoa://tok@_", "555", "dvzoa://tok@555"),
        ("zalo_zns", "dvzns://tok?template=7", "+84 912-345-678", "dvzns://tok@84912345678?template=7"),
        ("webhook", "json://h/x", "ignored", "json://h/x"),
    ],
)
def test_target_url(kind: str, base: str, contact: str, expected: str) -> None:
    assert target_url(kind, base, contact) == expected


def test_target_url_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError):
        target_url("sms", "x://y", "1")
