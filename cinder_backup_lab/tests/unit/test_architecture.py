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

"""The tree is the architecture: layers import downwards only, no cycles.

host (the machine) <- storage (Ceph, RGW) <- openstack (the OpenStack half)
<- checks (demo, leftovers, doctor) and fronts (the standalone lab, what
DevStack calls, Tempest's config) <- cli. config and errors are used by
all. Every import counts, module-level or inside a function: a lazy
import is no way around a cycle. The Tempest plugin stands alone (it runs
in DevStack's Tempest venv without the core).
"""

import ast
import os

import testtools

REPO_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                        '..', '..', '..'))
CORE = 'cinder_backup_lab'

# Layer of each subpackage; a module may import its own layer or lower.
LAYERS = {'errors': 0, 'config': 1, 'host': 2, 'storage': 3,
          'openstack': 4, 'checks': 5, 'fronts': 6, 'cli': 7}


def modules(package):
    """{dotted module name: path} of a package, tests left out."""
    found = {}
    root = os.path.join(REPO_DIR, package)
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in ('tests', '__pycache__')]
        for name in files:
            if name.endswith('.py'):
                rel = os.path.relpath(os.path.join(dirpath, name), REPO_DIR)
                dotted = rel[:-3].replace(os.sep, '.')
                found[dotted.removesuffix('.__init__')] = rel
    return found


def imports(path, known):
    """Modules of `known` that the file at path imports, anywhere."""
    with open(os.path.join(REPO_DIR, path)) as f:
        tree = ast.parse(f.read(), path)
    out = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = ['%s.%s' % (node.module, a.name) for a in node.names]
            names.append(node.module)
        for name in names:
            while name and name not in known:
                name = name.rpartition('.')[0]
            if name:
                out.add(name)
    return out


def graph(package):
    mods = modules(package)
    return {m: imports(p, mods) - {m} for m, p in mods.items()}


def find_cycle(edges):
    """One import cycle as a list of modules, or None."""
    state = {}
    stack = []

    def visit(node):
        state[node] = 'open'
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 'open':
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 'done'
        return None
    for node in sorted(edges):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def layer(module):
    parts = module.split('.')
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


class ArchitectureTest(testtools.TestCase):

    def test_find_cycle_finds_one(self):
        self.assertEqual(['a', 'b', 'a'],
                         find_cycle({'a': {'b'}, 'b': {'a'}}))
        self.assertIsNone(find_cycle({'a': {'b'}, 'b': set()}))

    def test_no_import_cycle_in_the_core(self):
        self.assertIsNone(find_cycle(graph(CORE)))

    def test_layers_import_downwards_only(self):
        wrong = []
        for module, deps in sorted(graph(CORE).items()):
            if layer(module) is None:
                continue
            wrong += ['%s imports %s' % (module, dep) for dep in sorted(deps)
                      if layer(dep) is not None
                      and layer(dep) > layer(module)]
        self.assertEqual([], wrong)

    def test_every_module_has_a_layer(self):
        self.assertEqual([], [m for m in modules(CORE)
                              if m != CORE and layer(m) is None])

    def test_the_tempest_plugin_needs_no_core(self):
        mods = modules('tempest_plugin')
        mods.update(modules(CORE))
        mine = {m for m in mods if m.startswith('tempest_plugin')}
        for module in sorted(mine):
            core = {d for d in imports(mods[module], mods)
                    if d.startswith(CORE)}
            self.assertEqual(set(), core, module)
