#include "batch_scan.h"

#include "crc32c.h"

namespace skein {
namespace {

inline uint32_t load32be(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

inline uint64_t load64be(const uint8_t* p) {
  return uint64_t{load32be(p)} << 32 | uint64_t{load32be(p + 4)};
}

inline int16_t load16be(const uint8_t* p) {
  return static_cast<int16_t>(uint16_t{p[0]} << 8 | uint16_t{p[1]});
}

// Header fields past the CRC, by their offset from the batch start (see batch_scan.h).
constexpr size_t kAttributesOffset = 21;
constexpr size_t kLastOffsetDeltaOffset = 23;
constexpr size_t kMaxTimestampOffset = 35;
constexpr size_t kProducerIdOffset = 43;
constexpr size_t kProducerEpochOffset = 51;
constexpr size_t kBaseSequenceOffset = 53;
constexpr size_t kRecordCountOffset = 57;

void summarize(const uint8_t* batch, size_t position, size_t total, double* out) noexcept {
  out[kSummaryPosition] = static_cast<double>(position);
  out[kSummarySize] = static_cast<double>(total);
  out[kSummaryLastOffsetDelta] = static_cast<int32_t>(load32be(batch + kLastOffsetDeltaOffset));
  out[kSummaryRecordCount] = static_cast<int32_t>(load32be(batch + kRecordCountOffset));
  out[kSummaryProducerId] = static_cast<double>(static_cast<int64_t>(load64be(batch + kProducerIdOffset)));
  out[kSummaryProducerEpoch] = load16be(batch + kProducerEpochOffset);
  out[kSummaryBaseSequence] = static_cast<int32_t>(load32be(batch + kBaseSequenceOffset));
  out[kSummaryAttributes] = static_cast<uint16_t>(load16be(batch + kAttributesOffset));
  out[kSummaryMaxTimestamp] = static_cast<double>(static_cast<int64_t>(load64be(batch + kMaxTimestampOffset)));
}

template <bool kSummarize>
ScanResult walk(const uint8_t* data, size_t size, double* summary, uint64_t max_batches) noexcept {
  ScanResult result;
  size_t position = 0;
  for (;;) {
    result.valid_end = position;
    const size_t remaining = size - position;
    if (remaining == 0) {
      result.stop = ScanStop::kEnd;
      return result;
    }
    if (result.batches >= max_batches) {
      result.stop = ScanStop::kLimit;
      return result;
    }
    if (remaining < kLogOverhead) {
      result.stop = ScanStop::kTruncated;
      return result;
    }
    const uint8_t* batch = data + position;
    const int32_t batch_length = static_cast<int32_t>(load32be(batch + kBatchLengthOffset));
    if (batch_length < kMinBatchLength) {
      result.stop = ScanStop::kBadLength;
      return result;
    }
    const size_t total = kLogOverhead + static_cast<size_t>(batch_length);
    if (remaining < total) {
      result.stop = ScanStop::kTruncated;
      return result;
    }
    if (batch[kMagicOffset] != kMagicV2) {
      result.stop = ScanStop::kBadMagic;
      return result;
    }
    const uint32_t stored = load32be(batch + kCrcOffset);
    if (crc32c(batch + kCrcCoverageStart, total - kCrcCoverageStart) != stored) {
      result.stop = ScanStop::kBadCrc;
      return result;
    }
    if constexpr (kSummarize) summarize(batch, position, total, summary + result.batches * kSummaryFields);
    position += total;
    result.batches += 1;
  }
}

}  // namespace

ScanResult scan_batches(const uint8_t* data, size_t size, uint64_t max_batches) noexcept {
  return walk<false>(data, size, nullptr, max_batches);
}

ScanResult summarize_batches(const uint8_t* data, size_t size, double* summary, uint64_t max_batches) noexcept {
  return walk<true>(data, size, summary, max_batches);
}

}  // namespace skein
