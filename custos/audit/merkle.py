"""Merkle tree hashing as RFC 6962 defines it (and RFC 9162 restates it).

Pure functions over bytes; nothing here touches the database. The tree is
the one Certificate Transparency uses, so anyone can check Custos's
checkpoints with any RFC 6962 implementation:

- leaf hash ``SHA-256(0x00 || leaf)``, interior node ``SHA-256(0x01 || left || right)``;
- the Merkle Tree Hash (MTH) of ``n > 1`` leaves splits them at ``k``, the
  largest power of two smaller than ``n``: ``MTH(D[0:k])`` on the left and
  ``MTH(D[k:n])`` on the right; the MTH of no leaves is ``SHA-256("")``.

A proof is a list of subtree hashes. Which subtrees a proof holds depends
only on the tree sizes and the leaf index, never on the data, so
``inclusion_ranges`` and ``consistency_ranges`` name them as half-open leaf
ranges ``(start, end)`` and the hashes can be filled in from leaves streamed
once (``RangeHasher``), without holding the whole log in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

_sha256 = hashlib.sha256
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Range = tuple[int, int]


def leaf_hash(leaf: bytes) -> bytes:
    """``SHA-256(0x00 || leaf)``."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


class CompactTree:
    """A tree that grows one leaf at a time, holding only O(log n) hashes.

    It keeps the roots of the perfect subtrees that make up the tree, left
    to right, one for each bit set in its size (RFC 9162 calls this a
    compact range; it is also called the tree's frontier). Appending costs
    one leaf hash and, on average, one node hash; the root folds them from
    the right, exactly as the MTH splits.
    """

    __slots__ = ("_nodes", "size")

    def __init__(self) -> None:
        self.size = 0
        self._nodes: list[bytes] = []

    @classmethod
    def from_frontier(cls, size: int, frontier: Sequence[bytes]) -> CompactTree:
        """Rebuild a tree of ``size`` leaves from its frontier (see ``frontier``)."""
        if size < 0 or len(frontier) != size.bit_count():
            raise ValueError("a frontier holds one hash for each bit set in the tree size")
        if any(len(h) != HASH_SIZE for h in frontier):
            raise ValueError("frontier hashes are 32 bytes")
        tree = cls()
        tree.size = size
        tree._nodes = list(frontier)
        return tree

    def append(self, leaf: bytes) -> bytes:
        """Add one leaf (its data, not its hash); returns the leaf hash."""
        hashed = _sha256(b"\x00" + leaf).digest()
        self.append_hash(hashed)
        return hashed

    def append_hash(self, hashed: bytes) -> None:
        """Add one leaf whose leaf hash is already known."""
        node, size, nodes = hashed, self.size, self._nodes
        while size & 1:  # merge equal-sized perfect subtrees: node_hash, inlined (the hot loop)
            node = _sha256(b"\x01" + nodes.pop() + node).digest()
            size >>= 1
        nodes.append(node)
        self.size += 1

    def root(self) -> bytes:
        """The MTH of the leaves appended so far."""
        if not self._nodes:
            return EMPTY_ROOT
        node = self._nodes[-1]
        for left in reversed(self._nodes[:-1]):
            node = node_hash(left, node)
        return node

    def frontier(self) -> list[bytes]:
        """The perfect subtrees' roots, largest (leftmost) first."""
        return list(self._nodes)

    def frontier_ranges(self) -> list[Range]:
        """The leaf range each frontier hash covers, in the same order."""
        ranges, start = [], 0
        for bit in reversed(range(self.size.bit_length())):
            if self.size >> bit & 1:
                ranges.append((start, start + (1 << bit)))
                start += 1 << bit
        return ranges

    def copy(self) -> CompactTree:
        return CompactTree.from_frontier(self.size, self._nodes)


def mth(leaves: Iterable[bytes]) -> bytes:
    """The Merkle Tree Hash of the leaves (their data), in order."""
    tree = CompactTree()
    for leaf in leaves:
        tree.append(leaf)
    return tree.root()


def mth_of_hashes(leaf_hashes: Iterable[bytes]) -> bytes:
    """The Merkle Tree Hash of leaves given by their leaf hashes."""
    tree = CompactTree()
    for hashed in leaf_hashes:
        tree.append_hash(hashed)
    return tree.root()


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtrees an inclusion proof (audit path) holds, leaf side first.

    RFC 6962 section 2.1.1: ``PATH(m, D[n])``. The ranges are disjoint and
    none contains leaf ``index``.
    """
    if not 0 <= index < size:
        raise ValueError("the leaf index must be smaller than the tree size")
    path: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start += k
    path.reverse()
    return path


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The subtrees a consistency proof between two tree sizes holds.

    RFC 6962 section 2.1.2: ``PROOF(m, D[n]) = SUBPROOF(m, D[n], true)``.
    Empty when ``old_size`` is 0 or equals ``new_size``. Every range lies
    wholly before ``old_size`` (and is then one of the old tree's frontier
    subtrees) or wholly after it.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError("a consistency proof needs 0 <= old size <= new size")
    if old_size in (0, new_size):
        return []
    ranges: list[Range] = []
    start, m, n, complete = 0, old_size, new_size, True
    while m != n:
        k = _split(n)
        if m <= k:
            ranges.append((start + k, start + n))
            n = k
        else:
            ranges.append((start, start + k))
            start, m, n, complete = start + k, m - k, n - k, False
    if not complete:
        ranges.append((start, start + m))
    ranges.reverse()
    return ranges


class RangeHasher:
    """Computes the MTH of several disjoint leaf ranges from leaves streamed once, in order."""

    def __init__(self, ranges: Iterable[Range]) -> None:
        self._ranges = sorted(set(ranges))
        for (_, end), (start, _) in zip(self._ranges, self._ranges[1:], strict=False):
            if start < end:
                raise ValueError("ranges overlap")
        self._next = 0
        self._tree: CompactTree | None = None
        self.hashes: dict[Range, bytes] = {}

    def feed(self, index: int, hashed: bytes) -> None:
        """Offer leaf ``index`` (its leaf hash); leaves must come in order."""
        while self._next < len(self._ranges) and self._ranges[self._next][1] <= index:
            self._next += 1  # a range ended before this leaf without being filled: left for ``result``
        if self._next == len(self._ranges):
            return
        start, end = self._ranges[self._next]
        if index < start:
            return
        if self._tree is None:
            self._tree = CompactTree()
        self._tree.append_hash(hashed)
        if index == end - 1:
            if self._tree.size == end - start:
                self.hashes[(start, end)] = self._tree.root()
            self._tree = None
            self._next += 1

    def result(self, ranges: Sequence[Range]) -> list[bytes]:
        """The hashes of ``ranges``, in that order; raises if a range was not fully fed."""
        missing = [r for r in ranges if r not in self.hashes]
        if missing:
            raise ValueError(f"leaves {missing[0][0]}..{missing[0][1] - 1} were not all given")
        return [self.hashes[r] for r in ranges]


def _hash_ranges(ranges: Sequence[Range], leaf_hashes: Sequence[bytes]) -> list[bytes]:
    return [mth_of_hashes(leaf_hashes[start:end]) for start, end in ranges]


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of all ``leaves`` (their data)."""
    hashes = [leaf_hash(leaf) for leaf in leaves]
    return _hash_ranges(inclusion_ranges(index, len(hashes)), hashes)


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The proof that the tree of the first ``old_size`` leaves is a prefix of the tree of all ``leaves``."""
    hashes = [leaf_hash(leaf) for leaf in leaves]
    return _hash_ranges(consistency_ranges(old_size, len(hashes)), hashes)


def consistency_proof_from_frontier(old: CompactTree, new_leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """A consistency proof from ``old`` to ``old`` extended by ``new_leaf_hashes``.

    Needs only the old tree's frontier and the new leaves, which is what a
    checkpoint keeps, so the log before the previous checkpoint is not read.
    """
    m = old.size
    n = m + len(new_leaf_hashes)
    known = dict(zip(old.frontier_ranges(), old.frontier(), strict=True))
    proof = []
    for start, end in consistency_ranges(m, n):
        if end <= m:
            proof.append(known[(start, end)])
        elif start >= m:
            proof.append(mth_of_hashes(new_leaf_hashes[start - m : end - m]))
        else:  # pragma: no cover - RFC 6962 proofs never straddle the old size
            raise AssertionError("a consistency proof subtree straddles the old tree size")
    return proof


def root_from_inclusion_proof(*, index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]) -> bytes | None:
    """The root an inclusion proof leads to, or None if its shape is wrong (RFC 9162 section 2.1.3.2)."""
    if not 0 <= index < size or len(leaf_hash) != HASH_SIZE:
        return None
    fn, sn, node = index, size - 1, leaf_hash
    for sibling in proof:
        if sn == 0 or len(sibling) != HASH_SIZE:
            return None
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return node


def verify_inclusion(*, index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """True if ``proof`` shows the leaf with ``leaf_hash`` is leaf ``index`` of the tree with ``root``."""
    return root_from_inclusion_proof(index=index, size=size, leaf_hash=leaf_hash, proof=proof) == root


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True if ``proof`` shows the tree ``old_root`` is a prefix of the tree ``new_root`` (RFC 9162 section 2.1.4.2)."""
    if not 0 <= old_size <= new_size:
        return False
    if any(len(h) != HASH_SIZE for h in proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is itself a node of the new tree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
