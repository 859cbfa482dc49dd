"""The edge fence's CloudFront Function: its code, name and size, from an `EdgeFence`.

Pure, and deterministic: the same fence gives the same bytes (everything is sorted, and the
code carries no timestamp and no geoproxy version, so an upgrade that changes nothing in it
republishes nothing). What the code may use is what AWS documents for runtime
`cloudfront-js-2.0` (CloudFront Developer Guide, "JavaScript runtime 2.0 features for
CloudFront Functions": ES 5.1 plus `const`/`let`; "Helper methods for origin modification":
`import cf from 'cloudfront';` on the first line, and `cf.updateRequestOrigin()`, which
works in viewer-request functions only and keeps every origin setting not given). It is kept
plain: `var`, object literals, `typeof`, two `if`s. Node running it in the tests does not
prove the runtime accepts more than that.

Host and SNI are given explicitly. The same page, as quoted in issue 23, says `hostHeader`
defaults to the new `domainName` and `sni` to `hostHeader`; a third-party reading says a
forwarded viewer Host survives. Under the first, a fenced request would reach the ALB with
`Host: <pop>.<record>` while unfenced ones carry the viewer's Host or `<record>`: ALB host
rules and Host-built redirects would differ for fenced viewers only. So the call names both,
as what unfenced requests of the fenced behaviours carry (the policy's
`cloudfront.host_header`, which the pre-flight checks against those behaviours): the viewer's
Host (`viewer`), or the origin record (`origin`). One function serves every fenced behaviour
of an application, and the function cannot tell which behaviour runs it, so the behaviours
must agree; the pre-flight refuses those that do not (geoproxy/aws/edge_preflight.py).
(Not confirmed here: the search tool's copies of the page stop before the parameter table.)

Every string that comes from the policy is written as a JSON string literal (ASCII, escaped),
also inside comments, so no rule name can end a comment or a literal and become code.
"""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from dataclasses import dataclass

from geoproxy.core.edge.behaviours import FUNCTION_PREFIX
from geoproxy.core.edge.fence import EdgeFence
from geoproxy.core.managed_fields import EVENT_TYPE
from geoproxy.errors import GeoproxyError

RUNTIME = "cloudfront-js-2.0"
COUNTRY_HEADER = "cloudfront-viewer-country"  # CloudFront Functions see header names lower-case
# CloudFront's quota on a function's size is "10 KB" (Developer Guide, "Quotas", Quotas on
# CloudFront Functions: "Maximum function size"); the page does not say whether that is 10,000
# or 10,240 bytes, so geoproxy allows the smaller: what it accepts, CloudFront accepts.
MAX_FUNCTION_BYTES = 10_000
# CreateFunction's Name: 1-64 characters of [a-zA-Z0-9-_] (the API's FunctionName shape).
MAX_NAME = 64
_NAME_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")
# Bumped only when the shape of the generated code changes; the code names it, not the
# geoproxy version (see the module docstring).
FORMAT = 2  # 2: hostHeader and sni explicit
_WIDTH = 100


class EdgeFunctionTooLarge(GeoproxyError):
    """The generated function would exceed CloudFront's function size quota."""

    kind = "edge_function_too_large"


@dataclass(frozen=True)
class EdgeFunction:
    name: str
    runtime: str
    event_type: str
    code: str
    fence: EdgeFence

    @property
    def size_bytes(self) -> int:
        return len(self.code.encode("utf-8"))


def function_name(owner: str, app: str) -> str:
    """`geoproxy-<owner>-<app>-<hash>`: CloudFront's names allow only letters, digits, `-`
    and `_`, so the readable part maps `.` to `_`, and a hash of the exact (owner, app) pair
    keeps two pairs that read alike apart (`a-b`/`c` and `a`/`b-c`, `a.b` and `a_b`). Too
    long a readable part is cut so the whole stays within 64 characters, hash kept."""
    digest = hashlib.sha256(f"{owner}\0{app}".encode()).hexdigest()[:8]
    readable = _NAME_UNSAFE.sub("_", f"{FUNCTION_PREFIX}{owner}-{app}")
    return f"{readable[:MAX_NAME - len(digest) - 1]}-{digest}"


def _js(value: object) -> str:
    """A JavaScript literal for a policy value: JSON, ASCII only (JSON's escapes of U+2028
    and U+2029 included, which JavaScript reads as line ends)."""
    return json.dumps(value, ensure_ascii=True)


def _wrapped(prefix: str, words: list[str], indent: str = "//     ") -> list[str]:
    """`// prefix word word ...` folded at the line width, continuation lines indented."""
    return textwrap.wrap(" ".join(words), width=_WIDTH, initial_indent=prefix,
                         subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [prefix.rstrip()]


def _prose(text: str) -> list[str]:
    return textwrap.wrap(text, width=_WIDTH, initial_indent="// ", subsequent_indent="// ",
                         break_long_words=False, break_on_hyphens=False)


def _header(fence: EdgeFence) -> list[str]:
    lines = [
        *_prose(f"geoproxy edge fence for application {_js(fence.app)} (owner "
                f"{_js(fence.owner)}, origin record {_js(fence.record)}). Generated by geoproxy "
                f"(edge fence format {FORMAT}) from the policy's compliance rules and the active "
                "failovers; geoproxy replaces it on apply, failover and failback, so do not edit "
                f"it here. Review it with `geoproxy edge-function --app {fence.app}`."),
        "//",
        *_prose(f"Runtime {RUNTIME}, {EVENT_TYPE} event. A viewer whose "
                "CloudFront-Viewer-Country is fenced goes to the allowed PoP nearest that "
                "country, through the PoP's direct name <pop>.<record>, whatever edge serves "
                "the request. Viewers of other countries are left alone: DNS latency routing "
                "serves them."),
        "//",
        "// Compliance rules that fence viewer countries:",
    ]
    # The rules as written (groups unexpanded): the country lists below hold every country
    # once, and a function has 10 KB.
    for rule in fence.rules:
        lines += _wrapped(f"//   {_js(rule.name)}: PoPs {' '.join(map(_js, rule.allowed_pops))}"
                          "; viewer_countries ", list(rule.viewer_countries))
    lines.append("// Fenced country -> PoP:")
    by_pop: dict[str, list[str]] = {}
    for entry in fence.countries:
        by_pop.setdefault(entry.pop, []).append(entry.country)
    for pop in sorted(by_pop):
        lines += _wrapped(f"//   {pop} <- ", by_pop[pop])
    for failover in fence.failovers:
        override = (f" (compliance overridden: {_js(failover.override_compliance)})"
                    if failover.override_compliance else "")
        lines.append(f"// Active failover: {failover.from_pop} -> {failover.to_pop}{override}")
    if not fence.failovers:
        lines.append("// Active failovers: none.")
    closed = fence.fail_closed
    lines.append(
        f"// No country header: fail closed to {closed.pop} (allowed by every rule above)."
        if closed else
        "// No country header: left to latency routing (no PoP is allowed by every rule above).")
    return lines


def function_code(fence: EdgeFence) -> str:
    """The function's source, exactly the bytes to publish; refuses one over the quota."""
    origins = sorted({entry.pop for entry in fence.countries}
                     | ({fence.fail_closed.pop} if fence.fail_closed else set()))
    targets = {entry.pop: entry.target for entry in fence.countries}
    if fence.fail_closed:
        targets[fence.fail_closed.pop] = fence.fail_closed.target
    pairs = [f"{_js(entry.country)}: {_js(entry.pop)}" for entry in fence.countries]
    fenced = textwrap.wrap(", ".join(pairs), width=_WIDTH - 2, initial_indent="  ",
                           subsequent_indent="  ", break_long_words=False,
                           break_on_hyphens=False)
    closed = _js(fence.fail_closed.pop) if fence.fail_closed else "null"
    viewer_host = fence.host_header == "viewer"
    host_comment = (
        "// Host and SNI of a fenced request: the viewer's Host, as the fenced behaviours "
        "forward it\n// (cloudfront.host_header: viewer); the origin record if a request has "
        "none." if viewer_host else
        "// Host and SNI of a fenced request: the origin record, as the fenced behaviours do "
        "not\n// forward the viewer's (cloudfront.host_header: origin).")
    lines = [
        # AWS: this import must be the code's first line.
        "import cf from 'cloudfront';",
        "",
        *_header(fence),
        "",
        "// PoP -> its direct name.",
        "var ORIGINS = {",
        ",\n".join(f"  {_js(pop)}: {_js(targets[pop])}" for pop in origins),
        "};",
        "// Fenced country -> PoP.",
        "var FENCED = {",
        *fenced,
        "};",
        f"var FAIL_CLOSED = {closed};",
        host_comment,
        f"var ORIGIN_HOST = {_js(fence.record)};",
        f"var VIEWER_HOST = {'true' if viewer_host else 'false'};",
        "",
        "function handler(event) {",
        "  var request = event.request;",
        f"  var country = request.headers[{_js(COUNTRY_HEADER)}];",
        "  // A value not in FENCED (an unfenced country; or an inherited name such as",
        "  // 'constructor', which is not a string) leaves the request alone.",
        "  var pop = country ? FENCED[country.value] : FAIL_CLOSED;",
        "  if (typeof pop === 'string') {",
        "    var host = ORIGIN_HOST;",
        "    if (VIEWER_HOST && request.headers.host) {",
        "      host = request.headers.host.value;",
        "    }",
        "    cf.updateRequestOrigin({ domainName: ORIGINS[pop], hostHeader: host, sni: host });",
        "  }",
        "  return request;",
        "}",
    ]
    code = "\n".join(lines) + "\n"
    size = len(code.encode("utf-8"))
    if size > MAX_FUNCTION_BYTES:
        raise EdgeFunctionTooLarge(
            f"{fence.app}: the edge fence's CloudFront Function would be {size:,} bytes, "
            f"{size - MAX_FUNCTION_BYTES:,} over CloudFront's function size quota "
            f"({MAX_FUNCTION_BYTES:,} bytes; nothing was published)",
            hint=f"{len(fence.countries)} countries are fenced by {len(fence.rules)} rule(s); "
                 "fence fewer countries, use fewer rules or shorter rule names")
    return code


def host_of_code(code: str) -> tuple[str, str] | None:
    """(host_header, origin record) read back from code geoproxy generated (format 2 on), for
    a saved plan's pre-flight; None for other code."""
    viewer = re.search(r"^var VIEWER_HOST = (true|false);$", code, re.MULTILINE)
    origin = re.search(r"^var ORIGIN_HOST = (\"[^\n]*\");$", code, re.MULTILINE)
    if not viewer or not origin:
        return None
    try:
        record = json.loads(origin.group(1))
    except ValueError:
        return None
    return ("viewer" if viewer.group(1) == "true" else "origin"), str(record)


def edge_function(fence: EdgeFence) -> EdgeFunction:
    """The function to publish for `fence`: its name, runtime, event and code."""
    return EdgeFunction(function_name(fence.owner, fence.app), RUNTIME, EVENT_TYPE,
                        function_code(fence), fence)


# --- the table read back: the parser of what function_code writes above ---------------------


@dataclass(frozen=True)
class FenceTable:
    """What a function routes: fenced country -> PoP, and where a request without a country
    goes (None: left to latency routing)."""

    countries: dict[str, str]
    fail_closed: str | None

    @staticmethod
    def of_code(code: str | None) -> FenceTable | None:
        """Read back from code geoproxy generated; None for code it did not (or no code)."""
        if not code:
            return None
        fenced = re.search(r"^var FENCED = (\{.*?\});$", code, re.MULTILINE | re.DOTALL)
        closed = re.search(r"^var FAIL_CLOSED = (.*);$", code, re.MULTILINE)
        if not fenced or not closed:
            return None
        try:
            countries = json.loads(fenced.group(1))
            fail_closed = json.loads(closed.group(1))
        except ValueError:
            return None
        if not isinstance(countries, dict) or not (fail_closed is None
                                                   or isinstance(fail_closed, str)):
            return None
        return FenceTable({str(k): str(v) for k, v in countries.items()}, fail_closed)

    def moves(self, other: FenceTable) -> list[tuple[str, str | None, str | None]]:
        """(country, PoP here, PoP there) for each country routed differently; the
        fail-closed route is the country "(no header)"."""
        moved: list[tuple[str, str | None, str | None]] = [
            (country, self.countries.get(country), other.countries.get(country))
            for country in sorted(set(self.countries) | set(other.countries))
            if self.countries.get(country) != other.countries.get(country)]
        if self.fail_closed != other.fail_closed:
            moved.append(("(no header)", self.fail_closed, other.fail_closed))
        return moved
