/**
 * Event-loop delay for the benchmarks: how late a 1 ms interval timer fires, recorded per tick
 * and for the final gap when the probe stops. (perf_hooks.monitorEventLoopDelay records
 * nothing for a loop blocked from enable() to disable(), which read as 0 ms for a wholly
 * blocking inline run; this probe's last tick catches that gap.) Not a benchmark itself.
 */
import * as hdr from 'hdr-histogram-js';

/** A histogram of lateness in microseconds, as DelayProbe records it (merge several with `add`). */
export function delayHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

export class DelayProbe {
  private readonly histogram = delayHistogram();
  private last = process.hrtime.bigint();
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.tick(), 1);
  }

  private tick(): void {
    const now = process.hrtime.bigint();
    const lateUs = Math.max(1, Number(now - this.last) / 1000 - 1000);
    this.histogram.recordValue(lateUs);
    this.last = now;
  }

  /** Stops; p99 and max lateness in ms, and the histogram (µs) to merge with other windows'. */
  stop(): { p99: number; max: number; histogram: hdr.Histogram } {
    clearInterval(this.timer);
    this.tick();
    return { p99: this.histogram.getValueAtPercentile(99) / 1000, max: this.histogram.maxValue / 1000, histogram: this.histogram };
  }
}
