"""Edits in place: only the bytes of the changed value move; comments, quoting and flow lists stay."""

from __future__ import annotations

from capacity.yaml_edit import rename_key, scalar_text, set_value

TEXT = """\
# a comment
workloads:
  - name: "quoted"   # kept
    traffic: {messages_per_day: 100, message_bytes: 10}
    shape: [1, 2,
            3, 4]
    consumer:
        processing_seconds: 1.5   # four-space indent
        concurency: 4
"""


def test_setting_a_value_changes_only_its_bytes():
    edited = set_value(TEXT, ["workloads", 0, "consumer", "processing_seconds"], 2)
    assert edited == TEXT.replace("processing_seconds: 1.5 ", "processing_seconds: 2 ")


def test_a_value_inside_a_flow_mapping_is_set_in_place():
    edited = set_value(TEXT, ["workloads", 0, "traffic", "message_bytes"], 2048)
    assert edited == TEXT.replace("message_bytes: 10}", "message_bytes: 2048}")


def test_a_misspelt_key_is_renamed_in_place():
    edited = rename_key(TEXT, ["workloads", 0, "consumer", "concurency"], "concurrency_per_task")
    assert edited == TEXT.replace("concurency:", "concurrency_per_task:")


def test_a_missing_mapping_is_added_after_the_last_entry_with_the_files_indentation():
    edited = set_value(TEXT, ["workloads", 0, "overrides", "max_capacity"], 7)
    assert edited == TEXT + "    overrides:\n        max_capacity: 7\n"


def test_a_change_that_cannot_be_placed_says_so():
    assert set_value(TEXT, ["workloads", 0, "shape", 9], 1) is None
    assert rename_key(TEXT, ["workloads", 0, "consumer", "nothing"], "x") is None


def test_text_that_would_read_back_as_another_type_is_quoted():
    assert [scalar_text(v) for v in ("yes", "a b", "plain", 3, 0.5, True)] == [
        '"yes"', '"a b"', "plain", "3", "0.5", "true"]


def test_a_file_with_crlf_line_ends_keeps_them():
    crlf = TEXT.replace("\n", "\r\n")
    edited = set_value(crlf, ["workloads", 0, "consumer", "processing_seconds"], 2)
    assert edited == crlf.replace("processing_seconds: 1.5 ", "processing_seconds: 2 ")


def test_a_list_value_is_not_written_as_a_quoted_scalar_it_is_left_to_the_round_trip_writer():
    assert set_value("a:\n  b: 1\n", ["a", "c"], [1.0, 2.0]) is None
    assert set_value("a:\n  b: 1\n", ["a", "b"], {"x": 1}) is None
