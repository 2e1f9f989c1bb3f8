"""RFC 6962 Merkle hashing and proofs, against the Certificate Transparency test vectors.

The vectors (leaves, roots for sizes 1 to 8, audit paths and consistency
proofs) are those of RFC 6962's reference implementation as carried in
transparency-dev/merkle, ``proof/verify_test.go``: agreeing with them means
any other RFC 6962 implementation can check Custos's checkpoints.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custos.audit.merkle import (
    EMPTY_ROOT,
    CompactTree,
    RangeHasher,
    consistency_proof,
    consistency_proof_from_frontier,
    consistency_ranges,
    inclusion_proof,
    inclusion_ranges,
    leaf_hash,
    mth,
    node_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]


def _h(*hexes: str) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


# (leaf number counting from 1, tree size, audit path)
INCLUSION_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        _h(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        _h(
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (3, 3, _h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (
        2,
        5,
        _h(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
]

# (old size, new size, proof)
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        _h(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        _h(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (
        2,
        5,
        _h(
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (
        6,
        7,
        _h(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
]

SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def reference_mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, written exactly as the RFC states it (recursive)."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + reference_mth(leaves[:k]) + reference_mth(leaves[k:])).digest()


def _leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]


def test_hashes_are_domain_separated_as_rfc_6962_says():
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"") == ROOTS[0]
    assert node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    assert leaf_hash(b"\x01" + b"a" * 32 + b"b" * 32) != node_hash(b"a" * 32, b"b" * 32)


@pytest.mark.parametrize("size", range(0, 9))
def test_root_matches_the_reference_root_for_every_size(size):
    expected = EMPTY_ROOT if size == 0 else ROOTS[size - 1]
    assert mth(LEAVES[:size]) == expected
    assert reference_mth(LEAVES[:size]) == expected


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION_VECTORS)
def test_inclusion_proofs_match_the_reference_paths(leaf, size, path):
    assert inclusion_proof(leaf - 1, LEAVES[:size]) == path
    assert verify_inclusion(
        index=leaf - 1, size=size, leaf_hash=leaf_hash(LEAVES[leaf - 1]), proof=path, root=ROOTS[size - 1]
    )


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS)
def test_consistency_proofs_match_the_reference_proofs(old, new, proof):
    assert consistency_proof(old, LEAVES[:new]) == proof
    assert verify_consistency(old_size=old, new_size=new, old_root=ROOTS[old - 1], new_root=ROOTS[new - 1], proof=proof)


def _inclusion_probes(index, size, proof, root, hashed):
    """Corruptions of a good proof, after transparency-dev/merkle's corruptInclusionProof."""
    probes = [
        (index - 1, size, root, hashed, proof),
        (index + 1, size, root, hashed, proof),
        (index ^ 2, size, root, hashed, proof),
        (index, size * 2, root, hashed, proof),
        (index, size // 2, root, hashed, proof),
        (index, size, root, b"WrongLeaf", proof),
        (index, size, EMPTY_ROOT, hashed, proof),
        (index, size, SOME_HASH, hashed, proof),
        (index, size, root, hashed, [*proof, b""]),
        (index, size, root, hashed, [*proof, root]),
        (index, size, root, hashed, [b"", *proof]),
        (index, size, root, hashed, [root, *proof]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((index, size, root, hashed, flipped))
    if proof:
        probes.append((index, size, root, hashed, proof[:-1]))
    if len(proof) > 1:
        probes.append((index, size, root, hashed, [proof[0], SOME_HASH, *proof[1:]]))
    return probes


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION_VECTORS[1:])
def test_tampered_inclusion_proofs_fail(leaf, size, path):
    index, hashed, root = leaf - 1, leaf_hash(LEAVES[leaf - 1]), ROOTS[size - 1]
    for probe_index, probe_size, probe_root, probe_leaf, probe_proof in _inclusion_probes(
        index, size, path, root, hashed
    ):
        assert not verify_inclusion(
            index=probe_index, size=probe_size, leaf_hash=probe_leaf, proof=probe_proof, root=probe_root
        ), (probe_index, probe_size, probe_proof)


@pytest.mark.parametrize(("old", "new", "proof"), [v for v in CONSISTENCY_VECTORS if v[2]])
def test_tampered_consistency_proofs_fail(old, new, proof):
    r1, r2 = ROOTS[old - 1], ROOTS[new - 1]
    probes = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, b"WrongRoot", r2, proof),
        (old, new, r1, b"WrongRoot", proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, b""]),
        (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [b"", *proof]),
        (old, new, r1, r2, [r1, *proof]),
        (old, new, r1, r2, [r2, *proof]),
        (old, new, r1, r2, [proof[0], *proof]),
        (old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((old, new, r1, r2, flipped))
    for m, n, a, b, p in probes:
        assert not verify_consistency(old_size=m, new_size=n, old_root=a, new_root=b, proof=p), (m, n, p)


def test_trivial_consistency_cases():
    assert verify_consistency(old_size=0, new_size=0, old_root=EMPTY_ROOT, new_root=EMPTY_ROOT, proof=[])
    assert verify_consistency(old_size=0, new_size=5, old_root=EMPTY_ROOT, new_root=ROOTS[4], proof=[])
    assert verify_consistency(old_size=3, new_size=3, old_root=ROOTS[2], new_root=ROOTS[2], proof=[])
    assert not verify_consistency(old_size=3, new_size=3, old_root=ROOTS[2], new_root=ROOTS[3], proof=[])
    assert not verify_consistency(old_size=3, new_size=3, old_root=ROOTS[2], new_root=ROOTS[2], proof=[EMPTY_ROOT])
    assert not verify_consistency(old_size=0, new_size=1, old_root=EMPTY_ROOT, new_root=ROOTS[0], proof=[EMPTY_ROOT])
    assert not verify_consistency(old_size=2, new_size=1, old_root=ROOTS[1], new_root=ROOTS[0], proof=[])
    assert consistency_ranges(0, 7) == []
    assert consistency_ranges(7, 7) == []


def test_single_leaf_inclusion_and_bad_shapes():
    hashed = leaf_hash(b"data")
    assert verify_inclusion(index=0, size=1, leaf_hash=hashed, proof=[], root=hashed)
    assert not verify_inclusion(index=0, size=1, leaf_hash=hashed, proof=[], root=b"")
    assert not verify_inclusion(index=0, size=1, leaf_hash=b"", proof=[], root=hashed)
    for index, size in ((0, 0), (1, 0), (2, 1)):
        assert root_from_inclusion_proof(index=index, size=size, leaf_hash=SOME_HASH, proof=[]) is None
    with pytest.raises(ValueError):
        inclusion_ranges(3, 3)
    with pytest.raises(ValueError):
        consistency_ranges(4, 3)


def test_compact_tree_round_trips_its_frontier():
    tree = CompactTree()
    for leaf in LEAVES[:7]:
        tree.append(leaf)
    assert tree.frontier_ranges() == [(0, 4), (4, 6), (6, 7)]
    rebuilt = CompactTree.from_frontier(7, tree.frontier())
    assert rebuilt.root() == ROOTS[6]
    rebuilt.append(LEAVES[7])
    assert rebuilt.root() == ROOTS[7]
    with pytest.raises(ValueError):
        CompactTree.from_frontier(7, tree.frontier()[:2])


def test_range_hasher_refuses_overlaps_and_reports_unfed_ranges():
    with pytest.raises(ValueError):
        RangeHasher([(0, 4), (2, 6)])
    hasher = RangeHasher([(0, 2), (4, 8)])
    for i, leaf in enumerate(LEAVES[:6]):
        hasher.feed(i, leaf_hash(leaf))
    assert hasher.result([(0, 2)]) == [ROOTS[1]]
    with pytest.raises(ValueError):
        hasher.result([(4, 8)])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=0, max_size=140))
def test_streamed_root_equals_the_recursive_definition(leaves):
    tree = CompactTree()
    for size, leaf in enumerate(leaves, start=1):
        tree.append(leaf)
        if size in (1, 2, 3, len(leaves)):
            assert tree.root() == reference_mth(leaves[:size])
    assert mth(leaves) == reference_mth(leaves)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=300), st.data())
def test_every_inclusion_proof_verifies_and_a_wrong_leaf_does_not(size, data):
    leaves = _leaves(size)
    root = mth(leaves)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = inclusion_proof(index, leaves)
    hashed = leaf_hash(leaves[index])
    assert verify_inclusion(index=index, size=size, leaf_hash=hashed, proof=proof, root=root)
    assert not verify_inclusion(index=index, size=size, leaf_hash=leaf_hash(b"other"), proof=proof, root=root)
    if size > 1:
        other = data.draw(st.integers(min_value=0, max_value=size - 1).filter(lambda i: i != index))
        assert not verify_inclusion(index=other, size=size, leaf_hash=hashed, proof=proof, root=root)
    streamed = RangeHasher(inclusion_ranges(index, size))
    for i, leaf in enumerate(leaves):
        streamed.feed(i, leaf_hash(leaf))
    assert streamed.result(inclusion_ranges(index, size)) == proof


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=300), st.data())
def test_every_consistency_proof_verifies_and_a_rewritten_prefix_does_not(new, data):
    old = data.draw(st.integers(min_value=0, max_value=new))
    leaves = _leaves(new)
    proof = consistency_proof(old, leaves)
    old_root, new_root = mth(leaves[:old]), mth(leaves)
    assert verify_consistency(old_size=old, new_size=new, old_root=old_root, new_root=new_root, proof=proof)
    # Built from the old tree's frontier and the new leaves only, as checkpoints do.
    tree = CompactTree()
    for leaf in leaves[:old]:
        tree.append(leaf)
    assert consistency_proof_from_frontier(tree, [leaf_hash(x) for x in leaves[old:]]) == proof
    if old:
        changed = data.draw(st.integers(min_value=0, max_value=old - 1))
        rewritten = list(leaves)
        rewritten[changed] = b"rewritten"
        assert not verify_consistency(
            old_size=old,
            new_size=new,
            old_root=old_root,
            new_root=mth(rewritten),
            proof=consistency_proof(old, rewritten),
        )
    if proof:
        position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        tampered = list(proof)
        tampered[position] = hashlib.sha256(tampered[position]).digest()
        assert not verify_consistency(old_size=old, new_size=new, old_root=old_root, new_root=new_root, proof=tampered)
