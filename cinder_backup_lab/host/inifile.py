# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Edit INI files in place, the way oslo.config reads them.

For files other tools own (DevStack's cinder.conf and tempest.conf): only
the options asked for change; comments, blank lines, order, other options
and the file's owner and mode stay as they were.

oslo.config's parser splits a line at its first "=" or ":", treats
indented lines after an option as continuation lines of its value, merges
sections of the same name, and lets the last value of a single-valued
option win. set() therefore writes the value at the first occurrence and
removes later ones, continuation lines included, so the value written is
the value read.
"""

import os
import re

from cinder_backup_lab.host import files


_SECTION = re.compile(r'^\[([^\]]+)\]\s*$')
_OPTION = re.compile(r'^([^#;\s\[][^=:]*?)\s*[=:]')


class IniText:
    """An INI text as lines, with in-place set/get."""

    def __init__(self, text=''):
        self.lines = text.splitlines()

    def text(self):
        return '\n'.join(self.lines) + '\n' if self.lines else ''

    def _scan(self):
        """[(index, section, option or None, end)] of every entry.

        end is one past the entry's last line (continuations included).
        Section headers come as (index, section, None, index + 1).
        """
        entries = []
        section = None
        i = 0
        while i < len(self.lines):
            line = self.lines[i]
            m = _SECTION.match(line)
            if m:
                section = m.group(1).strip()
                entries.append((i, section, None, i + 1))
                i += 1
                continue
            m = _OPTION.match(line)
            if m and section is not None:
                end = i + 1
                while end < len(self.lines) and self.lines[end][:1] in (
                        ' ', '\t') and self.lines[end].strip():
                    end += 1
                entries.append((i, section, m.group(1).strip(), end))
                i = end
                continue
            i += 1
        return entries

    def get(self, section, option):
        """The last value of option in section (oslo's rule), or None."""
        value = None
        for i, sec, opt, end in self._scan():
            if sec == section and opt == option:
                first = self.lines[i]
                sep = min(p for p in (first.find('='), first.find(':'))
                          if p >= 0)
                parts = [first[sep + 1:].strip()]
                parts += [ln.strip() for ln in self.lines[i + 1:end]]
                value = '\n'.join(parts)
        return value

    def set(self, section, option, value):
        """Set option in section to value (a single line)."""
        value = str(value)
        if '\n' in value or '\r' in value:
            raise ValueError('%s in [%s]: value must be one line'
                             % (option, section))
        new_line = '%s = %s' % (option, value) if value else '%s =' % option
        entries = self._scan()
        hits = [(i, end) for i, sec, opt, end in entries
                if sec == section and opt == option]
        if hits:
            first, first_end = hits[0]
            # Remove later duplicates first (indices stay valid).
            for i, end in reversed(hits[1:]):
                del self.lines[i:end]
            self.lines[first:first_end] = [new_line]
            return
        headers = [i for i, sec, opt, _end in entries
                   if sec == section and opt is None]
        if not headers:
            if self.lines and self.lines[-1].strip():
                self.lines.append('')
            self.lines += ['[%s]' % section, new_line]
            return
        # After the last non-blank line of the section's first block, so
        # a blank line before the next section stays where it is.
        start = headers[0]
        end = len(self.lines)
        for i in range(start + 1, len(self.lines)):
            if _SECTION.match(self.lines[i]):
                end = i
                break
        last = start
        for i in range(start + 1, end):
            if self.lines[i].strip():
                last = i
        self.lines.insert(last + 1, new_line)


def edit(path, changes):
    """Apply [(section, option, value)] to the file at path, in place.

    The file keeps its owner, group and mode (a missing file is created
    with mode 0600); the new content replaces the old atomically. Returns
    the (section, option) pairs whose value changed.
    """
    try:
        with open(path) as f:
            text = f.read()
        st = os.stat(path)
        mode, uid, gid = st.st_mode & 0o7777, st.st_uid, st.st_gid
    except FileNotFoundError:
        text, mode, uid, gid = '', 0o600, None, None
    ini = IniText(text)
    changed = []
    for section, option, value in changes:
        if ini.get(section, option) != str(value):
            changed.append((section, option))
        ini.set(section, option, value)
    new_text = ini.text()
    if new_text == text:
        return changed
    # The new content may hold a secret: the file keeps its mode (0600 for
    # a new one) and owner from the first byte.
    files.write_file(path, new_text, mode,
                     owner=None if uid is None else (uid, gid))
    return changed
