"""`geoproxy demo`: the whole story, run by the real CLI against an in-process AWS emulator.

The emulator (moto behind the strict layer, as `geoproxy sandbox` runs it) listens on
127.0.0.1 only, and the demo replaces any AWS credentials,
profile and endpoint in its own process with fake ones first, so it cannot reach real AWS
even on a machine that is logged in to it.
"""

from __future__ import annotations

import logging
import os
import shlex
import tempfile
from importlib.resources import files
from pathlib import Path

import click
from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from geoproxy.errors import GeoproxyError

DEMO_ZONE = "example.com"
NEW_POP = "      ap-northeast-1: {target: shop-apne1-321.ap-northeast-1.elb.amazonaws.com}\n"


def example_policy() -> str:
    return files("geoproxy").joinpath("examples/routing.yaml").read_text(encoding="utf-8")


def _isolate_from_real_aws(endpoint_url: str, scratch: Path) -> None:
    for variable in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        os.environ.pop(variable, None)
    empty = scratch / "empty-aws-config"
    empty.write_text("")
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "geoproxy-demo",
            "AWS_SECRET_ACCESS_KEY": "geoproxy-demo",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(empty),
            "AWS_SHARED_CREDENTIALS_FILE": str(empty),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL": endpoint_url,
            "GEOPROXY_POLL_INTERVAL": "0.2",
        }
    )


def run_demo(keep: Path | None, *, cli: click.Command, console: Console) -> int:
    """Tell the story by running `cli` (the real command group) step by step.

    Long on purpose: it is the demo's script, read top to bottom as the story it tells; each
    step is one call to the real CLI and the lines that introduce it."""

    def _run(step: str, *args: str) -> int:
        console.print()
        console.print(Rule(Text(step, style="bold"), align="left"))
        console.print(Text("$ geoproxy " + shlex.join(args), style="bold cyan"))
        code = cli.main(args=list(args), standalone_mode=False, prog_name="geoproxy")
        code = code if isinstance(code, int) else 0
        console.print(Text(f"(exit code {code})", style="dim"))
        return code

    try:
        from geoproxy.sandbox.strict import StrictMotoServer
    except ImportError:
        raise GeoproxyError(
            "the demo needs the moto emulator", hint="pip install 'geoproxy[demo]'"
        ) from None

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="geoproxy-demo-") as scratch_dir:
        workdir = keep or Path(scratch_dir)
        workdir.mkdir(parents=True, exist_ok=True)
        # The same emulator as `geoproxy sandbox` and the test suite: moto behind the strict
        # layer, so the demo shows what real Route 53 would do.
        server = StrictMotoServer(pending_polls=1).start()
        try:
            endpoint = server.endpoint_url
            _isolate_from_real_aws(endpoint, Path(scratch_dir))
            route53 = server.client("route53")
            zone = route53.create_hosted_zone(Name=DEMO_ZONE, CallerReference="geoproxy-demo")
            zone_id = zone["HostedZone"]["Id"].split("/")[-1]
            console.print(
                Text.assemble(
                    ("geoproxy demo", "bold"),
                    f": an AWS emulator is listening on {endpoint} (never real AWS).\n"
                    f"It holds one public hosted zone, {DEMO_ZONE} ({zone_id}). The policy below "
                    "routes origin.shop.example.com to three ALBs; Middle East traffic is forced "
                    "to the US, and EU sources may only reach EU PoPs (gdpr).",
                )
            )
            policy = workdir / "routing.yaml"
            policy.write_text(example_policy(), encoding="utf-8")
            console.print(Text(f"Policy: {policy}", style="dim"))
            codes = [
                _run(
                    "1. Where does each source region go, and why? (offline)",
                    "routes",
                    "-f",
                    str(policy),
                ),
                _run("2. What would change in Route 53?", "plan", "-f", str(policy)),
                _run(
                    "3. Apply it: one atomic change batch, then wait for INSYNC",
                    "apply",
                    "-f",
                    str(policy),
                    "--yes",
                ),
                _run(
                    "4. Plan again: nothing left to do (exit code 0 with --detailed-exitcode)",
                    "plan",
                    "-f",
                    str(policy),
                    "--detailed-exitcode",
                ),
            ]
            grown = workdir / "routing-tokyo.yaml"
            grown.write_text(_with_new_pop(example_policy()), encoding="utf-8")
            console.print()
            console.print(
                Text(
                    f"A new PoP opens in Tokyo: {grown} adds ap-northeast-1 to the pops. Only the "
                    "source regions that now have a nearer PoP move; every other record stays, "
                    "and the move is one atomic batch, so the name never stops answering.",
                )
            )
            codes.append(
                _run("5. Plan the new PoP", "plan", "-f", str(grown), "--detailed-exitcode")
            )
            codes.append(_run("6. Apply it", "apply", "-f", str(grown), "--yes"))
            codes.append(_run("7. And the routes now", "routes", "-f", str(grown)))
            console.print()
            console.print(
                Text(
                    "Disaster recovery: Dublin is down. Failing its traffic over to the US would "
                    "break the gdpr fence, so geoproxy refuses before writing anything; Tokyo can "
                    "take Singapore's traffic, and the failover is recorded in Route 53 itself."
                )
            )
            codes.append(
                _run(
                    "8. A failover that breaks compliance is refused",
                    "failover",
                    "-f",
                    str(grown),
                    "--from",
                    "eu-west-1",
                    "--to",
                    "us-east-1",
                    "--yes",
                )
            )
            codes.append(
                _run(
                    "9. Fail Singapore over to Tokyo",
                    "failover",
                    "-f",
                    str(grown),
                    "--from",
                    "ap-southeast-1",
                    "--to",
                    "ap-northeast-1",
                    "--yes",
                    "--reason",
                    "demo: Singapore maintenance",
                )
            )
            codes.append(
                _run(
                    "10. Plan still sees no changes: the failover is state, not drift",
                    "plan",
                    "-f",
                    str(grown),
                    "--detailed-exitcode",
                )
            )
            codes.append(
                _run("11. Fail back", "failback", "-f", str(grown), "ap-southeast-1", "--yes")
            )
        finally:
            server.stop()
    expected = [0, 0, 0, 0, 2, 0, 0, 1, 0, 0, 0]
    if codes != expected:
        raise GeoproxyError(
            f"the demo did not go as expected (exit codes {codes}, expected {expected})"
        )
    console.print()
    console.print(Text("Demo complete. Try `geoproxy --help` next.", style="bold green"))
    return 0


def _with_new_pop(policy_text: str) -> str:
    marker = "    pops:\n"
    if marker not in policy_text:
        raise GeoproxyError("the bundled example policy has no `pops:` block to extend")
    return policy_text.replace(marker, marker + NEW_POP, 1)
