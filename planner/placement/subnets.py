"""IPv4 address arithmetic for integration subnets: sizes, free ranges, proposals, address-space additions.

Pure and offline. Every search sorts and merges the taken ranges once, then walks them with
aligned jumps, so a proposal costs O(n log n) in the ranges of one VNet, never a scan of addresses:
the planner runs it for tens of thousands of apps.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network

__all__ = [
    "AZURE_RESERVED_ADDRESSES",
    "MIN_PREFIXLEN",
    "RECOMMENDED_PREFIXLEN",
    "RFC1918_BLOCKS",
    "Proposal",
    "addresses_needed",
    "find_free",
    "ipv6_prefixes",
    "is_rfc1918",
    "new_vnet_range",
    "overlaps_any",
    "parse_prefixes",
    "prefixlen_for",
    "propose",
    "space_addition",
]

# azure-facts §4: Azure keeps 5 addresses of every subnet; the integration subnet must be /28 or
# larger; Microsoft recommends /26 (and requires it for multi-plan subnet join).
AZURE_RESERVED_ADDRESSES = 5
MIN_PREFIXLEN = 28
RECOMMENDED_PREFIXLEN = 26

RFC1918_BLOCKS: tuple[IPv4Network, ...] = (
    IPv4Network("10.0.0.0/8"),
    IPv4Network("172.16.0.0/12"),
    IPv4Network("192.168.0.0/16"),
)

# A merged, sorted list of inclusive integer ranges, plus their starts for bisect.
_Ranges = tuple[list[int], list[int]]


@dataclass(frozen=True)
class Proposal:
    """A proposed integration subnet and why that size and place were chosen."""

    prefix: IPv4Network
    reason: str


def parse_prefixes(values: Iterable[str]) -> list[IPv4Network]:
    """Parse address prefixes, keeping IPv4 ones in input order and skipping IPv6 ones.

    A prefix with host bits set (``10.0.0.1/24``) raises ValueError: silently moving it to its
    network would plan around a range the user did not write. The caller turns the ValueError
    into an InputError naming the file and field.
    """
    result: list[IPv4Network] = []
    for value in values:
        net = _parse_one(value)
        if isinstance(net, IPv4Network):
            result.append(net)
    return result


def ipv6_prefixes(values: Iterable[str]) -> list[IPv6Network]:
    """The IPv6 prefixes among ``values`` (regional integration wants a VNet without IPv6 space)."""
    result: list[IPv6Network] = []
    for value in values:
        net = _parse_one(value)
        if isinstance(net, IPv6Network):
            result.append(net)
    return result


def _parse_one(value: str) -> IPv4Network | IPv6Network:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an address prefix string")
    text = value.strip()
    try:
        return ip_network(text, strict=True)
    except ValueError as exc:
        # ipaddress says "... has host bits set" or "does not appear to be an IPv4 or IPv6 network".
        raise ValueError(f"invalid address prefix {value!r}: {exc}") from None


def addresses_needed(max_instances: int, windows_container_apps: int = 0) -> int:
    """Addresses an integration subnet needs: ``2 * max_instances * (1 + windows_container_apps) + 5``.

    azure-facts §4 (VNI-DOC): regional integration takes one address per plan instance; a scale
    operation temporarily doubles the need (hence the factor 2, also Microsoft's rule of thumb);
    Windows containers take one extra address per app per instance; Azure reserves 5 per subnet.
    """
    if isinstance(max_instances, bool) or not isinstance(max_instances, int) or max_instances < 0:
        raise ValueError(f"max_instances must be a whole number >= 0, got {max_instances!r}")
    if (
        isinstance(windows_container_apps, bool)
        or not isinstance(windows_container_apps, int)
        or windows_container_apps < 0
    ):
        raise ValueError(
            f"windows_container_apps must be a whole number >= 0, got {windows_container_apps!r}"
        )
    return 2 * max_instances * (1 + windows_container_apps) + AZURE_RESERVED_ADDRESSES


def prefixlen_for(addresses: int) -> int:
    """The prefix length of the smallest subnet holding ``addresses`` addresses, never above /28."""
    if isinstance(addresses, bool) or not isinstance(addresses, int) or addresses < 1:
        raise ValueError(f"addresses must be a whole number >= 1, got {addresses!r}")
    if addresses > 1 << 32:
        raise ValueError(f"{addresses} addresses do not fit in IPv4")
    # (addresses - 1).bit_length() is ceil(log2(addresses)) for addresses >= 1, without float rounding.
    return min(MIN_PREFIXLEN, 32 - (addresses - 1).bit_length())


def is_rfc1918(net: IPv4Network | IPv6Network) -> bool:
    """True if ``net`` lies wholly inside 10/8, 172.16/12 or 192.168/16.

    Not ``IPv4Network.is_private``: that also accepts 100.64/10, 169.254/16 and more, which the
    gateway-required troubleshooting guide does not (azure-facts §9, check 1).
    """
    if not isinstance(net, IPv4Network):
        return False
    return any(net.subnet_of(block) for block in RFC1918_BLOCKS)


def overlaps_any(net: IPv4Network, nets: Iterable[IPv4Network | IPv6Network]) -> bool:
    """True if ``net`` shares at least one address with any IPv4 prefix in ``nets``."""
    start, end = int(net.network_address), int(net.broadcast_address)
    for other in nets:
        if (
            isinstance(other, IPv4Network)
            and int(other.network_address) <= end
            and int(other.broadcast_address) >= start
        ):
            return True
    return False


def find_free(
    space: Sequence[IPv4Network], taken: Sequence[IPv4Network], prefixlen: int
) -> IPv4Network | None:
    """The lowest aligned /``prefixlen`` inside ``space`` that overlaps nothing in ``taken``.

    ``space`` may hold several prefixes (tried in ascending address order); ``taken`` may hold
    ranges outside the space, ranges overlapping each other and ranges larger than the one wanted.
    """
    _check_prefixlen(prefixlen)
    ranges = _merge(taken)
    for block in sorted(_ipv4_only(space), key=_sort_key):
        if prefixlen < block.prefixlen:
            continue
        found = _first_free(int(block.network_address), int(block.broadcast_address), prefixlen, ranges)
        if found is not None:
            return IPv4Network((found, prefixlen))
    return None


def propose(
    space: Sequence[IPv4Network],
    taken: Sequence[IPv4Network],
    needed_addresses: int,
    preferred_prefixlen: int = RECOMMENDED_PREFIXLEN,
) -> Proposal | None:
    """Propose an integration subnet in ``space`` for ``needed_addresses`` addresses, or None if none fits.

    Microsoft recommends /26: it is used when it holds the need and fits. A bigger need gets the
    size it needs. When a /26 does not fit, the largest smaller size that still holds the need
    (never smaller than /28) is used, and the reason says so.
    """
    _check_prefixlen(preferred_prefixlen)
    needed_len = prefixlen_for(needed_addresses)
    ranges = _merge(taken)
    blocks = sorted(_ipv4_only(space), key=_sort_key)

    if needed_len < preferred_prefixlen:
        found = _find_in(blocks, ranges, needed_len)
        if found is None:
            return None
        return Proposal(
            found,
            f"needs {needed_addresses} addresses, more than a /{preferred_prefixlen} holds: "
            f"/{needed_len} ({_size(needed_len)} addresses)",
        )

    found = _find_in(blocks, ranges, preferred_prefixlen)
    if found is not None:
        recommended = (
            " (Microsoft's recommended size)" if preferred_prefixlen == RECOMMENDED_PREFIXLEN else ""
        )
        return Proposal(
            found,
            f"/{preferred_prefixlen}{recommended}: {_size(preferred_prefixlen)} addresses "
            f"for {needed_addresses} needed",
        )
    for smaller in range(preferred_prefixlen + 1, needed_len + 1):
        found = _find_in(blocks, ranges, smaller)
        if found is not None:
            return Proposal(
                found,
                f"no free /{preferred_prefixlen} in the address space; /{smaller} ({_size(smaller)} "
                f"addresses) is the largest free size and holds the {needed_addresses} needed, "
                "with less room to scale out",
            )
    return None


def space_addition(
    avoid: Sequence[IPv4Network] | RangeSet, prefixlen: int, near: Sequence[IPv4Network]
) -> IPv4Network:
    """The smallest address-space addition for a full VNet: a free /``prefixlen`` to add to it.

    Taken from the RFC1918 block holding the VNet's first prefix (``near[0]``; 10/8 if there is
    none or it is not RFC1918): the lowest free aligned range at or after the end of ``near[0]``,
    else the lowest free one in that block, else the other RFC1918 blocks in order. ``avoid``
    holds every range that must not overlap: all tenant VNets' spaces, classic VNets, point-to-site
    pools, on-premises ranges. Raises ValueError if all of RFC1918 is taken.
    """
    _check_prefixlen(prefixlen)
    ranges = _merge(avoid)
    first = next(iter(_ipv4_only(near)), None)
    home = _block_of(first) if first is not None else None
    blocks = [home] + [b for b in RFC1918_BLOCKS if b != home] if home else list(RFC1918_BLOCKS)
    if first is not None and home is not None and prefixlen >= home.prefixlen:
        start = int(first.broadcast_address) + 1
        found = _first_free(start, int(home.broadcast_address), prefixlen, ranges)
        if found is not None:
            return IPv4Network((found, prefixlen))
    result = _find_in(blocks, ranges, prefixlen)
    if result is None:
        raise ValueError(f"no free /{prefixlen} left in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
    return result


def new_vnet_range(avoid: Sequence[IPv4Network] | RangeSet, prefixlen: int = 24) -> IPv4Network:
    """The lowest free /``prefixlen`` in 10/8, then 172.16/12, then 192.168/16, clear of ``avoid``.

    Raises ValueError if all three blocks are taken at that size.
    """
    _check_prefixlen(prefixlen)
    found = _find_in(list(RFC1918_BLOCKS), _merge(avoid), prefixlen)
    if found is None:
        raise ValueError(f"no free /{prefixlen} left in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
    return found


# --- internals -------------------------------------------------------------------------------------


def _check_prefixlen(prefixlen: int) -> None:
    if isinstance(prefixlen, bool) or not isinstance(prefixlen, int) or not 0 <= prefixlen <= 32:
        raise ValueError(f"prefix length must be 0..32, got {prefixlen!r}")


def _size(prefixlen: int) -> int:
    return 1 << (32 - prefixlen)


def _sort_key(net: IPv4Network) -> tuple[int, int]:
    return int(net.network_address), net.prefixlen


def _ipv4_only(nets: Iterable[IPv4Network | IPv6Network]) -> list[IPv4Network]:
    return [n for n in nets if isinstance(n, IPv4Network)]


def _block_of(net: IPv4Network) -> IPv4Network | None:
    for block in RFC1918_BLOCKS:
        if net.subnet_of(block):
            return block
    return None


class RangeSet:
    """Merged, sorted IPv4 ranges that grow one prefix at a time.

    The tenant-wide list of taken ranges is consulted for every full VNet and every new VNet; keeping
    it merged (insert with bisect) avoids re-sorting the whole tenant on each call, which made
    placement grow with the square of the tenant's size.
    """

    def __init__(self, nets: Iterable[IPv4Network | IPv6Network] = ()) -> None:
        self.starts, self.ends = _merge(nets)

    def add(self, net: IPv4Network) -> None:
        start, end = int(net.network_address), int(net.broadcast_address)
        # Every range touching or overlapping [start, end] collapses into one.
        low = bisect.bisect_left(self.ends, start - 1)
        high = bisect.bisect_right(self.starts, end + 1)
        if low < high:
            start = min(start, self.starts[low])
            end = max(end, self.ends[high - 1])
        self.starts[low:high] = [start]
        self.ends[low:high] = [end]

    def __contains__(self, net: object) -> bool:
        if not isinstance(net, IPv4Network):
            return False
        start, end = int(net.network_address), int(net.broadcast_address)
        index = bisect.bisect_left(self.ends, start)
        return index < len(self.starts) and self.starts[index] <= end


def _merge(nets: Iterable[IPv4Network | IPv6Network] | RangeSet) -> _Ranges:
    """Sort once and merge overlapping or touching ranges, so every later walk jumps over each gap once."""
    if isinstance(nets, RangeSet):
        return nets.starts, nets.ends
    spans = sorted((int(n.network_address), int(n.broadcast_address)) for n in _ipv4_only(nets))
    starts: list[int] = []
    ends: list[int] = []
    for start, end in spans:
        if ends and start <= ends[-1] + 1:
            if end > ends[-1]:
                ends[-1] = end
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _first_free(low: int, high: int, prefixlen: int, ranges: _Ranges) -> int | None:
    """Start of the lowest aligned free block of /prefixlen within [low, high], or None."""
    size = _size(prefixlen)
    starts, ends = ranges
    candidate = -(-low // size) * size  # round up to the block alignment
    # The first merged range that ends at or after the candidate is the only one that can block it.
    index = bisect.bisect_left(ends, candidate)
    while candidate + size - 1 <= high:
        if index >= len(starts) or starts[index] > candidate + size - 1:
            return candidate
        # Overlap: jump to the first aligned start after this range, then skip the ranges the
        # jump passed (an aligned jump can step over several small ones).
        candidate = -(-(ends[index] + 1) // size) * size
        index = bisect.bisect_left(ends, candidate, index + 1)
    return None


def _find_in(blocks: Sequence[IPv4Network], ranges: _Ranges, prefixlen: int) -> IPv4Network | None:
    for block in blocks:
        if prefixlen < block.prefixlen:
            continue
        found = _first_free(int(block.network_address), int(block.broadcast_address), prefixlen, ranges)
        if found is not None:
            return IPv4Network((found, prefixlen))
    return None
