"""Tests for planner.placement.subnets: sizing, free-range search, proposals and address-space additions."""

from __future__ import annotations

import random
from ipaddress import IPv4Network, IPv6Network

import pytest

from planner.placement.subnets import (
    Proposal,
    addresses_needed,
    find_free,
    ipv6_prefixes,
    is_rfc1918,
    new_vnet_range,
    overlaps_any,
    parse_prefixes,
    prefixlen_for,
    propose,
    space_addition,
)


def nets(*values: str) -> list[IPv4Network]:
    return [IPv4Network(v) for v in values]


# --- parsing ---------------------------------------------------------------------------------------


def test_parse_prefixes_keeps_ipv4_in_order_and_skips_ipv6() -> None:
    values = ["10.1.0.0/16", "fd00:db8::/64", " 192.168.0.0/24 ", "2001:db8::/32"]
    assert parse_prefixes(values) == nets("10.1.0.0/16", "192.168.0.0/24")
    assert ipv6_prefixes(values) == [IPv6Network("fd00:db8::/64"), IPv6Network("2001:db8::/32")]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("10.0.0.1/24", "has host bits set"),
        ("10.0.0.0/33", "invalid address prefix"),
        ("not-a-prefix", "invalid address prefix"),
        ("fd00::1/64", "has host bits set"),
    ],
)
def test_parse_prefixes_rejects_bad_prefixes(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_prefixes(["10.0.0.0/24", value])


# --- sizing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instances", "windows_container_apps", "expected"),
    [
        (1, 0, 7),
        (3, 0, 11),  # the /28 limit: 11 usable addresses
        (16, 0, 37),
        (30, 0, 65),
        (10, 4, 105),  # VNI-DOC: 10 instances x (4 apps + 1) = 50, doubled, + 5
        (0, 0, 5),
    ],
)
def test_addresses_needed(instances: int, windows_container_apps: int, expected: int) -> None:
    assert addresses_needed(instances, windows_container_apps) == expected


@pytest.mark.parametrize(("instances", "apps"), [(-1, 0), (2, -1), (1.5, 0), (True, 0)])
def test_addresses_needed_rejects_bad_counts(instances: object, apps: object) -> None:
    with pytest.raises(ValueError):
        addresses_needed(instances, apps)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("addresses", "expected"),
    [(1, 28), (11, 28), (16, 28), (17, 27), (32, 27), (33, 26), (64, 26), (65, 25), (1 << 16, 16)],
)
def test_prefixlen_for(addresses: int, expected: int) -> None:
    assert prefixlen_for(addresses) == expected


@pytest.mark.parametrize("addresses", [0, -3, (1 << 32) + 1])
def test_prefixlen_for_rejects_impossible_sizes(addresses: int) -> None:
    with pytest.raises(ValueError):
        prefixlen_for(addresses)


# --- find_free -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("space", "taken", "prefixlen", "expected"),
    [
        pytest.param(["10.0.0.0/24"], [], 26, "10.0.0.0/26", id="empty-space"),
        pytest.param(["10.0.0.0/24"], ["10.0.0.0/27"], 26, "10.0.0.64/26", id="alignment"),
        pytest.param(["10.0.0.0/24"], ["10.0.0.0/27"], 27, "10.0.0.32/27", id="fills-gap-of-own-size"),
        pytest.param(
            ["10.0.0.0/24"],
            ["10.0.0.0/28", "10.0.0.16/28", "10.0.0.32/28"],
            28,
            "10.0.0.48/28",
            id="adjacent",
        ),
        pytest.param(
            ["10.0.0.0/24", "10.1.0.0/24"], ["10.0.0.0/24"], 26, "10.1.0.0/26", id="first-prefix-full"
        ),
        pytest.param(
            ["10.1.0.0/24", "10.0.0.0/24"], ["10.0.0.0/25"], 26, "10.0.0.128/26", id="space-tried-ascending"
        ),
        pytest.param(
            ["10.0.0.0/24"],
            ["192.168.0.0/16", "10.0.1.0/24", "9.0.0.0/8"],
            26,
            "10.0.0.0/26",
            id="taken-outside",
        ),
        pytest.param(
            ["10.0.0.0/24"],
            ["10.0.0.0/26", "10.0.0.32/27", "10.0.0.0/25", "10.0.0.100/32"],
            26,
            "10.0.0.128/26",
            id="overlapping-taken",
        ),
        pytest.param(["10.0.0.0/24"], ["10.0.0.0/16"], 28, None, id="taken-larger-than-space"),
        pytest.param(
            ["10.0.0.0/24"],
            ["10.0.0.0/26", "10.0.0.64/26", "10.0.0.128/26", "10.0.0.192/27", "10.0.0.224/28"],
            28,
            "10.0.0.240/28",
            id="last-slot",
        ),
        pytest.param(["10.0.0.0/27"], [], 26, None, id="space-smaller-than-wanted"),
        pytest.param(
            ["10.0.0.0/24"], ["10.0.0.60/30", "10.0.0.130/31"], 26, "10.0.0.64/26", id="small-holes"
        ),
        pytest.param(
            ["10.0.0.0/24"],
            ["10.0.0.5/32", "10.0.0.70/32", "10.0.0.140/32", "10.0.0.200/32"],
            26,
            None,
            id="every-slot-hit-once",
        ),
    ],
)
def test_find_free(space: list[str], taken: list[str], prefixlen: int, expected: str | None) -> None:
    found = find_free(nets(*space), nets(*taken), prefixlen)
    assert found == (IPv4Network(expected) if expected else None)


def test_find_free_skips_many_small_ranges_in_one_jump() -> None:
    # Eight /30s inside the first /26, then the rest free: an aligned jump passes all of them.
    taken = [IPv4Network(f"10.0.0.{i * 8}/30") for i in range(8)]
    assert find_free(nets("10.0.0.0/24"), taken, 26) == IPv4Network("10.0.0.64/26")


def brute_force(space: list[IPv4Network], taken: list[IPv4Network], prefixlen: int) -> IPv4Network | None:
    for block in sorted(space):
        if prefixlen < block.prefixlen:
            continue
        for candidate in block.subnets(new_prefix=prefixlen):
            if not any(candidate.overlaps(t) for t in taken):
                return candidate
    return None


def test_find_free_agrees_with_brute_force_on_random_layouts() -> None:
    rng = random.Random(20261129)
    for _ in range(300):
        space = [IPv4Network((0x0A000000 + rng.randrange(4) * 256, 24))]
        if rng.random() < 0.5:
            space.append(IPv4Network((0x0A000000 + 8 * 256 + rng.randrange(4) * 256, 24)))
        taken = [
            IPv4Network(
                (0x0A000000 + rng.randrange(16 * 256) // 4 * 4, rng.choice([26, 27, 28, 29, 30, 32])),
                strict=False,
            )
            for _ in range(rng.randrange(12))
        ]
        prefixlen = rng.choice([25, 26, 27, 28])
        assert find_free(space, taken, prefixlen) == brute_force(space, taken, prefixlen), (
            space,
            taken,
            prefixlen,
        )


def test_find_free_on_a_crowded_space() -> None:
    # 60,000 taken /28s, one in every /26 of 10/8: the search jumps from range to range (its speed is
    # measured by benchmarks/plan.py, not asserted here).
    base = int(IPv4Network("10.0.0.0/8").network_address)
    taken = [IPv4Network((base + i * 64, 28)) for i in range(60_000)]
    found = find_free(nets("10.0.0.0/8"), taken, 26)
    assert found == IPv4Network((base + 60_000 * 64, 26))


# --- propose ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("space", "taken", "needed", "expected", "reason_has"),
    [
        pytest.param(["10.0.0.0/24"], ["10.0.0.0/27"], 37, "10.0.0.64/26", "recommended", id="prefers-26"),
        pytest.param(["10.0.0.0/24"], [], 11, "10.0.0.0/26", "/26", id="small-need-still-26"),
        pytest.param(["10.0.0.0/24"], ["10.0.0.0/26"], 65, "10.0.0.128/25", "/25", id="needs-more-than-64"),
        pytest.param(
            ["10.0.0.0/24"],
            ["10.0.0.0/26", "10.0.0.64/26", "10.0.0.128/26", "10.0.0.192/27"],
            21,
            "10.0.0.224/27",
            "no free /26",
            id="falls-back-to-27",
        ),
        pytest.param(
            ["10.0.0.0/24"],
            ["10.0.0.0/26", "10.0.0.64/26", "10.0.0.128/26", "10.0.0.192/27", "10.0.0.224/28"],
            11,
            "10.0.0.240/28",
            "/28",
            id="falls-back-to-28",
        ),
        pytest.param(
            ["10.0.0.0/24", "10.0.1.0/24"],
            ["10.0.0.0/24", "10.0.1.0/27", "10.0.1.64/26"],
            37,
            "10.0.1.128/26",
            "recommended",
            id="multi-prefix-vnet-and-subnets",
        ),
    ],
)
def test_propose(space: list[str], taken: list[str], needed: int, expected: str, reason_has: str) -> None:
    proposal = propose(nets(*space), nets(*taken), needed)
    assert proposal is not None
    assert proposal.prefix == IPv4Network(expected)
    assert reason_has in proposal.reason
    assert str(needed) in proposal.reason


@pytest.mark.parametrize(
    ("space", "taken", "needed"),
    [
        pytest.param(["10.0.0.0/24"], ["10.0.0.0/24"], 11, id="vnet-full"),
        pytest.param(
            ["10.0.0.0/24"],
            ["10.0.0.0/26", "10.0.0.64/26", "10.0.0.128/26", "10.0.0.192/27", "10.0.0.224/28"],
            21,
            id="only-a-28-left-but-27-needed",
        ),
        pytest.param(["10.0.0.0/26"], [], 65, id="need-bigger-than-space"),
        pytest.param([], [], 11, id="no-space"),
    ],
)
def test_propose_returns_none_when_nothing_fits(space: list[str], taken: list[str], needed: int) -> None:
    assert propose(nets(*space), nets(*taken), needed) is None


def test_propose_ignores_ipv6_in_space_and_taken() -> None:
    space: list = [IPv6Network("fd00::/48"), IPv4Network("10.0.0.0/24")]
    taken: list = [IPv6Network("fd00::/64"), IPv4Network("10.0.0.0/26")]
    assert propose(space, taken, 20) == Proposal(
        IPv4Network("10.0.0.64/26"), "/26 (Microsoft's recommended size): 64 addresses for 20 needed"
    )


def test_proposal_is_frozen() -> None:
    proposal = Proposal(IPv4Network("10.0.0.0/26"), "x")
    with pytest.raises(AttributeError):
        proposal.reason = "y"  # type: ignore[misc]


# --- space_addition and new_vnet_range --------------------------------------------------------------


@pytest.mark.parametrize(
    ("avoid", "prefixlen", "near", "expected"),
    [
        pytest.param(["10.0.0.0/16"], 24, ["10.0.0.0/16"], "10.1.0.0/24", id="right-after-vnet"),
        pytest.param(
            ["10.0.0.0/16", "10.1.0.0/24", "10.1.1.0/24"],
            24,
            ["10.0.0.0/16"],
            "10.1.2.0/24",
            id="skips-other-vnets",
        ),
        pytest.param(
            ["10.0.0.0/16", "10.1.0.0/22"], 26, ["10.0.0.0/16"], "10.1.4.0/26", id="skips-p2s-pool-after-vnet"
        ),
        pytest.param(
            ["192.168.0.0/24", "192.168.1.0/24"],
            26,
            ["192.168.0.0/24"],
            "192.168.2.0/26",
            id="stays-in-192-168",
        ),
        pytest.param(
            ["172.31.255.0/24", "172.16.0.0/24"],
            24,
            ["172.31.255.0/24"],
            "172.16.1.0/24",
            id="wraps-to-lowest-in-block",
        ),
        pytest.param(
            ["100.64.0.0/16", "10.0.0.0/24"], 24, ["100.64.0.0/16"], "10.0.1.0/24", id="not-rfc1918-uses-10"
        ),
        pytest.param(["10.0.0.0/24"], 24, [], "10.0.1.0/24", id="no-near"),
        pytest.param(["192.168.0.0/16"], 26, ["192.168.0.0/16"], "10.0.0.0/26", id="block-full-next-block"),
    ],
)
def test_space_addition(avoid: list[str], prefixlen: int, near: list[str], expected: str) -> None:
    assert space_addition(nets(*avoid), prefixlen, nets(*near)) == IPv4Network(expected)


def test_space_addition_raises_when_rfc1918_is_full() -> None:
    with pytest.raises(ValueError, match="no free /24"):
        space_addition(nets("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"), 24, nets("10.0.0.0/16"))


@pytest.mark.parametrize(
    ("avoid", "prefixlen", "expected"),
    [
        ([], 24, "10.0.0.0/24"),
        (["10.0.0.0/16", "10.1.0.0/24"], 24, "10.1.1.0/24"),
        (["10.0.0.0/8"], 24, "172.16.0.0/24"),
        (["10.0.0.0/8", "172.16.0.0/12"], 22, "192.168.0.0/22"),
        (["10.0.0.0/9", "10.128.0.0/9"], 16, "172.16.0.0/16"),
    ],
)
def test_new_vnet_range(avoid: list[str], prefixlen: int, expected: str) -> None:
    assert new_vnet_range(nets(*avoid), prefixlen) == IPv4Network(expected)


def test_new_vnet_range_raises_when_full() -> None:
    with pytest.raises(ValueError):
        new_vnet_range(nets("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


# --- predicates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("10.0.0.0/8", True),
        ("10.255.255.0/24", True),
        ("172.16.0.0/12", True),
        ("172.31.255.0/24", True),
        ("172.32.0.0/16", False),
        ("172.15.0.0/16", False),
        ("172.0.0.0/8", False),  # straddles 172.16/12
        ("192.168.0.0/16", True),
        ("192.168.0.0/15", False),
        ("100.64.0.0/10", False),  # is_private, but not RFC1918
        ("169.254.0.0/16", False),
        ("8.8.8.0/24", False),
    ],
)
def test_is_rfc1918(prefix: str, expected: bool) -> None:
    assert is_rfc1918(IPv4Network(prefix)) is expected


def test_is_rfc1918_false_for_ipv6() -> None:
    assert is_rfc1918(IPv6Network("fd00::/8")) is False


@pytest.mark.parametrize(
    ("net", "others", "expected"),
    [
        ("10.0.0.0/24", ["10.0.1.0/24"], False),
        ("10.0.0.0/24", ["10.0.0.255/32"], True),
        ("10.0.0.0/24", ["10.0.0.0/8"], True),
        ("10.0.0.0/24", ["9.255.255.255/32", "10.0.1.0/32"], False),
        ("10.0.0.0/24", [], False),
    ],
)
def test_overlaps_any(net: str, others: list[str], expected: bool) -> None:
    assert overlaps_any(IPv4Network(net), nets(*others)) is expected


@pytest.mark.parametrize("seed", range(20))
def test_range_set_grown_one_prefix_at_a_time_equals_merging_all_at_once(seed: int) -> None:
    import random

    from planner.placement.subnets import RangeSet

    rng = random.Random(seed)
    nets = [
        IPv4Network(
            ((10 << 24) + (rng.randrange(0, 1 << 10) << 8), rng.choice([22, 24, 26, 28])), strict=False
        )
        for _ in range(60)
    ]
    grown = RangeSet()
    for network in nets:
        grown.add(network)
    at_once = RangeSet(nets)
    assert (grown.starts, grown.ends) == (at_once.starts, at_once.ends)
    assert all(network in grown for network in nets)
    assert new_vnet_range(grown, 24) == new_vnet_range(nets, 24)
