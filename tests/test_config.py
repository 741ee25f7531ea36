"""Call settings of their own: Limits (Timeout is tested with the client that takes it)."""

from __future__ import annotations

import pickle

import pytest

import smarter


class TestLimits:
    def test_the_defaults_are_the_documented_ones(self) -> None:
        """32 MiB bodies, 8 MiB events, 128 levels of JSON, 8 empty pages."""
        assert smarter.Limits() == smarter.Limits(
            max_response_bytes=32 * 1024 * 1024,
            max_event_bytes=8 * 1024 * 1024,
            max_json_depth=128,
            max_empty_pages=8,
        )

    @pytest.mark.parametrize("value", [0, -1])
    def test_values_below_one_are_refused(self, value: int) -> None:
        """A bound below 1: a ValueError naming it."""
        with pytest.raises(ValueError, match="max_json_depth must be 1 or more"):
            smarter.Limits(max_json_depth=value)

    @pytest.mark.parametrize("value", [1.5, "10", True, None])
    def test_values_that_are_not_ints_are_refused(self, value: object) -> None:
        """A bound that is not an int: a TypeError naming it."""
        with pytest.raises(TypeError, match="max_response_bytes must be an int"):
            smarter.Limits(max_response_bytes=value)  # type: ignore[arg-type]

    def test_immutable_hashable_picklable(self) -> None:
        """Limits cannot be changed in place, hash by value and survive pickling."""
        limits = smarter.Limits(max_empty_pages=3)

        with pytest.raises(AttributeError, match="immutable"):
            limits.max_empty_pages = 4  # type: ignore[misc]
        assert pickle.loads(pickle.dumps(limits)) == limits
        assert len({limits, smarter.Limits(max_empty_pages=3)}) == 1
        assert "max_empty_pages=3" in repr(limits)

    def test_clients_carry_them_through_with_options(self) -> None:
        """limits= on a client and on with_options(): kept, and refused if not a Limits."""
        limits = smarter.Limits(max_json_depth=16)
        with smarter.Client(api_key="k", limits=limits) as client:
            assert client.limits == limits
            assert client.with_options(max_retries=0).limits == limits
            other = smarter.Limits(max_json_depth=8)
            assert client.with_options(limits=other).limits == other
        with pytest.raises(TypeError, match=r"smarter\.Limits"):
            smarter.AsyncClient(api_key="k", limits={"max_json_depth": 1})  # type: ignore[arg-type]
