#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Parse selftests/mutants and apply or revert one mutant.

  mutate.py list MUTANTS                 names, one per line
  mutate.py show MUTANTS NAME            "SIDE<TAB>PATH<TAB>TESTS" (side: kernel or module)
  mutate.py apply MUTANTS NAME ROOT      apply NAME to ROOT/PATH ("from" must occur once)
  mutate.py check MUTANTS KERNEL MODULE  every mutant applies to the clean sources
"""
import sys


def parse(path):
    mutants, cur = [], None
    for line in open(path):
        line = line.rstrip('\n')
        if not line.strip() or line.startswith('#'):
            continue
        if line.startswith('[') and line.endswith(']'):
            cur = {'name': line[1:-1]}
            mutants.append(cur)
            continue
        key, _, val = line.partition(': ')
        if cur is None or key not in ('file', 'from', 'to', 'tests'):
            sys.exit(f'{path}: bad line: {line!r}')
        cur[key] = val
    for m in mutants:
        missing = {'file', 'from', 'to', 'tests'} - m.keys()
        if missing:
            sys.exit(f'{path}: [{m["name"]}] lacks {", ".join(sorted(missing))}')
        side, _, m['path'] = m['file'].partition(':')
        if side not in ('kernel', 'module'):
            sys.exit(f'{path}: [{m["name"]}] file must start with kernel: or module:')
        m['side'] = side
    names = [m['name'] for m in mutants]
    if len(set(names)) != len(names):
        sys.exit(f'{path}: duplicate mutant names')
    return {m['name']: m for m in mutants}


def unescape(s):
    return s.replace('\\n', '\n').replace('\\t', '\t')


def mutated(m, root):
    text = open(f'{root}/{m["path"]}').read()
    old, new = unescape(m['from']), unescape(m['to'])
    n = text.count(old)
    if n != 1:
        raise ValueError(f'[{m["name"]}] "from" occurs {n} times in {m["path"]}')
    return text.replace(old, new)


def main():
    cmd, mutants = sys.argv[1], parse(sys.argv[2])
    if cmd == 'list':
        print('\n'.join(mutants))
    elif cmd == 'show':
        m = mutants[sys.argv[3]]
        print(f'{m["side"]}\t{m["path"]}\t{m["tests"]}')
    elif cmd == 'apply':
        m = mutants[sys.argv[3]]
        root = sys.argv[4]
        try:
            text = mutated(m, root)
        except ValueError as e:
            sys.exit(str(e))
        with open(f'{root}/{m["path"]}', 'w') as f:
            f.write(text)
    elif cmd == 'check':
        roots = {'kernel': sys.argv[3], 'module': sys.argv[4]}
        bad = 0
        for m in mutants.values():
            try:
                mutated(m, roots[m['side']])
            except (ValueError, OSError) as e:
                print(e)
                bad = 1
        print(f'{len(mutants)} mutants, {"some do not apply" if bad else "all apply"}')
        sys.exit(bad)
    else:
        sys.exit(__doc__)


main()
