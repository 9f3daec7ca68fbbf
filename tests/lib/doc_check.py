#!/usr/bin/env python3
"""Are the man pages complete? Every configuration key the parser accepts
(read from the source of src/core/config.c) must be an item of its section
in labboot.conf(5), and every command and option `labboot --help` and
`labboot image --help` list must be in labboot(8).

    doc_check.py keys CONFIG_C MAN5             # prints "ok: N keys", or each missing one
    doc_check.py commands HELP IMAGE_HELP MAN8  # help texts in files
    doc_check.py dump CONFIG_C                  # SECTION KEY, one a line

How keys are found in config.c, without a C parser:
  - section names: the enter_section() table, { "name", SEC_X, named };
  - keys: struct key_spec tables (static const struct key_spec T[] = {...})
    and literal comparisons strcmp(key, "k") (also strcasecmp, streq);
  - which section a key belongs to: the `case SEC_X:` it stands under, else
    the sections its function is called for, followed through the calls
    (params_set is called from dhcp_set, for [dhcp], and under case
    SEC_POOL, for [pool]); a table belongs where TRY_KEYS/try_keys uses it.
The extraction fails loudly (exit 2) when it no longer understands the file:
a section without keys, a table used nowhere, or too few keys in all.
"""
import re
import sys

KEY_CMP = re.compile(r'\b(?:strcmp|strcasecmp|streq)\s*\(\s*key\s*,\s*"([^"]+)"\s*\)')
TABLE_USE = re.compile(r'\b(?:TRY_KEYS|try_keys)\s*\(\s*\w+\s*,\s*(\w+)\s*,')
TABLE_DEF = re.compile(r'static\s+const\s+struct\s+key_spec\s+(\w+)\s*\[\s*\]\s*=\s*\{(.*?)\n\};', re.S)
SECTION_KIND = re.compile(r'\{\s*"([a-z][a-z0-9-]*)"\s*,\s*(SEC_[A-Z0-9_]+)\s*,\s*(?:true|false)\s*\}')
FUNC_START = re.compile(r'^(?:static\s+)?(?:const\s+)?(?:struct\s+)?\w+[\s\*]+(\w+)\s*\([^;]*$')
CASE = re.compile(r'^\s*case\s+(SEC_[A-Z0-9_]+)\s*:')
DEFAULT = re.compile(r'^\s*default\s*:')
CALL = re.compile(r'\b([a-z_][a-z0-9_]*)\s*\(')


def die(msg):
    print(f"doc_check: {msg}", file=sys.stderr)
    sys.exit(2)


def strip_comments(src):
    src = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'), src, flags=re.S)
    return re.sub(r'//[^\n]*', '', src)


def config_keys(path):
    """{section: set(keys)} from config.c."""
    src = strip_comments(open(path, encoding='utf-8').read())
    kinds = {sec: name for name, sec in SECTION_KIND.findall(src)}
    if len(kinds) < 5:
        die(f"{path}: cannot find the section table (enter_section's {{ \"name\", SEC_X, named }})")
    tables = {}
    for name, body in TABLE_DEF.findall(src):
        tables[name] = set(re.findall(r'\{\s*"([^"]+)"\s*,', body))
    if not tables:
        die(f"{path}: no struct key_spec tables found")

    # Walk the functions: (function, case) -> keys, tables, calls.
    funcs = {}
    lines = src.split('\n')
    for i, line in enumerate(lines):
        m = FUNC_START.match(line)
        if not m:
            continue
        # a definition: its parameters may run over a few lines, then "{"
        for j in range(i, min(i + 6, len(lines))):
            if lines[j].startswith('{') or (j == i and line.rstrip().endswith('{')):
                funcs[m.group(1)] = i
                break
            if j > i and (lines[j].rstrip().endswith(';') or not lines[j][:1].isspace()):
                break
    uses = []  # (function, case or None, kind, value)
    cur, case = None, None
    for i, line in enumerate(lines):
        if line.startswith('#'):
            continue
        m = FUNC_START.match(line)
        if m and m.group(1) in funcs and funcs[m.group(1)] == i:
            cur, case = m.group(1), None
            continue
        if cur is None:
            continue
        if line.startswith('}'):
            cur, case = None, None
            continue
        if CASE.match(line):
            case = CASE.match(line).group(1)
        elif DEFAULT.match(line):
            case = None
        for k in KEY_CMP.findall(line):
            uses.append((cur, case, 'key', k))
        for t in TABLE_USE.findall(line):
            uses.append((cur, case, 'table', t))
        for c in CALL.findall(line):
            if c in funcs and c != cur:
                uses.append((cur, case, 'call', c))

    memo = {}

    def sections_of(func, seen=()):
        """The sections a function's keys belong to when outside a case."""
        if func in memo:
            return memo[func]
        out = set()
        for f, c, kind, v in uses:
            if kind == 'call' and v == func and f not in seen:
                out |= {kinds[c]} if c in kinds else sections_of(f, seen + (func,))
        memo[func] = out
        return out

    result = {name: set() for name in kinds.values()}
    used_tables = set()
    for f, c, kind, v in uses:
        if kind == 'call':
            continue
        secs = {kinds[c]} if c in kinds else sections_of(f)
        if kind == 'table':
            if v not in tables:
                die(f"{path}: {f}() uses key table {v}, which is not a struct key_spec table")
            used_tables.add(v)
            keys = tables[v]
        else:
            keys = {v}
        if not secs:
            die(f"{path}: cannot tell which section the {kind} {v} in {f}() belongs to")
        for s in secs:
            result[s] |= keys
    for t in tables:
        if t not in used_tables:
            die(f"{path}: key table {t} is used nowhere the extraction understands (TRY_KEYS/try_keys)")
    for s, keys in result.items():
        if not keys:
            die(f"{path}: found no keys for [{s}]: the extraction needs updating")
    if sum(len(k) for k in result.values()) < 40:
        die(f"{path}: only {sum(len(k) for k in result.values())} keys found: the extraction needs updating")
    return result


def roff_text(s):
    """Text of a roff line: font escapes, \\- and quotes removed."""
    s = re.sub(r'\\f(?:\[[^\]]*\]|\(..|.)', '', s)
    s = s.replace('\\-', '-').replace('\\(dq', '"').replace('\\&', '').replace('\\%', '').replace('\\ ', ' ')
    return s


def bold_runs(line):
    """Bold words of a tag line: \\fBx\\fR runs, or the words of .B/.BR/.BI."""
    m = re.match(r'^\.(B|BR|BI|IR|RB|I)\s+(.*)$', line)
    if m:
        args = re.findall(r'"([^"]*)"|(\S+)', m.group(2))
        args = [a or b for a, b in args]
        macro = m.group(1)
        fonts = {'B': 'B', 'I': 'I'}.get(macro)
        out = []
        for n, a in enumerate(args):
            font = fonts or macro[n % 2]
            if font == 'B':
                out.append(roff_text(a))
        return out
    return [roff_text(r) for r in re.findall(r'\\fB(.*?)\\f[RPI]', line)]


def man_items(path, section_re):
    """Tag lines of the .TP items under the .SH headings matching section_re
    (their .SS subsections included)."""
    items, want, prev_tp = [], False, False
    for line in open(path, encoding='utf-8'):
        line = line.rstrip('\n')
        if line.startswith('.SH'):
            want = bool(re.search(section_re, roff_text(line[3:].strip().strip('"'))))
            prev_tp = False
            continue
        if prev_tp and want:
            items.append(line)
        prev_tp = line.startswith('.TP')
    return items


def man_keys(path):
    """{section: set(keys)}: .SS [section] headings, .TP items whose tag names the key(s)."""
    out = {}
    cur = None
    prev_tp = False
    for line in open(path, encoding='utf-8'):
        line = line.rstrip('\n')
        if line.startswith('.SS') or line.startswith('.SH'):
            m = re.search(r'\[\s*([a-z][a-z0-9-]*)', roff_text(line))
            cur = m.group(1) if m and line.startswith('.SS') else None
            if cur:
                out.setdefault(cur, set())
            prev_tp = False
            continue
        if prev_tp and cur:
            tag = line.split('=')[0] if '=' in line else line
            for run in bold_runs(tag):
                for k in re.split(r'[,\s]+', run):
                    if re.fullmatch(r'[a-z][a-z0-9-]*', k):
                        out[cur].add(k)
        prev_tp = line.startswith('.TP')
    return out


def check_keys(config_c, man5):
    code = config_keys(config_c)
    doc = man_keys(man5)
    missing = []
    for sec in sorted(code):
        for k in sorted(code[sec]):
            if k not in doc.get(sec, set()):
                missing.append(f"[{sec}] {k}")
    for m in missing:
        print(f"labboot.conf(5) does not document {m}")
    extra = sorted(f"[{s}] {k}" for s in doc for k in doc[s] if k not in code.get(s, set()))
    for e in extra:
        print(f"labboot.conf(5) documents {e}, which config.c does not accept")
    if missing or extra:
        return 1
    print(f"{sum(len(k) for k in code.values())} keys in {len(code)} sections, all in {man5}")
    return 0


def help_commands(text, prefix=''):
    """Commands of a --help text: the lines indented by exactly two spaces
    under 'Commands:' (labboot --help) or after the usage (image --help)."""
    cmds, in_list = [], False
    for line in text.split('\n'):
        if re.match(r'^\S.*:\s*$', line):
            in_list = line.strip().lower().startswith('commands')
            continue
        if prefix and line.startswith('Usage:'):
            in_list = True
            continue
        if not in_list or not re.match(r'^  [a-z]', line):
            continue
        words = line.split()
        cmd = prefix + words[0]
        cmds.append(cmd)
        # "host ls|add|set|rm ...": each subcommand on its own
        if len(words) > 1 and re.fullmatch(r'[a-z-]+(\|[a-z-]+)+', words[1]):
            cmds += [f"{cmd} {w}" for w in words[1].split('|')]
    return cmds


def help_options(text):
    return sorted(set(re.findall(r'(?<![\w-])(--[a-z][a-z0-9-]*)', text)))


def check_commands(help_file, image_help_file, man8):
    top = open(help_file, encoding='utf-8').read()
    image = open(image_help_file, encoding='utf-8').read()
    cmds = help_commands(top) + help_commands(image, 'image ')
    if len(cmds) < 5 or not any(c.startswith('image ') for c in cmds):
        die(f"found only {cmds} in the help texts: the extraction needs updating")
    documented = [' '.join(roff_text(' '.join(bold_runs(tag)[:1])).split())
                  for tag in man_items(man8, r'^COMMANDS')]
    documented = [d for d in documented if d]
    missing = [c for c in cmds if not any(d == c or d.startswith(c + ' ') for d in documented)]
    text = roff_text(open(man8, encoding='utf-8').read())
    missing_opts = [o for o in help_options(top + image) if o not in text]
    for c in missing:
        print(f"labboot(8) does not document the command: labboot {c}")
    for o in missing_opts:
        print(f"labboot(8) does not document the option {o}")
    if missing or missing_opts:
        return 1
    print(f"{len(cmds)} commands, {len(help_options(top + image))} options, all in {man8}")
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == 'keys':
        return check_keys(argv[2], argv[3])
    if len(argv) == 5 and argv[1] == 'commands':
        return check_commands(argv[2], argv[3], argv[4])
    if len(argv) == 3 and argv[1] == 'dump':
        for sec, keys in sorted(config_keys(argv[2]).items()):
            for k in sorted(keys):
                print(sec, k)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
