"""`wrk` on the same machine, run and read: one JSON body posted over and over (`post`), or every body of a list
in turn with each answer checked to be a 200 with verdict VALID (`post_each`)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ledger.errors import ToolchainError

#: One body (its file's path formatted in), posted by every connection.
_ONE_BODY_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "rb")
wrk.body = f:read("*a")
f:close()
"""

#: One body per line of the file given after `--`; each thread starts at its own place and cycles through them.
#: Every answer is checked; `done` prints `HURONG answers=<n> rejected=<n>`.
_EACH_BODY_LUA = r"""
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  bodies = {}
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  position = (id * 7919) % #bodies
  answers = 0
  rejected = 0
end
function request()
  position = position % #bodies + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, bodies[position])
end
function response(status, headers, body)
  answers = answers + 1
  if status ~= 200 or not string.find(body, '"verdict":"VALID"', 1, true) then rejected = rejected + 1 end
end
function done(summary, latency, requests)
  local total, bad = 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("answers")
    bad = bad + thread:get("rejected")
  end
  io.write(string.format("HURONG answers=%d rejected=%d\n", total, bad))
end
"""


def latency_ms(text: str, label: str) -> float | None:
    """The latency percentile `label` (`50%`, `99%`) of wrk's `--latency` output, in milliseconds."""
    match = re.search(rf"^\s*{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not match:
        return None
    value, unit = float(match[1]), match[2]
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def _run(url: str, script: str, data: str, *, seconds: int, connections: int, threads: int) -> str:
    """Run wrk with the Lua `script` (`{body}` in it names the file holding `data`, also passed after `--`)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise ToolchainError("wrk is not installed: apt-get install wrk (scripts/setup.sh does)")
    with tempfile.TemporaryDirectory() as tmp:
        data_path = Path(tmp) / "bodies.json"
        data_path.write_text(data, encoding="utf-8")
        script_path = Path(tmp) / "post.lua"
        script_path.write_text(script.replace("{body}", str(data_path)), encoding="utf-8")
        argv = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script_path), url,
                "--", str(data_path)]  # fmt: skip
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120, check=False)
    if proc.returncode != 0:
        raise ToolchainError(f"wrk failed: {proc.stderr}")
    return proc.stdout


def _errors(text: str) -> dict[str, Any]:
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors:.*", text)
    return {"non_2xx": int(non2xx[1]) if non2xx else 0, "socket_errors": errors[0] if errors else None}


def _requests_per_second(text: str) -> float:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    return float(rps[1]) if rps else 0.0


def post(url: str, body: dict[str, Any], *, seconds: int, connections: int, threads: int) -> dict[str, Any]:
    """POST `body` to `url` for `seconds`: requests/s, p50/p99 latency (ms), non-2xx answers, socket errors."""
    data = json.dumps(body, ensure_ascii=False)
    text = _run(url, _ONE_BODY_LUA, data, seconds=seconds, connections=connections, threads=threads)
    completed = re.search(r"(\d+) requests in", text)
    return {
        "requests_per_second": _requests_per_second(text),
        "requests": int(completed[1]) if completed else 0,
        "p50_ms": latency_ms(text, "50%"),
        "p99_ms": latency_ms(text, "99%"),
        **_errors(text),
        "connections": connections,
        "seconds": seconds,
    }


def post_each(url: str, bodies: Sequence[dict[str, Any]], *, seconds: int, connections: int) -> dict[str, Any]:
    """POST every one of `bodies` in turn (not one body over and over), checking that each answer is a 200 with
    verdict VALID: the figures of `post`, plus the answers counted and those that were not VALID."""
    threads = max(1, min(2, connections))
    data = "".join(json.dumps(b, ensure_ascii=False) + "\n" for b in bodies)
    text = _run(url, _EACH_BODY_LUA, data, seconds=seconds, connections=connections, threads=threads)
    checked = re.search(r"HURONG answers=(\d+) rejected=(\d+)", text)
    return {
        "requests_per_second": round(_requests_per_second(text), 1),
        "p50_ms": latency_ms(text, "50%"),
        "p99_ms": latency_ms(text, "99%"),
        "answers": int(checked[1]) if checked else 0,
        "not_valid_answers": int(checked[2]) if checked else None,
        **_errors(text),
        "connections": connections,
        "threads": threads,
        "seconds": seconds,
        "distinct_certificates": len(bodies),
    }
