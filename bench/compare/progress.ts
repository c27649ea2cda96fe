/**
 * Progress bars (cli-progress) on stderr, so stdout stays a clean markdown report. When stderr
 * is not a terminal (CI, a pipe) bars are off and each task prints one line when it ends.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  tick(n: number): void;
  done(summary: string): void;
}

const enabled = process.stderr.isTTY === true;

export function progress(label: string, total: number): Progress {
  if (!enabled) {
    return {
      tick: () => undefined,
      done: (summary) => process.stderr.write(`  ${label}: ${summary}\n`),
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `  ${label.padEnd(48).slice(0, 48)} [{bar}] {percentage}% {value}/{total} {eta_formatted}`, hideCursor: true, stream: process.stderr, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  let value = 0;
  return {
    tick(n: number) {
      value += n;
      bar.update(Math.min(value, total));
    },
    done(summary: string) {
      bar.update(total);
      bar.stop();
      process.stderr.write(`    ${summary}\n`);
    },
  };
}

/** A line on stderr between bars. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}
