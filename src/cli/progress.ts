/**
 * Progress bars on stderr for long work (produce --file, log inspect, bench), only when stderr
 * is a terminal: pipes and tests get clean output. Drawn by hand in one line (no dependency),
 * at most ten times a second.
 */
export interface ProgressBar {
  increment(by: number): void;
  stop(): void;
}

const NONE: ProgressBar = { increment: () => undefined, stop: () => undefined };

export function progressBar(total: number, unit: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (!stream.isTTY || total <= 0) return NONE;
  let done = 0;
  let drawnAt = 0;
  const draw = () => {
    const share = Math.min(1, done / total);
    const width = 30;
    const filled = Math.round(share * width);
    stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${done}/${total} ${unit}`);
  };
  return {
    increment(by: number) {
      done += by;
      const now = Date.now();
      if (now - drawnAt >= 100) {
        drawnAt = now;
        draw();
      }
    },
    stop() {
      draw();
      stream.write('\n');
    },
  };
}
