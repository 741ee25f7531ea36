"""Which redirects a call follows (the hostile-server tests run them over sockets)."""

from __future__ import annotations

import pytest
import yarl
from hypothesis import given
from hypothesis import strategies as st

from smarter._redirects import MAX_REDIRECTS, RedirectRefusedError, next_hop, same_origin

HTTPS = yarl.URL("https://api.example.com/v1/files")


class TestNextHop:
    @pytest.mark.parametrize("status", [307, 308])
    def test_a_post_keeps_its_method_on_307_and_308(self, status: int) -> None:
        """307 / 308 of a POST with a replayable body: followed, relative Location resolved."""
        assert next_hop("POST", HTTPS, status, "/v2/files", 0, True) == HTTPS.with_path("/v2/files")

    @pytest.mark.parametrize("status", [301, 302, 303])
    def test_a_post_turned_into_a_get_is_refused(self, status: int) -> None:
        """301 / 302 / 303 of a POST: refused, saying the method would change."""
        with pytest.raises(RedirectRefusedError, match="turns a POST into a GET"):
            next_hop("POST", HTTPS, status, "/v2/files", 0, True)

    def test_https_to_http_is_refused(self) -> None:
        """A redirect from https to plain http: refused, even for a GET, naming the target."""
        with pytest.raises(RedirectRefusedError, match="unencrypted") as caught:
            next_hop("GET", HTTPS, 308, "http://api.example.com/v1/files", 0, True)

        assert caught.value.target == "http://api.example.com/v1/files"

    def test_an_upload_is_not_sent_again(self) -> None:
        """A body streamed from a file cannot follow a redirect."""
        with pytest.raises(RedirectRefusedError, match="upload"):
            next_hop("POST", HTTPS, 307, "/v2/files", 0, False)

    def test_too_many_hops_are_refused(self) -> None:
        """Redirect number MAX_REDIRECTS + 1 is refused."""
        assert next_hop("GET", HTTPS, 302, "/a", MAX_REDIRECTS - 1, True).path == "/a"
        with pytest.raises(RedirectRefusedError, match=f"number {MAX_REDIRECTS + 1}"):
            next_hop("GET", HTTPS, 302, "/a", MAX_REDIRECTS, True)

    @pytest.mark.parametrize("location", [None, "", "ftp://host/x", "http://[::1"])
    def test_a_missing_or_odd_location_is_refused(self, location: str | None) -> None:
        """No Location, or one that is no http(s) URL: refused."""
        with pytest.raises(RedirectRefusedError):
            next_hop("GET", HTTPS, 302, location, 0, True)

    @given(st.text(max_size=40), st.sampled_from([301, 302, 303, 307, 308]))
    def test_any_location_is_followed_or_refused(self, location: str, status: int) -> None:
        """Whatever the Location holds: an http(s) URL on https, or a RedirectRefusedError."""
        try:
            target = next_hop("GET", HTTPS, status, location, 0, True)
        except RedirectRefusedError as refused:
            reasons = [refused.reason]
        else:
            reasons = [] if target.scheme == "https" and target.host else ["followed badly"]
        assert all(reasons)
        assert "followed badly" not in reasons


class TestSameOrigin:
    def test_scheme_host_and_port_decide(self) -> None:
        """Same scheme, host and port: same origin; any one different: not."""
        assert same_origin(HTTPS, HTTPS.with_path("/other"))
        assert not same_origin(HTTPS, HTTPS.with_host("evil.example.com"))
        assert not same_origin(HTTPS, HTTPS.with_port(8443))
        assert not same_origin(HTTPS, HTTPS.with_scheme("http"))
