// MappedFile: the JS handle over one segment file (NativeMappedFile in
// src/native/binding.ts). JS thread only.
//
// Owns: argument and state checks (every method but close() and the getters throws
// SKEIN_CLOSED after close), the handle's reference to its current Mapping, and the strong
// reference to that mapping's one external Buffer. The file itself (fd, sizes, deferred
// truncate) is an OpenFile shared with the mappings; the memory is a Mapping shared with
// buffers and async work (see mapping.h for who holds what).
//
// Lifecycle: open → map/allocate/write/... → close (or env cleanup, or garbage collection
// of the handle, which both close it). Views taken from buffer() outlive all three.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "addon_state.h"
#include "mapping.h"
#include "open_file.h"

namespace skein {

class MappedFile : public Napi::ObjectWrap<MappedFile> {
 public:
  static Napi::Function define_class(Napi::Env env);

  explicit MappedFile(const Napi::CallbackInfo& info);
  ~MappedFile() override;

  // Drops the cached buffer and the mapping reference, closes the file. Idempotent; also
  // called by the env cleanup hook and the destructor.
  void close_native();
  // The mapping this handle holds (null when unmapped or closed).
  const Mapping* current_mapping() const { return mapping_.get(); }

 private:
  Napi::Value path(const Napi::CallbackInfo& info);
  Napi::Value file_size(const Napi::CallbackInfo& info);
  Napi::Value mapped_size(const Napi::CallbackInfo& info);
  Napi::Value is_mapped(const Napi::CallbackInfo& info);
  Napi::Value is_open(const Napi::CallbackInfo& info);

  void map(const Napi::CallbackInfo& info);
  void unmap(const Napi::CallbackInfo& info);
  void allocate(const Napi::CallbackInfo& info);
  Napi::Value buffer(const Napi::CallbackInfo& info);
  void write(const Napi::CallbackInfo& info);
  void write_int64_be(const Napi::CallbackInfo& info);
  Napi::Value read_copy(const Napi::CallbackInfo& info);
  void flush(const Napi::CallbackInfo& info);
  Napi::Value flush_async(const Napi::CallbackInfo& info);
  void populate(const Napi::CallbackInfo& info);
  Napi::Value populate_async(const Napi::CallbackInfo& info);
  Napi::Value scan(const Napi::CallbackInfo& info);
  Napi::Value scan_async(const Napi::CallbackInfo& info);
  void truncate(const Napi::CallbackInfo& info);
  void close(const Napi::CallbackInfo& info);

  // Throw SKEIN_CLOSED / SKEIN_INVALID_ARGUMENT unless the state allows `what`.
  void require_open(Napi::Env env, const char* what) const;
  void require_mapped(Napi::Env env, const char* what) const;
  void require_writable(Napi::Env env, const char* what) const;
  // Throws SKEIN_INVALID_ARGUMENT unless [position, position + length) lies within the
  // logical file size and, when mapped, the mapping.
  void check_range(Napi::Env env, const char* what, uint64_t position, uint64_t length) const;
  // Drops the cached buffer and the handle's mapping reference.
  void release_mapping();

  std::shared_ptr<EnvRegistry> registry_;
  std::string path_;
  std::shared_ptr<OpenFile> file_;  // null once closed
  MappingRef mapping_;              // the current mapping, if mapped
  Napi::ObjectReference buffer_;    // strong: the current mapping's external Buffer
  uint64_t size_after_close_ = 0;   // fileSize reported after close
};

}  // namespace skein
