"""Lines that wrap between words and never cut one; a tree whose labels continue under themselves."""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text

from qcap.commands.fitting import Node, print_tree, print_wrapped, words, wrap

TYPE = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


def rendered(width: int, draw) -> str:
    out = io.StringIO()
    draw(Console(file=out, width=width))
    return out.getvalue()


def test_words_wrap_between_words_under_the_width_with_the_continuation_lead():
    lines = [line.plain for line in wrap(words("one two three four five"), 12, "> ", "  ")]
    assert lines == ["> one two", "  three four", "  five"]


def test_a_word_longer_than_the_line_stays_whole_on_a_line_of_its_own():
    text = rendered(20, lambda c: print_wrapped(c, [Text("name"), Text(TYPE), Text("2 mandatory")]))
    assert text.splitlines() == ["name", TYPE, "2 mandatory"]


def test_a_word_with_a_space_stays_together():
    lines = [line.plain for line in wrap([Text("abc"), Text("2 advisory"), Text("4 mandatory")], 16)]
    assert lines == ["abc 2 advisory", "4 mandatory"]


def tree() -> Node:
    leaf = Node([Text("events-execution-role-policy"), Text(TYPE), Text("2 advisory"), Text("4 mandatory")])
    consumer = Node([Text("events"), Text("qcap:aws:FargateConsumer")], [leaf, Node([Text("events-log")])])
    return Node([Text("qcap-event-backlog"), Text("pulumi:pulumi:Stack")], [consumer, Node([Text("stack-key")])])


def test_a_tree_at_80_columns_keeps_every_type_and_count_whole_and_within_the_width():
    lines = rendered(80, lambda c: print_tree(c, tree())).splitlines()
    assert lines == [
        "qcap-event-backlog pulumi:pulumi:Stack",
        "├── events qcap:aws:FargateConsumer",
        "│   ├── events-execution-role-policy",
        f"│   │       {TYPE} 2 advisory",
        "│   │       4 mandatory",
        "│   └── events-log",
        "└── stack-key",
    ]


def test_a_tree_wider_than_its_longest_label_prints_each_label_on_one_line():
    lines = rendered(200, lambda c: print_tree(c, tree())).splitlines()
    assert lines[2] == f"│   ├── events-execution-role-policy {TYPE} 2 advisory 4 mandatory"


class AsciiFile(io.StringIO):
    encoding = "ascii"


def test_a_console_that_cannot_draw_boxes_gets_ascii_guides():
    out = AsciiFile()
    print_tree(Console(file=out, width=80), tree())
    assert out.getvalue().splitlines()[1:3] == ["+-- events qcap:aws:FargateConsumer", "|   +-- events-execution-role-policy"]
