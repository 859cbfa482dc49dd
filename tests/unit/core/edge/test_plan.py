"""The edge fence's plan: the function's two stages, its table read back from the code, and
its associations with the distribution's behaviours."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from geoproxy.core.edge import function as edgefunction
from geoproxy.core.edge.behaviours import (
    associate,
    fenced_behaviours,
    function_arn,
    runs_geoproxy_function,
)
from geoproxy.core.edge.fence import edge_fence
from geoproxy.core.edge.function import FenceTable, edge_function
from geoproxy.core.edge.plan import FunctionPlan, FunctionUpdate, LiveFunction
from geoproxy.core.managed_fields import FieldChange, differences, viewer_function
from geoproxy.core.names import FUNCTION_PREFIX, function_name, origin_id
from tests import builders
from tests.builders import GDPR, example_application

ARN = "arn:aws:cloudfront::123456789012:function/geoproxy-default-shop-aaed7988"
NAME = "geoproxy-default-shop-aaed7988"
# The example policy's application, its gdpr rule fencing viewers too, in front of a
# distribution.
FENCED = example_application(
    compliance=[{**GDPR, "viewer_countries": ["EU", "GB", "CH"]}],
    cloudfront={"distribution_id": "E2EXAMPLE123"},
)


@pytest.fixture
def function() -> edgefunction.EdgeFunction:
    compiled = builders.compiled(FENCED)
    app = compiled.loaded.policy.applications[0]
    fence = edge_fence(app, compiled.catalog, compiled.owner)
    assert fence is not None
    return edge_function(fence)


@pytest.fixture
def app() -> Any:
    return builders.compiled(FENCED).loaded.policy.applications[0]


def config(*behaviours: dict[str, Any], default_target: str = "geoproxy-shop") -> dict[str, Any]:
    return {
        "DefaultCacheBehavior": {"TargetOriginId": default_target},
        "CacheBehaviors": {"Quantity": len(behaviours), "Items": list(behaviours)},
    }


def test_a_geoproxy_function_is_known_by_its_name() -> None:
    def behaviour(arn: str) -> dict[str, Any]:
        return {
            "FunctionAssociations": {
                "Quantity": 1,
                "Items": [{"EventType": "viewer-request", "FunctionARN": arn}],
            }
        }

    assert function_name("default", "shop").startswith(FUNCTION_PREFIX)
    assert runs_geoproxy_function(behaviour(ARN))
    assert not runs_geoproxy_function(behaviour("arn:aws:cloudfront::1:function/auth-check"))
    assert not runs_geoproxy_function({})


def test_a_functions_arn_is_in_the_distributions_account() -> None:
    assert function_arn(NAME, "arn:aws:cloudfront::123456789012:distribution/E1") == ARN
    assert function_arn(NAME, "arn:aws-cn:cloudfront::123456789012:distribution/E1") == (
        ARN.replace("arn:aws:", "arn:aws-cn:")
    )
    # moto's form puts the account where the region goes: not AWS's, so not guessed at.
    assert function_arn(NAME, "arn:aws:cloudfront:123456789012:distribution/E1") is None
    assert function_arn(NAME, None) is None


def test_the_table_reads_back_from_the_code(function: edgefunction.EdgeFunction) -> None:
    table = FenceTable.of_code(function.code)
    assert table == FenceTable(
        function.fence.table, function.fence.fail_closed.pop if function.fence.fail_closed else None
    )
    assert FenceTable.of_code("function handler(event) { return event.request; }") is None
    assert FenceTable.of_code(None) is None
    moved = FenceTable({**table.countries, "DE": "eu-central-1"}, None)
    assert table.moves(moved) == [
        ("DE", table.countries["DE"], "eu-central-1"),
        ("(no header)", table.fail_closed, None),
    ]


@pytest.mark.parametrize(
    ("live", "create", "update", "publish"),
    [
        (LiveFunction(NAME), True, False, True),
        (LiveFunction(NAME, "old", "E1", "old"), False, True, True),
        (LiveFunction(NAME, "CODE", "E1", "old"), False, False, True),  # crashed before publish
        (LiveFunction(NAME, "CODE", "E1", "CODE"), False, False, False),
    ],
)
def test_the_two_stages_say_what_to_write(
    function: edgefunction.EdgeFunction,
    live: LiveFunction,
    create: bool,
    update: bool,
    publish: bool,
) -> None:
    live = LiveFunction(
        live.name,
        *(
            function.code if value == "CODE" else value
            for value in (live.development_code, live.development_etag, live.live_code)
        ),
    )
    plan = FunctionPlan("shop", function, live)
    assert (plan.create, plan.update, plan.publish) == (create, update, publish)
    assert plan.has_changes == (create or update or publish)


def test_the_saved_form_round_trips(function: edgefunction.EdgeFunction) -> None:
    update = FunctionUpdate.of(FunctionPlan("shop", function, LiveFunction(NAME, "old", "E1")))
    assert FunctionUpdate.from_json(update.to_json()) == update
    with pytest.raises(ValueError, match="runtime"):
        FunctionUpdate.from_json({**update.to_json(), "runtime": "cloudfront-js-1.0"})
    with pytest.raises(TypeError):
        FunctionUpdate.from_json({**update.to_json(), "development_etag": 7})


def test_every_behaviour_on_geoproxys_origin_is_fenced(app: Any) -> None:
    ours = {"PathPattern": "/api/*", "TargetOriginId": "geoproxy-shop-group"}
    theirs = {"PathPattern": "/static/*", "TargetOriginId": "assets"}
    found = fenced_behaviours(config(ours, theirs), app)
    assert [label for label, _ in found] == ["the default behaviour", "cache behaviour /api/*"]
    assert fenced_behaviours(config(theirs, default_target="legacy"), app) == []


def test_associating_sets_viewer_request_and_keeps_other_events(app: Any) -> None:
    response = {"EventType": "viewer-response", "FunctionARN": "arn:aws:cloudfront::1:function/x"}
    live = config(
        {
            "PathPattern": "/api/*",
            "TargetOriginId": "geoproxy-shop",
            "FunctionAssociations": {"Quantity": 1, "Items": [response]},
        },
        {"PathPattern": "/static/*", "TargetOriginId": "assets"},
    )
    new = copy.deepcopy(live)
    assert associate(new, app, NAME, ARN) == []
    api, static = new["CacheBehaviors"]["Items"]
    assert viewer_function(new["DefaultCacheBehavior"]) == ARN
    assert viewer_function(api) == ARN and response in api["FunctionAssociations"]["Items"]
    assert viewer_function(static) is None
    assert differences(live, new, origin_id(app)) == [
        FieldChange("CacheBehaviors[/api/*].FunctionAssociations", None, ARN),
        FieldChange("DefaultCacheBehavior.FunctionAssociations", None, ARN),
    ]
    # Without a fence (ARN None), geoproxy's function leaves; the user's stays.
    removed = copy.deepcopy(new)
    assert associate(removed, app, NAME, None) == []
    assert viewer_function(removed["DefaultCacheBehavior"]) is None
    assert removed["CacheBehaviors"]["Items"][0]["FunctionAssociations"]["Items"] == [response]


def test_a_foreign_viewer_function_or_lambda_is_a_conflict_and_kept(app: Any) -> None:
    theirs = "arn:aws:cloudfront::123456789012:function/auth-check"
    live = config(
        {
            "PathPattern": "/api/*",
            "TargetOriginId": "geoproxy-shop",
            "LambdaFunctionAssociations": {
                "Quantity": 1,
                "Items": [{"EventType": "viewer-request", "LambdaFunctionARN": "arn:lambda:1"}],
            },
        }
    )
    live["DefaultCacheBehavior"]["FunctionAssociations"] = {
        "Quantity": 1,
        "Items": [{"EventType": "viewer-request", "FunctionARN": theirs}],
    }
    new = copy.deepcopy(live)
    problems = associate(new, app, NAME, ARN)
    assert len(problems) == 2
    assert "auth-check" in problems[0] and "does not own" in problems[0]
    assert "Lambda@Edge" in problems[1] and "/api/*" in problems[1]
    assert viewer_function(new["DefaultCacheBehavior"]) == theirs
    assert differences(live, new, origin_id(app)) == []
