/** The log settings shared by kill-during-compaction.test.ts and its child: small segments, no time rolls. */
export const COMPACT_LOG_CONFIG = { segmentBytes: 4096, segmentMs: Infinity, preallocateBytes: 4096, indexIntervalBytes: 512, deleteRetentionMs: 0 };
/** The cleaner's clock in these tests: far past every record's timestamp, so tombstones (delete.retention.ms 0) go. */
export const NOW = 10_000_000_000_000;
