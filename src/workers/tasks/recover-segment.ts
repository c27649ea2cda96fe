/**
 * Worker task: the scan and index walk of one segment being opened (storage/segment-recovery.ts):
 * the CRC walk of the bytes to check, the end of the valid data and the rebuilt index entries.
 * The worker maps the file read-only itself through the addon; only the small result crosses
 * back. The event loop applies it (cut, indexes) in finishLoad (storage/segment-load.ts).
 */
import { scanSegmentFile, type SegmentScanRequest, type SegmentScanResult } from '../../storage/segment-recovery.js';
import { taskFailure, type TaskOutcome } from './task-errors.js';

export function recoverSegment(request: SegmentScanRequest): TaskOutcome<SegmentScanResult> {
  try {
    return { ok: true, value: scanSegmentFile(request) };
  } catch (err) {
    return taskFailure(err);
  }
}
