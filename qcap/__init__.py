"""qcap: capacity-planned queue infrastructure as Pulumi code; the command line lives in commands/, offline/ and live/."""
