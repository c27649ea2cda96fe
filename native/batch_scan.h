// Walks Kafka RecordBatch v2 framing and checks each batch's CRC-32C.
//
// Pure computation over bytes: no N-API, callable from worker threads (scanAsync). Used on
// producer appends (scanBuffer) and on recovery of a segment's tail (MappedFile.scan).
//
// The fields it reads (big-endian), from the start of a batch:
//
//   offset  size  field
//        0     8  baseOffset            int64
//        8     4  batchLength           int32   bytes after this field: total = 12 + batchLength
//       12     4  partitionLeaderEpoch  int32
//       16     1  magic                 int8    must be 2
//       17     4  crc                   uint32  CRC-32C of bytes [21, 12 + batchLength)
//       21    40  attributes .. recordCount (the rest of the 61-byte header), then records
//
// The smallest batch is the bare header: batchLength 61 - 12 = 49.
#pragma once

#include <cstddef>
#include <cstdint>

namespace skein {

// Shared with ScanStop in src/native/binding.ts, which checks the exported constants at load.
enum class ScanStop : int {
  kEnd = 0,        // the range ended exactly on a batch boundary
  kTruncated = 1,  // fewer bytes left than the 12-byte log overhead or the declared length
  kBadLength = 2,  // batchLength < 49 (a zeroed tail lands here) or negative
  kBadMagic = 3,   // magic != 2
  kBadCrc = 4,     // stored CRC-32C does not match
  kLimit = 5,      // max_batches batches were read and bytes remain
};

inline constexpr size_t kBatchLengthOffset = 8;
inline constexpr size_t kMagicOffset = 16;
inline constexpr size_t kCrcOffset = 17;
inline constexpr size_t kCrcCoverageStart = 21;
inline constexpr size_t kLogOverhead = 12;  // baseOffset + batchLength
inline constexpr int32_t kMinBatchLength = 49;
inline constexpr size_t kBatchHeaderSize = kLogOverhead + kMinBatchLength;  // 61
inline constexpr uint8_t kMagicV2 = 2;

struct ScanResult {
  uint64_t valid_end = 0;  // bytes from `data` to just past the last valid batch
  uint64_t batches = 0;    // valid batches before valid_end
  ScanStop stop = ScanStop::kEnd;
};

inline constexpr uint64_t kUnlimitedBatches = ~uint64_t{0};

// What summarize_batches writes per valid batch, as doubles (every field fits in 53 bits:
// producer ids are allocated from 0 upwards; timestamps are ms). Shared with
// src/records/batch-summary.ts, which checks the exported constants at load.
enum SummaryField : int {
  kSummaryPosition = 0,        // byte index of the batch in the scanned range
  kSummarySize = 1,            // 12 + batchLength
  kSummaryLastOffsetDelta = 2,
  kSummaryRecordCount = 3,
  kSummaryProducerId = 4,
  kSummaryProducerEpoch = 5,
  kSummaryBaseSequence = 6,
  kSummaryAttributes = 7,      // codec in the low 3 bits, timestamp type, transactional, control
  kSummaryMaxTimestamp = 8,
  kSummaryFields = 9,
};

// Scans [data, data + size) from its first byte, stopping at the first invalid batch, at
// the end of the range, or after max_batches valid batches.
ScanResult scan_batches(const uint8_t* data, size_t size, uint64_t max_batches) noexcept;

// The same scan (framing, magic, CRC), also writing kSummaryFields doubles per valid batch
// to `summary`, for at most max_batches batches (stop kLimit when more remain): one walk of
// the headers that every later step of an append reads instead of the bytes.
ScanResult summarize_batches(const uint8_t* data, size_t size, double* summary, uint64_t max_batches) noexcept;

}  // namespace skein
