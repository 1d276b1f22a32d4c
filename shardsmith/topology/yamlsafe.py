"""A YAML loader whose work is bounded by the file, not by what the file expands to.

PyYAML composes aliases by reference, but the position tracker (yamlpos)
walks the tree as plain values, so each alias is expanded: nine levels of
nine aliases (466 bytes) would become 387 million values. This composer
counts values as they will be expanded and stops at the alias that crosses
the limit; it limits nesting (PyYAML composes recursively, so 20,000
brackets end in RecursionError); and it refuses tags that the safe
constructor cannot build, instead of letting `!!python/object {...}` pass as
a plain mapping.
"""

from __future__ import annotations

import yaml

MAX_VALUES = 100_000  # values after alias expansion; the largest shipped spec has a few hundred
MAX_DEPTH = 100  # nesting levels; a topology needs fewer than ten
PLAIN_COLLECTION_TAGS: dict[type[yaml.Node], str] = {yaml.MappingNode: "tag:yaml.org,2002:map",
                                                     yaml.SequenceNode: "tag:yaml.org,2002:seq"}
# Keys flatten_mapping resolves itself (`<<: *base`, `=`): tagged scalars with no constructor of their own.
MAPPING_KEY_TAGS = {"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"}
STANDARD_PREFIX = "tag:yaml.org,2002:"


class LoadRefused(yaml.MarkedYAMLError):
    """Valid YAML that a spec may not hold; `problem_mark` says where, `hint` what to do."""

    problem: str  # always given here (PyYAML's own errors may have none)

    def __init__(self, problem: str, mark: yaml.Mark, hint: str):
        super().__init__(problem=problem, problem_mark=mark)
        self.hint = hint


def shorthand(tag: str) -> str:
    """`!!python/object:os.system` as written, rather than its expanded URI."""
    return "!!" + tag[len(STANDARD_PREFIX):] if tag.startswith(STANDARD_PREFIX) else tag


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader that counts nesting depth and expanded values while composing, and checks tags."""

    def __init__(self, text: str):
        super().__init__(text)
        self.depth = 0
        self.values = 0
        self.expanded_size: dict[int, int] = {}  # id(anchored node) -> values it expands to, once composed

    def fetch_flow_collection_start(self, TokenClass):
        """The scanner tracks each open bracket as a possible key, at a cost that grows with the depth:
        refuse deep flow nesting here, before it gets slow, not only when composing."""
        if self.flow_level >= MAX_DEPTH:
            raise self._too_deep(self.get_mark())
        super().fetch_flow_collection_start(TokenClass)

    @staticmethod
    def _too_deep(mark: yaml.Mark) -> LoadRefused:
        return LoadRefused(f"nested more than {MAX_DEPTH} levels deep", mark,
                           "a topology spec needs only a few levels; remove the extra brackets or indentation")

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            anchored = self.anchors.get(event.anchor)
            if anchored is not None:  # an undefined alias is PyYAML's own error
                self._count_alias(event, anchored)
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._too_deep(event.start_mark)
        first = self.values
        self._count(1, event.start_mark, alias=None)
        node = super().compose_node(parent, index)
        assert node is not None, "PyYAML's composer returns a node or raises (its stubs say Optional)"
        self.depth -= 1
        self._check_tag(node)
        if event.anchor is not None:
            self.expanded_size[id(node)] = self.values - first
        return node

    def _count_alias(self, event: yaml.AliasEvent, anchored: yaml.Node) -> None:
        mark = event.start_mark
        assert isinstance(mark, yaml.Mark), "the pure-Python parser marks every event (only libyaml's differ)"
        size = self.expanded_size.get(id(anchored))
        if size is None:
            raise LoadRefused(f"alias *{event.anchor} refers to the value that contains it (a recursive structure)",
                              mark, "a spec is a tree: point the alias at a value defined before it")
        self._count(size, mark, alias=event.anchor)

    def _count(self, values: int, mark: yaml.Mark, *, alias: str | None) -> None:
        self.values += values
        if self.values <= MAX_VALUES:
            return
        what = f"alias *{alias} expands" if alias else "the document grows"
        raise LoadRefused(f"{what} the spec past {MAX_VALUES:,} values (an alias bomb?)", mark,
                          "write the values out or use fewer nested aliases; a topology holds a few hundred values")

    def _check_tag(self, node: yaml.Node) -> None:
        plain = PLAIN_COLLECTION_TAGS.get(type(node))
        if plain:
            allowed = node.tag == plain
        else:
            allowed = node.tag in self.yaml_constructors or node.tag in MAPPING_KEY_TAGS
        if not allowed:
            raise LoadRefused(f"the tag {shorthand(node.tag)} is not allowed: a spec holds plain values "
                              "(text, numbers, true/false, null, lists and mappings)", node.start_mark,
                              "remove the tag; Shardsmith never builds Python objects from a spec")
