#include "mapping.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

namespace skein {
namespace {

// The largest Buffer every supported Node accepts on 64-bit targets (Node 20's
// buffer.constants.MAX_LENGTH; later versions allow more). Segments stay far below it:
// Kafka positions are int32.
constexpr uint64_t kMaxExternalBufferBytes = uint64_t{1} << 32;

// What one mapping with a live external buffer counts for in V8's external memory, whatever
// its size. Counting nothing (as before) meant V8 never felt them: views nobody held any more
// kept their mappings until a GC that heap pressure alone might not start for a long time;
// reading 3,000 sealed segments once left 2,981 mappings alive (test/storage/mapping-budget),
// far past the MappingLru budget, on the way to vm.max_map_count (65,530). Counting the
// whole size made every buffer() of a 1 GiB segment start a GC. 256 KiB each lets V8 collect
// after about 256 new mappings (it starts a GC when external memory grows 64 MiB past its
// last mark), which bounds the mappings left to garbage to a few hundred.
constexpr int64_t kExternalCostPerMapping = 256 * 1024;

}  // namespace

Mapping* Mapping::create(std::shared_ptr<OpenFile> file, uint64_t size, std::shared_ptr<EnvRegistry> registry,
                         ErrorInfo* error) {
  const int protection = PROT_READ | (file->writable() ? PROT_WRITE : 0);
  void* data = mmap(nullptr, static_cast<size_t>(size), protection, MAP_SHARED, file->fd(), 0);
  if (data == MAP_FAILED) {
    *error = system_error(errno, "mmap", file->path());
    return nullptr;
  }
  return new Mapping(std::move(file), static_cast<uint8_t*>(data), size, std::move(registry));
}

Mapping::Mapping(std::shared_ptr<OpenFile> file, uint8_t* data, uint64_t size, std::shared_ptr<EnvRegistry> registry)
    : file_(std::move(file)), data_(data), size_(size), registry_(std::move(registry)) {
  file_->mapping_created();
  registry_->live_mappings.fetch_add(1, std::memory_order_relaxed);
  registry_->mapped_bytes.fetch_add(static_cast<int64_t>(size_), std::memory_order_relaxed);
}

Mapping::~Mapping() {
  munmap(data_, static_cast<size_t>(size_));
  if (revoked_) return;  // the file side was released by release_buffer
  registry_->live_mappings.fetch_sub(1, std::memory_order_relaxed);
  registry_->mapped_bytes.fetch_sub(static_cast<int64_t>(size_), std::memory_order_relaxed);
  // After munmap: a pending truncate can no longer cut pages out from under anyone.
  file_->mapping_released();
}

void Mapping::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

ErrorInfo Mapping::populate(uint64_t start, uint64_t end) const {
  if (start >= end) return {};
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t aligned = start - start % page;
  uint8_t* const address = data_ + aligned;
  const size_t length = static_cast<size_t>(end - aligned);
#if defined(__linux__)
#ifndef MADV_POPULATE_WRITE
  constexpr int MADV_POPULATE_WRITE = 23;  // <linux/mman.h>, absent from older libc headers
#endif
  if (madvise(address, length, MADV_POPULATE_WRITE) == 0) return {};
#else
  // Not Linux (macOS, the BSDs): no MADV_POPULATE_WRITE; the hint below is all there is.
  errno = EINVAL;
#endif
  if (errno == EINVAL) {
    // Older kernel: only hint. The writes then fault as they go, which is slower, not wrong.
    madvise(address, length, MADV_WILLNEED);
    return {};
  }
  return system_error(errno, "madvise", file_->path());
}

ErrorInfo Mapping::sync(uint64_t start, uint64_t end) const {
  if (start >= end) return {};
  // msync wants a page-aligned address; the mapping itself starts on a page.
  static_assert(sizeof(uint64_t) >= sizeof(size_t), "positions fit in size_t");
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t aligned = start - start % page;
  if (msync(data_ + aligned, static_cast<size_t>(end - aligned), MS_SYNC) != 0) {
    return system_error(errno, "msync", file_->path());
  }
  return {};
}

void Mapping::finalize_external_buffer(napi_env env, void*, void* hint) {
  auto* mapping = static_cast<Mapping*>(hint);
  // V8 took the bytes off its external-memory count when it freed the backing store, just
  // before this finalizer; put back what create_external_buffer took off in advance, so the
  // count ends where it started. Node runs this finalizer while the environment and its
  // isolate are alive (on the JS thread, or from the env's cleanup hooks at teardown).
  int64_t ignored;
  napi_adjust_external_memory(env, static_cast<int64_t>(mapping->size_) - mapping->external_cost(), &ignored);
  // Nothing else here touches the env or AddonState: the registry is held by the mapping.
  if (!mapping->revoked_) mapping->registry_->buffered_mappings.erase(mapping->data_);
  if (mapping->weak_array_buffer_ != nullptr) {
    napi_delete_reference(env, mapping->weak_array_buffer_);
    mapping->weak_array_buffer_ = nullptr;
  }
  mapping->release();
}

int64_t Mapping::external_cost() const {
  return kExternalCostPerMapping;
}

bool Mapping::release_buffer(Napi::Env env) {
  if (revoked_) return false;
  // Detaching may free the backing store at once; its finalizer (our reference) runs later,
  // from an immediate, but hold a reference of our own across this anyway.
  MappingRef self = (acquire(), MappingRef::adopt(this));
  napi_value array_buffer = nullptr;
  if (weak_array_buffer_ != nullptr) {
    NAPI_THROW_IF_FAILED(env, napi_get_reference_value(env, weak_array_buffer_, &array_buffer), false);
  }
  // No ArrayBuffer: V8 collected it and no JS can reach these pages any more.
  if (array_buffer != nullptr) NAPI_THROW_IF_FAILED(env, napi_detach_arraybuffer(env, array_buffer), false);
  void* placeholder = mmap(data_, static_cast<size_t>(size_), PROT_NONE,
                           MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (placeholder == MAP_FAILED) {
    // Cannot happen short of running out of kernel memory for the VMA; the file mapping then
    // stays until the last reference, as without release_buffer. The views are detached.
    return true;
  }
  revoked_ = true;
  registry_->buffered_mappings.erase(data_);
  registry_->live_mappings.fetch_sub(1, std::memory_order_relaxed);
  registry_->mapped_bytes.fetch_sub(static_cast<int64_t>(size_), std::memory_order_relaxed);
  file_->mapping_released();
  return true;
}

Napi::Value Mapping::create_external_buffer(Napi::Env env) {
  if (external_buffer_created_) {
    // A second external buffer over this address is exactly what must not happen.
    ErrorInfo info;
    info.code = error_code::kIoError;
    info.message = "internal error: a second external buffer was requested for one mapping of '" + file_->path() + "'";
    throw_error(env, info);
  }
  // napi_create_external_buffer makes one external ArrayBuffer over the memory and the
  // Buffer view over it in one step (Node implements napi_create_external_arraybuffer by
  // calling it), which saves a call back into JS to wrap an ArrayBuffer in a Buffer.
  //
  // External memory accounting. V8 counts an external backing store's length as external
  // memory and starts a garbage collection when that count grows past a limit (64 MiB above
  // its low point since the last mark-compact; a full GC at once past half the heap limit).
  // A mapping is not memory the program allocated but address space over the page cache,
  // and a 1 GiB segment mapping would force a GC on every buffer() call. Measured here (64
  // buffer() calls over 1 GiB mappings): 72 GC events and ~100 ms without the adjustment,
  // 12 events (incremental marking only) and ~20 ms with it. So the length is taken off the
  // count *before* the buffer is created (V8 adds it during creation; taking it off after
  // would come too late) and put back by the finalizer after V8 took it off again on free,
  // so the count ends where it started (lmdb-js does the same for its maps). The events
  // left come from V8 lowering its limit when the count dips, then seeing it rise again.
  if (size_ > kMaxExternalBufferBytes) {
    // Checked here because node::Buffer::New, refusing a length over its maximum, calls the
    // finalizer before returning the error, which would drop the reference twice.
    ErrorInfo info;
    info.code = error_code::kInvalidArgument;
    info.message = "a mapping of " + std::to_string(size_) + " bytes is too large for one Buffer (at most " +
                   std::to_string(kMaxExternalBufferBytes) + "): '" + file_->path() + "'";
    throw_error(env, info);
  }
  int64_t ignored;
  napi_adjust_external_memory(env, external_cost() - static_cast<int64_t>(size_), &ignored);
  napi_value buffer = nullptr;
  acquire();  // the buffer's reference, released by finalize_external_buffer
  const napi_status status = napi_create_external_buffer(env, static_cast<size_t>(size_), data_,
                                                         finalize_external_buffer, this, &buffer);
  if (status != napi_ok) {
    napi_adjust_external_memory(env, static_cast<int64_t>(size_) - external_cost(), &ignored);
    release();
    if (status == napi_no_external_buffers_allowed) return Napi::Value();
    // A pending exception (e.g. length over the Buffer maximum) is rethrown as is.
    NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  }
  external_buffer_created_ = true;
  registry_->external_buffers.fetch_add(1, std::memory_order_relaxed);
  registry_->buffered_mappings[data_] = this;
  napi_value array_buffer = nullptr;
  if (napi_get_typedarray_info(env, buffer, nullptr, nullptr, nullptr, &array_buffer, nullptr) == napi_ok) {
    napi_create_reference(env, array_buffer, 0, &weak_array_buffer_);
  }
  return Napi::Value(env, buffer);
}

}  // namespace skein
