#!/usr/bin/python3
"""gpg_answers.py GPG-ARGS... -- KEYWORD=ANSWER...

Runs `gpg --no-tty --command-fd 0 --status-fd 1 GPG-ARGS...` (e.g. --card-edit, or --edit-key
KEY) and answers each GET_LINE/GET_BOOL/GET_HIDDEN prompt by its status keyword from the list;
answers for a repeated keyword are used in order. A prompt with no answer left kills gpg and
exits 2, so a changed dialogue fails loudly instead of hanging. The transcript goes to stderr.
"""
import collections
import subprocess
import sys


def main(argv):
    if '--' not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    cut = argv.index('--')
    gpg_args, pairs = argv[1:cut], argv[cut + 1:]
    answers = collections.defaultdict(collections.deque)
    for a in pairs:
        k, v = a.split('=', 1)
        answers[k].append(v)
    p = subprocess.Popen(['gpg', '--no-tty', '--command-fd', '0', '--status-fd', '1'] + gpg_args,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    for line in p.stdout:
        sys.stderr.write('status: ' + line)
        parts = line.split()
        if len(parts) < 3 or parts[0] != '[GNUPG:]' or \
                parts[1] not in ('GET_LINE', 'GET_BOOL', 'GET_HIDDEN'):
            continue
        kw = parts[2]
        if not answers[kw]:
            sys.stderr.write('gpg_answers: no answer for %s\n' % kw)
            p.kill()
            return 2
        ans = answers[kw].popleft()
        sys.stderr.write('answer: %s\n' % ans)
        p.stdin.write(ans + '\n')
        p.stdin.flush()
    return p.wait()


if __name__ == '__main__':
    sys.exit(main(sys.argv))
