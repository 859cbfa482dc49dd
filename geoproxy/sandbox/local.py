"""`geoproxy sandbox`: the strict emulator on 127.0.0.1, seeded from a policy, until Ctrl-C.

It holds what the policy expects to find: each public hosted zone (with the policy's
`zone_id` when it gives one), for each `cloudfront` section a distribution with the
policy's `distribution_id`, an origin geoproxy does not own, an ISSUED ACM certificate
covering its aliases and, for an edge fence, an origin request policy that forwards the
viewer's country, and, with `recovery.switches: arc`, the ARC cluster the policy names
(the user's, which geoproxy never creates). moto picks random ids; they are changed to the
policy's here, in its backends, since the emulator runs in this process. It never
contacts AWS.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

from moto.cloudfront.models import cloudfront_backends
from moto.core.models import DEFAULT_ACCOUNT_ID as DEFAULT_ACCOUNT_ID
from moto.route53.models import route53_backends

from geoproxy.policy.models import Policy
from geoproxy.sandbox.strict import StrictMotoServer
from geoproxy.sandbox.strict.server import FAKE_AWS_ENV


@dataclass(frozen=True)
class ZoneSeed:
    name: str
    zone_id: str | None = None
    account_id: str = DEFAULT_ACCOUNT_ID  # the account of the application's `account:`


@dataclass(frozen=True)
class ClusterSeed:
    """The policy's ARC cluster (`recovery.arc.cluster_arn`) and the endpoints it
    bookmarks, if any (`recovery.arc.endpoints`)."""

    arn: str
    bookmarked: tuple[tuple[str, str], ...] = ()
    account_id: str = DEFAULT_ACCOUNT_ID  # the account of `recovery.arc.account`


@dataclass(frozen=True)
class DistributionSeed:
    distribution_id: str
    aliases: tuple[str, ...] = ()
    # For an edge fence: the default behaviour forwards CloudFront-Viewer-Country, as the
    # pre-flight requires of a real distribution before geoproxy publishes the fence.
    country_header: bool = False
    account_id: str = DEFAULT_ACCOUNT_ID  # the account of `cloudfront.account`


def account_id_of(policy: Policy, name: str | None) -> str:
    """The emulator account of an `accounts:` name: a role's (from its ARN); a profile's
    account is known only to AWS, so it, like no account at all, is the default one."""
    account = policy.accounts.get(name) if name else None
    return (account.account_id if account else None) or DEFAULT_ACCOUNT_ID


def policy_seeds(policy: Policy) -> tuple[list[ZoneSeed], list[DistributionSeed]]:
    """The zones and distributions a policy expects to find, each in the account its
    `account:` names: a role's (from its ARN); a profile's account is known only to AWS, so
    it, like no account at all, is the emulator's default one. One zone per name, with the
    id any application gives for it."""
    from geoproxy.core.edge.fence import has_viewer_fence

    apps = policy.applications
    zone_ids: dict[str, str | None] = {}
    for app in apps:
        zone_ids[app.zone] = zone_ids.get(app.zone) or (
            app.zone_id.split("/")[-1] if app.zone_id else None
        )
    zone_accounts = {app.zone: account_id_of(policy, app.account) for app in apps}
    zones = [ZoneSeed(name, zone_id, zone_accounts[name]) for name, zone_id in zone_ids.items()]
    distributions = [
        DistributionSeed(
            app.cloudfront.distribution_id,
            tuple(app.cloudfront.aliases),
            has_viewer_fence(app),
            account_id_of(policy, app.cloudfront.account),
        )
        for app in apps
        if app.cloudfront
    ]
    return zones, distributions


# AWS's managed origin request policy AllViewerAndCloudFrontHeaders-2022-06, which includes
# CloudFront-Viewer-Country (Developer Guide, "Use managed origin request policies").
COUNTRY_HEADER_POLICY = "33f36d7e-f396-46d9-90e0-52428a34d9dc"


def _zone(server: StrictMotoServer, seed: ZoneSeed) -> str:
    created: str = server.client_in_account("route53", seed.account_id).create_hosted_zone(
        Name=seed.name, CallerReference=f"sandbox-{seed.name}"
    )["HostedZone"]["Id"]
    zone_id = created.split("/")[-1]
    if seed.zone_id and seed.zone_id != zone_id:
        backend = route53_backends[seed.account_id]["global"]
        zone = backend.zones.pop(zone_id)
        zone.resource_id = seed.zone_id
        backend.zones[seed.zone_id] = zone
        zone_id = seed.zone_id
    return zone_id


def _distribution(server: StrictMotoServer, seed: DistributionSeed) -> str:
    origin = {
        "Id": "existing",
        "DomainName": "origin.sandbox.invalid",
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
        },
    }
    config: dict[str, object] = {
        "CallerReference": f"sandbox-{seed.distribution_id}",
        "Comment": "geoproxy sandbox",
        "Enabled": True,
        "Aliases": {"Quantity": 0},
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "existing",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    }
    if seed.country_header:
        behaviour = config["DefaultCacheBehavior"]
        assert isinstance(behaviour, dict)
        behaviour["OriginRequestPolicyId"] = COUNTRY_HEADER_POLICY
    if seed.aliases:
        config["ViewerCertificate"] = {
            "ACMCertificateArn": server.issue_certificate(
                *seed.aliases, account_id=seed.account_id
            ),
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        }
    client = server.client_in_account("cloudfront", seed.account_id)
    created = client.create_distribution(DistributionConfig=config)
    distribution_id = str(created["Distribution"]["Id"])
    backend = cloudfront_backends[seed.account_id]["global"]
    distribution = backend.distributions.pop(distribution_id)
    distribution.distribution_id = distribution.id = seed.distribution_id
    distribution.arn = distribution.arn.rsplit("/", 1)[0] + "/" + seed.distribution_id
    backend.distributions[seed.distribution_id] = distribution
    return seed.distribution_id


def seed_cluster(
    server: StrictMotoServer, cluster_arn: str, account_id: str = DEFAULT_ACCOUNT_ID
) -> dict[str, str]:
    """The policy's ARC cluster in the emulator, under the policy's own ARN (moto's is
    random), in the account that uses it (`recovery.arc.account`: a cluster shared to it
    through RAM is, to the emulator, its own); its five endpoints (region -> URL on
    127.0.0.1)."""
    from geoproxy.sandbox.strict.arc_model import CLUSTER_REGIONS, arc_state

    config = server.client_in_account(
        "route53-recovery-control-config", account_id, region_name="us-west-2"
    )
    created = config.create_cluster(ClusterName="geoproxy-sandbox")["Cluster"]["ClusterArn"]
    state = arc_state(account_id)
    with state.lock:
        cluster = state.clusters.pop(created)
        cluster.arn = cluster_arn
        state.clusters[cluster_arn] = cluster
        # The DefaultControlPanel ARC makes with every cluster follows it.
        for panel in state.panels.values():
            if panel.cluster_arn == created:
                panel.cluster_arn = cluster_arn
    cluster_id = cluster_arn.rpartition("/")[2]
    return {region: server.arc.endpoint_url(cluster_id, region) for region in CLUSTER_REGIONS}


def _say_cluster(server: StrictMotoServer, seed: ClusterSeed, say: Callable[[str], None]) -> None:
    endpoints = seed_cluster(server, seed.arn, seed.account_id)
    say(f"ARC cluster {seed.arn} with {len(endpoints)} endpoints")
    if dict(seed.bookmarked) == endpoints:
        say("The policy's recovery.arc.endpoints are this sandbox's.")
        return
    # `failover --via switches` asks no configuration API, so it reaches the cluster only
    # through the endpoints the policy bookmarks: they must be this sandbox's.
    say(
        "For `failover --via switches`, bookmark this sandbox's endpoints in the policy"
        + (" (replacing recovery.arc.endpoints):" if seed.bookmarked else ":")
    )
    say("    endpoints:")
    for region, url in sorted(endpoints.items()):
        say(f"      {region}: {url}")


def _in_account(account_id: str) -> str:
    """Where a seed is, when the policy's `accounts:` put it elsewhere than the default."""
    return "" if account_id == DEFAULT_ACCOUNT_ID else f" in account {account_id}"


def run(
    zones: list[ZoneSeed],
    distributions: list[DistributionSeed],
    port: int,
    say: Callable[[str], None],
    stop: threading.Event | None = None,
    clusters: tuple[ClusterSeed, ...] = (),
    change_history: bool = False,
) -> None:
    """Serve until Ctrl-C (or `stop`), after saying how to point geoproxy at it;
    `clusters`: the ARC clusters to stand up; `change_history`: each zone has Route 53's
    change history on."""
    with StrictMotoServer(pending_polls=1, port=port) as server:
        for zone in zones:
            zone_id = _zone(server, zone)
            if change_history:
                server.change_history.enable(zone_id)
            say(
                f"hosted zone {zone.name}: {zone_id}"
                + _in_account(zone.account_id)
                + (" (change history on)" if change_history else "")
            )
        for distribution in distributions:
            say(
                f"CloudFront distribution {_distribution(server, distribution)}"
                + _in_account(distribution.account_id)
                + (
                    f" with a certificate for {', '.join(distribution.aliases)}"
                    if distribution.aliases
                    else ""
                )
            )
        for cluster in clusters:
            _say_cluster(server, cluster, say)
        say("Paste into another shell (fake credentials; it answers on 127.0.0.1 only):")
        say(f"export AWS_ENDPOINT_URL={server.endpoint_url}")
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            say(f"export {key}={FAKE_AWS_ENV[key]}")
        say("unset AWS_PROFILE AWS_SESSION_TOKEN")
        stopping = stop or threading.Event()
        # Ctrl-C (or a TERM) sets the event instead of raising inside the server's locks;
        # installed before the last line, so a Ctrl-C as soon as it is read stops cleanly.
        handlers = {
            sig: signal.signal(sig, lambda *_: stopping.set())
            for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            say("The sandbox keeps its state until Ctrl-C.")
            while not stopping.wait(0.5):
                pass
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
        say("Sandbox stopped; its state is gone.")
