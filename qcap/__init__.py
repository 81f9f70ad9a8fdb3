"""qcap: capacity-planned queue infrastructure as Pulumi code; the command line lives in commands/, offline/ and live/."""

import os

# The simulator makes and drops many arrays of millions of messages; numpy's transparent huge pages for them
# cost more kernel time zeroing pages than they save (qcap plan on a 3M-message day: 0.94 s of system CPU with
# them, 0.48 s without, the same user time). Set before numpy is first imported; a user's own setting wins.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
