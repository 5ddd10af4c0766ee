"""YAML with limits: file size, nodes after alias expansion, characters after alias expansion.

PyYAML's safe loader builds objects only, but an alias is a reference, so a 641-byte file of
nested aliases ("billion laughs") expands — once any code walks or serialises it — to
hundreds of millions of characters, and a few hundred KB of aliased records to millions of
rows. :func:`load_limited` composes the node graph first, measures it *as if every alias were
expanded* (memoised, so the measuring is linear in the file), and refuses the file before
anything is constructed when a budget is exceeded.
"""

from __future__ import annotations

from typing import Any

from tui_agent.memory.formats import MemoryFileError

__all__ = ["MAX_YAML_BYTES", "MAX_YAML_CHARS", "MAX_YAML_NODES", "load_limited"]

MAX_YAML_BYTES = 64 * 1024**2
"""Largest YAML file read, bytes (REMEMBERER's published pools are under 100 KB)."""
MAX_YAML_NODES = 2_000_000
"""Most nodes (scalars, sequences, mappings) after alias expansion."""
MAX_YAML_CHARS = 128 * 1024**2
"""Most scalar characters after alias expansion."""


def load_limited(text: str, loader_class: type, name: str, *, max_nodes: int = MAX_YAML_NODES,
                 max_chars: int = MAX_YAML_CHARS) -> Any:
    """The one document in ``text``, loaded with ``loader_class`` (a ``yaml.SafeLoader`` subclass).

    Raises:
        MemoryFileError: over ``MAX_YAML_BYTES`` (UTF-8), over the node or character budget after
            alias expansion (one line naming the file and the limit), or not YAML.
    """
    import yaml

    if len(text) > MAX_YAML_BYTES:  # characters ≤ bytes: a cheap first check
        raise MemoryFileError(f"{name}: larger than {MAX_YAML_BYTES // 1024**2} MB; not read")
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        nodes, chars = _expanded_size(node)
        if nodes > max_nodes:
            raise MemoryFileError(f"{name}: expands to {nodes:,} YAML nodes (aliases counted as copies); "
                                  f"at most {max_nodes:,}")
        if chars > max_chars:
            raise MemoryFileError(f"{name}: expands to {chars:,} characters (aliases counted as copies); "
                                  f"at most {max_chars:,}")
        return loader.construct_document(node)
    except yaml.YAMLError:
        raise
    finally:
        loader.dispose()


def _expanded_size(root: Any) -> tuple[int, int]:
    """(nodes, scalar characters) of the tree with every alias expanded; iterative, memoised by node.

    A recursive alias (``&a [*a]``, or ``&a [&b [*a]]``) is a cycle in the node graph: the walk keeps
    the nodes it is inside of in a "visiting" set and counts the back edge once (0 more nodes) instead
    of pushing the cycle again and again (it once grew by 25 MB/s until the machine ran out of memory).
    """
    import yaml

    sizes: dict[int, tuple[int, int]] = {}
    visiting: set[int] = set()  # nodes whose children are being measured: their ancestors-or-self on the walk
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = (1, len(node.value))
            continue
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = list(node.value)
        if not children_done:
            if key in visiting:  # reached again from inside itself: a recursive alias, measured once
                continue
            visiting.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes and id(c) not in visiting)
            continue
        visiting.discard(key)
        nodes, chars = 1, 0
        for child in children:
            n, c = sizes.get(id(child), (0, 0))  # a cycle (recursive alias) counts once
            nodes, chars = nodes + n, chars + c
        sizes[key] = (min(nodes, 2**62), min(chars, 2**62))
    return sizes[id(root)]
