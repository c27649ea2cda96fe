// One mmap(MAP_SHARED) of a segment file, reference counted.
//
// Who holds a reference:
//   - the MappedFile handle, from map() until unmap(), a remap, close() or env cleanup;
//   - the one external buffer created over the mapping (buffer()), until V8 collects it and
//     its finalizer runs;
//   - each async operation (flushAsync, scanAsync) while it runs, so an unmap or close
//     during the work is safe.
// The last release munmaps, then tells the OpenFile, which applies a pending truncate and
// closes the fd if the handle has closed. References are atomic: release may happen on any
// thread, though in practice it is the JS thread.
//
// One external buffer per mapping, never two over one address: V8 keeps a registry of
// backing stores by address and aborted when two shared one (nodejs/node issue 32463).
// MappedFile keeps a strong reference to the buffer while the mapping is its current one,
// so buffer() never needs a second; munmap happens only after the finalizer, so a later
// mapping that reuses the address cannot meet a live backing store.
#pragma once

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>

#include "addon_state.h"
#include "errors.h"
#include "open_file.h"

namespace skein {

class Mapping {
 public:
  // Maps [0, size) of `file` (size may exceed the file: the pages past EOF are reserved
  // address space). Returns a mapping holding one reference (the caller's), or null with
  // *error filled in.
  static Mapping* create(std::shared_ptr<OpenFile> file, uint64_t size, std::shared_ptr<EnvRegistry> registry,
                         ErrorInfo* error);

  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;

  void acquire() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept;

  uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  OpenFile& file() const { return *file_; }

  // msync(MS_SYNC) of the whole pages covering [start, end), end <= size(). Any thread.
  ErrorInfo sync(uint64_t start, uint64_t end) const;

  // Faults in the whole pages covering [start, end) for writing, in one madvise
  // (MADV_POPULATE_WRITE, Linux 5.14+). A first write to each page of a shared file mapping
  // otherwise takes a page fault of its own, which made appends into fresh pages about 40x
  // slower than memcpy into resident ones here. The kernel does not change the bytes, so this
  // may run on a pool thread while the JS thread writes below `start`. Where the kernel lacks
  // the advice it falls back to MADV_WILLNEED (a hint) and reports success. end <= size().
  ErrorInfo populate(uint64_t start, uint64_t end) const;

  // JS thread. The external Buffer over the whole mapping; it holds a reference released by
  // its finalizer. Returns an empty value, and takes no reference, when the runtime refuses
  // external buffers (napi_no_external_buffers_allowed). Called at most once per mapping.
  Napi::Value create_external_buffer(Napi::Env env);
  bool has_external_buffer() const { return external_buffer_created_; }

  // JS thread. Releases the mapping now instead of when V8 collects its buffer: detaches the
  // external ArrayBuffer if it is still alive (every view of it reads as empty from then on,
  // never as other bytes) and replaces the file pages by an inaccessible anonymous
  // placeholder over the same addresses (no file, no fd, no memory), so a native pointer
  // still in flight (a socket write queued in libuv) fails with EFAULT instead of reading a
  // mapping that reused the address. The placeholder is unmapped with the last reference.
  // Returns false if it was already released.
  bool release_buffer(Napi::Env env);

 private:
  Mapping(std::shared_ptr<OpenFile> file, uint8_t* data, uint64_t size, std::shared_ptr<EnvRegistry> registry);
  ~Mapping();
  static void finalize_external_buffer(napi_env env, void* data, void* hint);
  // What the external buffer adds to V8's external memory count (see kExternalCostPerMapping).
  int64_t external_cost() const;

  std::atomic<int64_t> refs_{1};
  const std::shared_ptr<OpenFile> file_;
  uint8_t* const data_;
  const uint64_t size_;
  const std::shared_ptr<EnvRegistry> registry_;
  bool external_buffer_created_ = false;  // JS thread
  bool revoked_ = false;                  // JS thread; release_buffer ran
  // JS thread. A weak reference to the external ArrayBuffer (not the Buffer: subarray views
  // keep the ArrayBuffer alive after the Buffer object is gone). Empty once V8 collected it;
  // deleted by the finalizer.
  napi_ref weak_array_buffer_ = nullptr;
};

// An owning pointer to one reference of a Mapping.
class MappingRef {
 public:
  MappingRef() = default;
  // Adopts a reference the caller already holds (as returned by Mapping::create).
  static MappingRef adopt(Mapping* mapping) {
    MappingRef ref;
    ref.mapping_ = mapping;
    return ref;
  }
  MappingRef(const MappingRef& other) : mapping_(other.mapping_) {
    if (mapping_ != nullptr) mapping_->acquire();
  }
  MappingRef(MappingRef&& other) noexcept : mapping_(other.mapping_) { other.mapping_ = nullptr; }
  MappingRef& operator=(MappingRef other) noexcept {
    std::swap(mapping_, other.mapping_);
    return *this;
  }
  ~MappingRef() { reset(); }

  void reset() noexcept {
    if (mapping_ != nullptr) std::exchange(mapping_, nullptr)->release();
  }
  Mapping* get() const { return mapping_; }
  Mapping* operator->() const { return mapping_; }
  explicit operator bool() const { return mapping_ != nullptr; }

 private:
  Mapping* mapping_ = nullptr;
};

}  // namespace skein
