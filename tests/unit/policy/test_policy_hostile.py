"""The policy loader against hostile and random input: a valid policy or one PolicyError,
fast, never another exception; and names that nest refused."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geoproxy.errors import PolicyError
from geoproxy.policy.catalog import Catalog
from geoproxy.policy.loader import MAX_POLICY_BYTES, load_policy

VALID = """\
version: 1
applications:
  - name: shop
    zone: example.com
    record: origin.example.com
    source_regions: [us-east-1, eu-west-1]
    pops:
      us-east-1: {target: a-1.us-east-1.elb.amazonaws.com, failover_to: eu-west-1}
      eu-west-1: {target: b-2.eu-west-1.elb.amazonaws.com}
    force: {eu-west-1: us-east-1}
    compliance:
      - {name: gdpr, sources: ["eu-*"], allowed_pops: ["eu-*", "us-*"]}
"""

LAUGHS = (
    "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{chr(98 + level)}: &{chr(98 + level)} [{', '.join(['*' + chr(97 + level)] * 10)}]\n"
        for level in range(8)
    )
    + "version: *i\n"
)


def load_text(tmp_path: Path, text: str, catalog: Catalog, name: str = "p.yaml") -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    load_policy(path, catalog)


def test_the_billion_laughs_is_refused_fast(tmp_path: Path, catalog: Catalog) -> None:
    assert len(LAUGHS) < 1024  # a 1 KB file that would expand to 10**9 values
    started = time.process_time()
    with pytest.raises(PolicyError) as error:
        load_text(tmp_path, LAUGHS, catalog)
    assert time.process_time() - started < 5  # a bound for a hang, not a benchmark
    assert "once aliases are expanded" in str(error.value)


def test_an_oversized_file_is_refused_at_the_limit(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (MAX_POLICY_BYTES + 1))
    with pytest.raises(PolicyError) as error:
        load_policy(path, catalog)
    assert "larger than 1,048,576 bytes" in str(error.value)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000 + "]" * 5000,
        "a:\n" + "".join("  " * level + f"k{level}:\n" for level in range(1, 80)),
    ],
)
def test_deep_nesting_is_refused(tmp_path: Path, catalog: Catalog, text: str) -> None:
    with pytest.raises(PolicyError) as error:
        load_text(tmp_path, text, catalog)
    assert "levels deep" in str(error.value)


@pytest.mark.parametrize(
    "text",
    [
        "a: &a [*a]\n",  # a recursive alias
        "? [a, b]\n: c\n",  # a key that is a list
        "version: 2001-13-45\n",  # a timestamp that does not exist
        "version: !!python/object:os.system x\n",  # a tag the safe loader refuses
        "<<: {a: 1}\nversion: 1\n",  # a merge key outside a mapping merge
        "\x00",
        "version: 1\napplications: [{name: [1]}]\n",
    ],
)
def test_odd_yaml_gives_one_policy_error(tmp_path: Path, catalog: Catalog, text: str) -> None:
    with pytest.raises(PolicyError):
        load_text(tmp_path, text, catalog)


def test_nested_records_are_refused_naming_both(tmp_path: Path, catalog: Catalog) -> None:
    outer = VALID.replace("name: shop", "name: outer").replace(
        "record: origin.example.com", "record: shop.example.com"
    )
    inner = (
        VALID.split("applications:\n")[1]
        .replace("name: shop", "name: inner")
        .replace("record: origin.example.com", "record: origin.shop.example.com")
    )
    with pytest.raises(PolicyError) as error:
        load_text(tmp_path, outer + inner, catalog)
    [issue] = error.value.issues
    assert issue.dotted_path() == "applications[1].record"
    assert (
        "origin.shop.example.com lies below shop.example.com, the record of application 'outer'"
        in issue.message
        and "'inner'" in issue.message
    )


# --- property-based: random documents and mutations of a valid policy ------------------------

yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
yaml_documents = st.recursive(
    yaml_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)


def _outcome(tmp_path: Path, text: str, catalog: Catalog) -> None:
    with contextlib.suppress(PolicyError):  # the one acceptable failure; any other fails
        load_text(tmp_path, text, catalog)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@pytest.mark.slow
@given(document=yaml_documents)
def test_random_documents(tmp_path: Path, catalog: Catalog, document: object) -> None:
    _outcome(tmp_path, yaml.safe_dump(document), catalog)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_text(tmp_path: Path, catalog: Catalog, data: st.DataObject) -> None:
    _outcome(tmp_path, data.draw(st.text(max_size=200)), catalog)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    position=st.integers(0, len(VALID) - 1),
    length=st.integers(0, 12),
    insert=st.text(alphabet=":-[]{}&*!|>#'\" \n\tabc01,.", max_size=8),
)
def test_mutations_of_a_valid_policy(
    tmp_path: Path, catalog: Catalog, position: int, length: int, insert: str
) -> None:
    _outcome(tmp_path, VALID[:position] + insert + VALID[position + length :], catalog)


def test_the_unmutated_policy_is_valid(tmp_path: Path, catalog: Catalog) -> None:
    load_text(tmp_path, VALID, catalog)
