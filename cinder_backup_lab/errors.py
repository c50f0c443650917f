"""The errors the lab reports to its operator."""


class LabError(Exception):
    """An error the operator can act on; the message says what and how."""


class CommandError(LabError):
    """A command the lab ran failed; the message quotes its last lines."""

    def __init__(self, argv, returncode, stderr):
        self.argv = argv
        self.returncode = returncode
        self.stderr = stderr
        tail = (stderr or '').strip().splitlines()[-5:]
        super().__init__('%s failed (exit %s): %s' % (
            ' '.join(argv[:4]), returncode, ' | '.join(tail) or 'no output'))
