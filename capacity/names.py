"""Physical names that fit their service's length limit and stay unique when they must be cut.

A name that fits is used as it is. A longer one is cut, stripped of trailing hyphens, and
ends in "-" plus a short stable hash of the full name (capacity/limits.py NAME_HASH_CHARS),
so two lanes whose names differ only past the cut (`...-ingest-0`, `...-ingest-1`) keep
distinct names, and the same full name always gives the same short one.
"""

from __future__ import annotations

import hashlib

from capacity import limits


def name_hash(full_name: str, chars: int = limits.NAME_HASH_CHARS) -> str:
    """The first `chars` hex characters of the SHA-256 of the full name."""
    return hashlib.sha256(full_name.encode()).hexdigest()[:chars]


def fit_name(full_name: str, max_chars: int, suffix: str = "") -> str:
    """`full_name + suffix` if it has at most `max_chars` characters, else the cut name with a hash, then suffix.

    `suffix` is kept whole (".fifo", "-dlq"): the hash is of `full_name + suffix`.
    """
    whole = full_name + suffix
    if len(whole) <= max_chars:
        return whole
    tail = "-" + name_hash(whole)
    room = max_chars - len(suffix) - len(tail)
    if room < 1:
        raise ValueError(f"cannot fit {whole!r} into {max_chars} characters with the suffix {suffix!r}")
    return full_name[:room].rstrip("-") + tail + suffix


def fits(name: str, max_chars: int, autonamed: bool = False) -> bool:
    """Whether a physical name fits `max_chars`, counting Pulumi's 8 autoname characters when it is autonamed."""
    extra = limits.PULUMI_AUTONAME_SUFFIX_CHARS if autonamed else 0
    return len(name) + extra <= max_chars


def queue_name(stack: str, lane: str, fifo: bool, dlq: bool = False) -> str:
    """A lane's physical SQS queue name: qcap-<stack>-<lane>[-dlq][.fifo], fitted to SQS's 80 characters.

    One place for the components that create the queue and the live checks that find it.
    """
    suffix = ("-dlq" if dlq else "") + (limits.SQS_FIFO_QUEUE_SUFFIX if fifo else "")
    return fit_name(f"qcap-{stack}-{lane}", limits.SQS_QUEUE_NAME_MAX_CHARS, suffix=suffix)
