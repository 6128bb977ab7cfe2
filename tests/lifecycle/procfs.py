"""What the lifecycle scripts read of a server process from /proc."""


def rss_kib(pid):
    """The process's resident memory, in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")
