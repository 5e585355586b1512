"""Fuzz the inventory loader (through the whole offline plan) and the subnet arithmetic with atheris.

    .venv/bin/pip install atheris                      # not in the test extra: this is not run in CI
    .venv/bin/python benchmarks/fuzz.py                # every target, 120 s each
    .venv/bin/python benchmarks/fuzz.py --seconds 300 --targets subnets
    .venv/bin/python benchmarks/fuzz.py --replay DIR   # re-run saved findings (e.g. after a fix)

Targets (each runs in a subprocess of its own, coverage-guided by libFuzzer):

- `loader`: the fuzz input either becomes the bytes of an inventory file next to a small valid tenant,
  or drives structured mutations of that tenant (a field set to any JSON value, a huge or non-finite
  number, a prefix string, a changed id or type, a duplicate, a deleted resource), written in one of
  the inventory shapes. `planner.plan.pipeline.run_plan` must return a plan or raise InputError whose
  message is one line naming a file; anything else is a finding.
- `subnets`: address spaces, taken ranges, prefix lengths and needs decoded from the input go through
  `planner.placement.subnets` (parse_prefixes, find_free, propose, space_addition, new_vnet_range, RangeSet);
  results are checked against their contracts (aligned, inside the space, clear of every taken range,
  big enough, lowest) and, when the space is small, against a brute-force search.

A finding is an exception of a kind not seen before (type and raising line); its input is saved under
the output folder and the fuzzing goes on. Prints, per target: executions, seconds, executions per
second, findings. Exit code 1 when there are findings (or atheris is missing), else 0.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("loader", "subnets")
STATS_EVERY = 2.0  # seconds between stats files written by a worker


# ------------------------------------------------------------------------------------ bookkeeping


class Findings:
    """Counts executions and keeps one input per new kind of failure (exception type and line)."""

    def __init__(self, target: str, out: Path) -> None:
        self.target = target
        self.out = out / target
        self.out.mkdir(parents=True, exist_ok=True)
        self.stats_path = self.out / "stats.json"
        self.executions = 0
        self.kinds: dict[str, str] = {}
        self.started = time.monotonic()
        self._last_write = 0.0

    def record(self, data: bytes, error: BaseException) -> None:
        frames = traceback.extract_tb(error.__traceback__)
        frame = next(
            (fr for fr in reversed(frames) if "/planner/" in fr.filename), frames[-1] if frames else None
        )
        where = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "?"
        kind = f"{type(error).__name__} at {where}"
        if kind not in self.kinds:
            name = f"finding-{len(self.kinds) + 1:03d}"
            (self.out / f"{name}.bin").write_bytes(data)
            detail = "".join(traceback.format_exception(error))
            (self.out / f"{name}.txt").write_text(f"{kind}\n\n{detail}", encoding="utf-8")
            self.kinds[kind] = name
            self.write(force=True)

    def tick(self) -> None:
        self.executions += 1
        now = time.monotonic()
        if now - self._last_write > STATS_EVERY:
            self.write()

    def write(self, force: bool = False) -> None:
        self._last_write = time.monotonic()
        stats = {
            "target": self.target,
            "executions": self.executions,
            "seconds": round(time.monotonic() - self.started, 1),
            "findings": self.kinds,
        }
        tmp = self.stats_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(stats, indent=1), encoding="utf-8")
        os.replace(tmp, self.stats_path)


# ------------------------------------------------------------------------------------ loader target


PREFIXES = [
    "10.0.0.0/16",
    "10.0.0.0/33",
    "10.0.0.1/24",
    "300.1.1.1/24",
    "10.0.0.0",
    "",
    "0.0.0.0/0",
    "255.255.255.255/32",
    "::/0",
    "fd00::/64",
    "2001:db8::/129",
    "10.0.0.0/8, 172.16.0.0/12",
    "10.0.0.0/-1",
    "１０.0.0.0/16",
    "10.0.0.0/16\n",
    "172.16.0.0/12",
    "192.168.255.0/24",
]
BASE_APPS = 6


def base_tenant(work: Path) -> list[dict[str, Any]]:
    """A small valid synthetic tenant (planner.sample.synthetic), as a list of resources."""
    from planner.sample.synthetic import generate

    folder = work / "base"
    generate(BASE_APPS, 7, folder)
    resources: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.jsonl")):
        resources += [
            json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
    return resources


def _any_value(fdp: Any, depth: int = 0) -> Any:
    kind = fdp.ConsumeIntInRange(0, 11)
    if kind == 0:
        return None
    if kind == 1:
        return fdp.ConsumeBool()
    if kind == 2:
        return fdp.ConsumeInt(fdp.ConsumeIntInRange(1, 40))
    if kind == 3:
        return fdp.PickValueInList([math.nan, math.inf, -math.inf, 1e308, -0.0, 0.5, 2.0**63, 1e-320])
    if kind == 4:
        return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 64))
    if kind == 5:
        return fdp.PickValueInList(PREFIXES)
    if kind == 6:
        return [fdp.PickValueInList(PREFIXES) for _ in range(fdp.ConsumeIntInRange(0, 3))]
    if kind == 7 and depth < 3:
        return [_any_value(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 3))]
    if kind == 8 and depth < 3:
        return {
            fdp.ConsumeUnicodeNoSurrogates(8): _any_value(fdp, depth + 1)
            for _ in range(fdp.ConsumeIntInRange(0, 3))
        }
    if kind == 9:
        return fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 16))  # may hold lone surrogates
    if kind == 10:
        return str(fdp.ConsumeInt(fdp.ConsumeIntInRange(1, 64)))
    return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 4)) * fdp.ConsumeIntInRange(0, 3000)


NUMBER_PATHS = (
    ("sku", "capacity"),
    ("properties", "maximumNumberOfWorkers"),
    ("properties", "profiles", 0, "capacity", "maximum"),
)


def _has(root: Any, path: tuple[Any, ...]) -> bool:
    for part in path:
        if (isinstance(root, dict) and part in root) or (
            isinstance(root, list) and isinstance(part, int) and part < len(root)
        ):
            root = root[part]
        else:
            return False
    return True


def _set(root: Any, path: tuple[Any, ...], new: Any, delete: bool) -> None:
    for part in path[:-1]:
        root = root[part]
    if delete and isinstance(root, dict):
        root.pop(path[-1], None)
    else:
        root[path[-1]] = new


def _mutate(fdp: Any, resources: list[dict[str, Any]]) -> None:
    from factory import field_paths  # tests/factory.py: the mutation tests' helpers

    for _ in range(fdp.ConsumeIntInRange(1, 4)):
        if not resources:
            return
        index = fdp.ConsumeIntInRange(0, len(resources) - 1)
        resource = resources[index]
        op = fdp.ConsumeIntInRange(0, 6)
        if op == 0:  # any field to any value (or gone)
            paths = field_paths(resource, items=4)
            if paths:
                path = paths[fdp.ConsumeIntInRange(0, len(paths) - 1)]
                _set(resource, path, _any_value(fdp), fdp.ConsumeBool())
        elif op == 1:  # case of id and type
            for key in ("id", "type"):
                if isinstance(resource.get(key), str) and fdp.ConsumeBool():
                    resource[key] = fdp.PickValueInList([str.upper, str.lower, str.swapcase])(resource[key])
        elif op == 2:  # duplicate with a difference
            twin = json.loads(json.dumps(resource))
            paths = field_paths(twin, items=4)
            if paths:
                _set(twin, paths[fdp.ConsumeIntInRange(0, len(paths) - 1)], _any_value(fdp), False)
            resources.append(twin)
        elif op == 3:  # a dangling resource
            resources.pop(index)
        elif op == 4:  # a changed id segment
            rid = resource.get("id")
            if isinstance(rid, str):
                parts = rid.split("/")
                parts[fdp.ConsumeIntInRange(0, len(parts) - 1)] = fdp.ConsumeUnicodeNoSurrogates(12)
                resource["id"] = "/".join(parts)
        elif op == 5:  # properties replaced
            resource["properties"] = _any_value(fdp)
        else:  # an instance count (they size subnets) to any value
            for path in NUMBER_PATHS:
                if _has(resource, path) and fdp.ConsumeBool():
                    _set(resource, path, _any_value(fdp), False)


def loader_target(work: Path, findings: Findings) -> Any:
    from planner.core.errors import InputError
    from planner.plan.pipeline import run_plan
    from planner.render.registry import Format, write_outputs

    base = base_tenant(work)
    base_text = json.dumps(base)
    folder = work / "inventory"
    out = work / "out"

    def one_input(data: bytes) -> None:
        import atheris

        fdp = atheris.FuzzedDataProvider(data)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        mode = fdp.ConsumeIntInRange(0, 3)
        if mode == 0:  # raw bytes as one more file
            (folder / "base.json").write_text(base_text, encoding="utf-8")
            name = fdp.PickValueInList(["x.json", "x.jsonl", "manifest.json"])
            (folder / name).write_bytes(fdp.ConsumeBytes(fdp.remaining_bytes()))
        else:
            resources = json.loads(base_text)
            _mutate(fdp, resources)
            try:
                if mode == 1:
                    text = json.dumps(resources, ensure_ascii=fdp.ConsumeBool())
                    (folder / "r.json").write_text(text, encoding="utf-8", errors="surrogatepass")
                elif mode == 2:
                    lines = "\n".join(json.dumps(r) for r in resources)
                    (folder / "r.jsonl").write_text(lines, encoding="utf-8")
                else:
                    (folder / "r.json").write_text(json.dumps({"value": resources}), encoding="utf-8")
            except (ValueError, RecursionError):
                return  # not writable as JSON: not an input anyone can hand over
        findings.tick()
        try:
            plan = run_plan(folder)
        except InputError as error:
            message = str(error)
            if "\n" in message or str(folder) not in message:
                findings.record(data, AssertionError(f"InputError not one line naming a file: {message!r}"))
            return
        except Exception as error:
            findings.record(data, error)
            return
        try:
            json.dumps(plan, allow_nan=False, ensure_ascii=False).encode("utf-8")
        except (ValueError, TypeError) as error:
            findings.record(data, AssertionError(f"plan is not strict UTF-8 JSON: {error}"))
            return
        # The renderers, as `plan` runs them (the workbook, the slowest, every 16th time).
        formats = [Format.JSON, Format.CSV, Format.HTML, Format.SCRIPTS]
        if findings.executions % 16 == 0:
            formats.append(Format.XLSX)
        shutil.rmtree(out, ignore_errors=True)
        try:
            write_outputs(plan, out, formats)
        except Exception as error:
            findings.record(data, error)

    return one_input


# ------------------------------------------------------------------------------------ subnets target


def _brute_free(space: list[Any], taken: list[Any], prefixlen: int) -> Any:
    from ipaddress import IPv4Network

    from planner.placement.subnets import overlaps_any

    for block in sorted(space, key=lambda n: (int(n.network_address), n.prefixlen)):
        if prefixlen < block.prefixlen:
            continue
        size = 1 << (32 - prefixlen)
        for start in range(int(block.network_address), int(block.broadcast_address) + 1, size):
            candidate = IPv4Network((start, prefixlen))
            if not overlaps_any(candidate, taken):
                return candidate
    return None


def subnets_target(work: Path, findings: Findings) -> Any:
    from ipaddress import IPv4Network

    from planner.placement import subnets

    def network(fdp: Any, low_len: int) -> IPv4Network:
        prefixlen = fdp.ConsumeIntInRange(low_len, 32)
        address = fdp.ConsumeIntInRange(0, 2**32 - 1)
        return IPv4Network((address >> (32 - prefixlen) << (32 - prefixlen), prefixlen))

    def check(condition: bool, message: str) -> None:
        if not condition:
            raise AssertionError(message)

    def one_input(data: bytes) -> None:
        import atheris

        fdp = atheris.FuzzedDataProvider(data)
        findings.tick()
        try:
            texts = [fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 24)) for _ in range(2)]
            for text in texts:
                try:
                    subnets.parse_prefixes([text])
                    subnets.ipv6_prefixes([text])
                except ValueError:
                    pass
            small = fdp.ConsumeBool()  # small spaces are checked against brute force
            space = [network(fdp, 20 if small else 0) for _ in range(fdp.ConsumeIntInRange(0, 3))]
            taken = [network(fdp, 16) for _ in range(fdp.ConsumeIntInRange(0, 12))]
            prefixlen = fdp.ConsumeIntInRange(-2, 34)
            try:
                found = subnets.find_free(space, taken, prefixlen)
            except ValueError:
                check(not 0 <= prefixlen <= 32, f"find_free refused /{prefixlen}")
            else:
                if found is not None:
                    check(found.prefixlen == prefixlen, "find_free: wrong size")
                    check(any(found.subnet_of(b) for b in space), "find_free: outside the space")
                    check(not subnets.overlaps_any(found, taken), "find_free: overlaps a taken range")
                if small and prefixlen >= 20:
                    check(found == _brute_free(space, taken, prefixlen), "find_free: not the lowest free")
            needed = fdp.ConsumeIntInRange(-1, 2**33)
            preferred = fdp.ConsumeIntInRange(20, 30)
            try:
                proposal = subnets.propose(space, taken, needed, preferred)
            except ValueError:
                check(needed < 1 or needed > 2**32, f"propose refused {needed} addresses")
            else:
                if proposal is not None:
                    prefix = proposal.prefix
                    check(prefix.num_addresses >= min(needed, 16), "propose: too small")
                    check(prefix.prefixlen <= subnets.MIN_PREFIXLEN, "propose: smaller than /28")
                    check(any(prefix.subnet_of(b) for b in space), "propose: outside the space")
                    check(not subnets.overlaps_any(prefix, taken), "propose: overlaps a taken range")
            ranges = subnets.RangeSet()
            for net in taken:
                ranges.add(net)
            probe = network(fdp, 8)
            check(
                (probe in ranges) == subnets.overlaps_any(probe, taken),
                "RangeSet disagrees with overlaps_any",
            )
            addition_len = fdp.ConsumeIntInRange(8, 30)
            try:
                addition = subnets.space_addition(ranges, addition_len, space)
            except ValueError:
                pass
            else:
                check(subnets.is_rfc1918(addition), "space_addition: outside RFC1918")
                check(addition.prefixlen == addition_len, "space_addition: wrong size")
                check(not subnets.overlaps_any(addition, taken), "space_addition: overlaps")
            try:
                new = subnets.new_vnet_range(taken, fdp.ConsumeIntInRange(8, 30))
            except ValueError:
                pass
            else:
                check(subnets.is_rfc1918(new) and not subnets.overlaps_any(new, taken), "new_vnet_range")
        except Exception as error:
            findings.record(data, error)

    return one_input


# ------------------------------------------------------------------------------------ driver


def worker(target: str, seconds: int, out: Path, replay: Path | None) -> None:
    """Run one target in this process until libFuzzer's time budget ends."""
    import atheris

    work = Path(tempfile.mkdtemp(prefix=f"fuzz-{target}-"))
    findings = Findings(target, out)
    with atheris.instrument_imports(include=["planner"]):
        pass
    one_input = (loader_target if target == "loader" else subnets_target)(work, findings)
    if replay is not None:
        for path in sorted(replay.glob("*.bin")):
            one_input(path.read_bytes())
        findings.write(force=True)
        return
    corpus = work / "corpus"
    corpus.mkdir()
    (corpus / "seed").write_bytes(b"\x01" * 64)
    import atexit

    atexit.register(findings.write, True)
    args = [sys.argv[0], f"-max_total_time={seconds}", "-rss_limit_mb=4096", "-timeout=30"]
    args += [f"-artifact_prefix={findings.out}/", "-max_len=65536", str(corpus)]
    atheris.Setup(args, one_input)
    atheris.Fuzz()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=120, help="fuzzing time per target")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma list of: " + ", ".join(TARGETS))
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "vnet-planner-fuzz")
    parser.add_argument("--replay", type=Path, help="re-run the *.bin inputs of a findings folder")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("atheris is not installed: pip install atheris (Linux/macOS, CPython with libFuzzer)")
        return 1
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    if args.worker:
        worker(args.worker, args.seconds, args.out, args.replay)
        return 0
    total = 0
    print(f"{'target':<10} {'executions':>11} {'seconds':>8} {'exec/s':>8} {'findings':>9}")
    for target in args.targets.split(","):
        if target not in TARGETS:
            print(f"unknown target {target!r} (choose from {', '.join(TARGETS)})")
            return 2
        shutil.rmtree(args.out / target, ignore_errors=True)
        command = [
            sys.executable,
            __file__,
            "--worker",
            target,
            "--seconds",
            str(args.seconds),
            "--out",
            str(args.out),
        ]
        if args.replay:
            command += ["--replay", str(args.replay)]
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        stats_path = args.out / target / "stats.json"
        if not stats_path.exists():
            print(f"{target:<10} worker wrote no statistics (crashed before fuzzing?)")
            total += 1
            continue
        stats = json.loads(stats_path.read_text(encoding="utf-8"))
        rate = stats["executions"] / stats["seconds"] if stats["seconds"] else 0.0
        print(
            f"{target:<10} {stats['executions']:>11,} {stats['seconds']:>8.1f} {rate:>8.0f} {len(stats['findings']):>9}"
        )
        for kind, name in stats["findings"].items():
            print(f"    {name}: {kind}  ({args.out / target / name}.txt)")
        total += len(stats["findings"])
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
