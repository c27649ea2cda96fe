/** The log settings shared by the crash test and its child (both must open the folder alike). */
import type { LogConfig } from '../../src/storage/log-config.js';

export const CRASH_LOG_CONFIG: Partial<LogConfig> = {
  // Small segments: a run of a few hundred ms rolls many times, so kills land in rolls too.
  segmentBytes: 64 * 1024,
  // Every batch acknowledged only after a flush, with group commit.
  flushMessages: 1,
  indexIntervalBytes: 2048,
  // Batches carry timestamps from the parent's clock; time must not roll or expire segments.
  segmentMs: Infinity,
  retentionMs: -1,
};
