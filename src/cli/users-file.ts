/**
 * The SASL/PLAIN users of `skein serve --sasl-plain-users <file>`: one `user:password` per
 * line (the password may itself hold colons), blank lines and lines starting with # ignored.
 * A file rather than command-line arguments, so passwords do not show in `ps`.
 */
import { readFileSync } from 'node:fs';

export function readUsersFile(path: string): { users: Record<string, string> } | { problem: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { problem: (err as Error).message };
  }
  const users: Record<string, string> = {};
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const at = line.indexOf(':');
    if (at <= 0) return { problem: `line ${i + 1} is not user:password` };
    users[line.slice(0, at)] = line.slice(at + 1);
  }
  if (Object.keys(users).length === 0) return { problem: 'it lists no user' };
  return { users };
}
