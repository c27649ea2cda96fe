#include "mapped_file.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "async_work.h"
#include "batch_scan.h"
#include "conversions.h"
#include "errors.h"

namespace skein {

Napi::Function MappedFile::define_class(Napi::Env env) {
  return DefineClass(env, "MappedFile",
                     {
                         InstanceAccessor<&MappedFile::path>("path"),
                         InstanceAccessor<&MappedFile::file_size>("fileSize"),
                         InstanceAccessor<&MappedFile::mapped_size>("mappedSize"),
                         InstanceAccessor<&MappedFile::is_mapped>("mapped"),
                         InstanceAccessor<&MappedFile::is_open>("open"),
                         InstanceMethod<&MappedFile::map>("map"),
                         InstanceMethod<&MappedFile::unmap>("unmap"),
                         InstanceMethod<&MappedFile::allocate>("allocate"),
                         InstanceMethod<&MappedFile::buffer>("buffer"),
                         InstanceMethod<&MappedFile::write>("write"),
                         InstanceMethod<&MappedFile::write_int64_be>("writeInt64BE"),
                         InstanceMethod<&MappedFile::read_copy>("readCopy"),
                         InstanceMethod<&MappedFile::flush>("flush"),
                         InstanceMethod<&MappedFile::flush_async>("flushAsync"),
                         InstanceMethod<&MappedFile::populate>("populate"),
                         InstanceMethod<&MappedFile::populate_async>("populateAsync"),
                         InstanceMethod<&MappedFile::scan>("scan"),
                         InstanceMethod<&MappedFile::scan_async>("scanAsync"),
                         InstanceMethod<&MappedFile::truncate>("truncate"),
                         InstanceMethod<&MappedFile::close>("close"),
                     });
}

// new MappedFile(path, { create?, writable? }). writable defaults to `create`.
MappedFile::MappedFile(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MappedFile>(info) {
  const Napi::Env env = info.Env();
  registry_ = AddonState::of(env)->registry;
  if (!info[0].IsString()) throw_invalid_argument(env, "path must be a string");
  path_ = info[0].As<Napi::String>().Utf8Value();
  if (path_.empty() || path_.find('\0') != std::string::npos) throw_invalid_argument(env, "path must be a file path");
  bool create = false;
  bool writable = false;
  if (!info[1].IsUndefined()) {
    if (!info[1].IsObject()) throw_invalid_argument(env, "options must be an object");
    const Napi::Object options = info[1].As<Napi::Object>();
    const Napi::Value create_value = options.Get("create");
    const Napi::Value writable_value = options.Get("writable");
    if (!create_value.IsUndefined() && !create_value.IsBoolean()) throw_invalid_argument(env, "options.create must be a boolean");
    if (!writable_value.IsUndefined() && !writable_value.IsBoolean()) throw_invalid_argument(env, "options.writable must be a boolean");
    create = create_value.IsBoolean() && create_value.As<Napi::Boolean>().Value();
    writable = writable_value.IsBoolean() ? writable_value.As<Napi::Boolean>().Value() : create;
  }
  if (create && !writable) throw_invalid_argument(env, "a file created by MappedFile must be writable");
  ErrorInfo error;
  file_ = OpenFile::open(path_, create, writable, &error);
  if (!file_) throw_error(env, error);
  registry_->open_files.insert(this);
}

MappedFile::~MappedFile() { close_native(); }

void MappedFile::close_native() {
  if (!file_) return;
  release_mapping();
  size_after_close_ = file_->size();
  file_->close_handle();
  file_.reset();
  registry_->open_files.erase(this);
}

void MappedFile::release_mapping() {
  buffer_.Reset();  // the buffer's own mapping reference goes when V8 collects it
  mapping_.reset();
}

void MappedFile::require_open(Napi::Env env, const char* what) const {
  if (!file_) throw_closed(env, std::string("MappedFile.") + what, path_);
}

void MappedFile::require_mapped(Napi::Env env, const char* what) const {
  require_open(env, what);
  if (!mapping_) throw_invalid_argument(env, std::string("MappedFile.") + what + ": not mapped: '" + path_ + "'");
}

void MappedFile::require_writable(Napi::Env env, const char* what) const {
  if (!file_->writable()) {
    throw_invalid_argument(env, std::string("MappedFile.") + what + ": opened read-only: '" + path_ + "'");
  }
}

void MappedFile::check_range(Napi::Env env, const char* what, uint64_t position, uint64_t length) const {
  const uint64_t file_size = file_->size();
  const uint64_t mapped_size = mapping_ ? mapping_->size() : file_size;
  const uint64_t limit = std::min(file_size, mapped_size);
  // position and length are below 2^53, so the sum cannot overflow.
  if (position + length > limit) {
    throw_invalid_argument(env, std::string("MappedFile.") + what + ": range [" + std::to_string(position) + ", " +
                                    std::to_string(position + length) + ") is outside the file (fileSize " +
                                    std::to_string(file_size) + ", mappedSize " + std::to_string(mapping_ ? mapping_->size() : 0) +
                                    "): '" + path_ + "'");
  }
}

Napi::Value MappedFile::path(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), path_); }

Napi::Value MappedFile::file_size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(file_ ? file_->size() : size_after_close_));
}

Napi::Value MappedFile::mapped_size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(mapping_ ? mapping_->size() : 0));
}

Napi::Value MappedFile::is_mapped(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), static_cast<bool>(mapping_));
}

Napi::Value MappedFile::is_open(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), static_cast<bool>(file_));
}

void MappedFile::map(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  require_open(env, "map");
  const uint64_t size = position_argument(info, 0, "size");
  if (size == 0) throw_invalid_argument(env, "MappedFile.map: size must be positive");
  if (mapping_ && mapping_->size() == size) return;
  ErrorInfo error;
  Mapping* mapping = Mapping::create(file_, size, registry_, &error);
  if (mapping == nullptr) throw_error(env, error);
  // The new mapping exists before the old one is let go, so a failed map leaves the handle
  // as it was. Views of the old mapping keep it alive.
  release_mapping();
  mapping_ = MappingRef::adopt(mapping);
}

void MappedFile::unmap(const Napi::CallbackInfo& info) {
  require_open(info.Env(), "unmap");
  release_mapping();
}

void MappedFile::allocate(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  require_open(env, "allocate");
  require_writable(env, "allocate");
  const uint64_t size = position_argument(info, 0, "size");
  const ErrorInfo error = file_->allocate(size);
  if (error) throw_error(env, error);
}

Napi::Value MappedFile::buffer(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  require_mapped(env, "buffer");
  if (registry_->force_copy) return env.Null();
  if (!buffer_.IsEmpty()) return buffer_.Value();
  const Napi::Value buffer = mapping_->create_external_buffer(env);
  if (buffer.IsEmpty()) return env.Null();  // the runtime refuses external buffers
  buffer_ = Napi::Persistent(buffer.As<Napi::Object>());
  return buffer;
}

void MappedFile::write(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  require_open(env, "write");
  require_writable(env, "write");
  const ByteRange src = bytes_argument(info, 0, "src");
  const uint64_t position = position_argument(info, 1, "position");
  check_range(env, "write", position, src.size);
  if (src.size == 0) return;
  if (mapping_) {
    // memmove: src may be a view of this very mapping.
    std::memmove(mapping_->data() + position, src.data, src.size);
    return;
  }
  const ErrorInfo error = file_->write_at(position, src.data, src.size);
  if (error) throw_error(env, error);
}

void MappedFile::write_int64_be(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  require_open(env, "writeInt64BE");
  require_writable(env, "writeInt64BE");
  const uint64_t position = position_argument(info, 0, "position");
  const uint64_t value = static_cast<uint64_t>(int64_argument(info, 1, "value"));
  check_range(env, "writeInt64BE", position, 8);
  uint8_t bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<uint8_t>(value >> (56 - 8 * i));
  if (mapping_) {
    std::memcpy(mapping_->data() + position, bytes, sizeof bytes);
    return;
  }
  const ErrorInfo error = file_->write_at(position, bytes, sizeof bytes);
  if (error) throw_error(env, error);
}

Napi::Value MappedFile::read_copy(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  require_open(env, "readCopy");
  const uint64_t position = position_argument(info, 0, "position");
  const uint64_t length = position_argument(info, 1, "length");
  check_range(env, "readCopy", position, length);
  if (mapping_) return Napi::Buffer<uint8_t>::Copy(env, mapping_->data() + position, static_cast<size_t>(length));
  Napi::Buffer<uint8_t> copy = Napi::Buffer<uint8_t>::New(env, static_cast<size_t>(length));
  const ErrorInfo error = file_->read_at(position, copy.Data(), static_cast<size_t>(length));
  if (error) throw_error(env, error);
  return copy;
}

void MappedFile::flush(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  require_mapped(env, "flush");
  const uint64_t start = position_argument(info, 0, "start");
  const uint64_t end = position_argument(info, 1, "end");
  if (start > end) throw_invalid_argument(env, "MappedFile.flush: start is after end");
  check_range(env, "flush", start, end - start);
  const ErrorInfo error = mapping_->sync(start, end);
  if (error) throw_error(env, error);
}

Napi::Value MappedFile::flush_async(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  require_mapped(env, "flushAsync");
  const uint64_t start = position_argument(info, 0, "start");
  const uint64_t end = position_argument(info, 1, "end");
  if (start > end) throw_invalid_argument(env, "MappedFile.flushAsync: start is after end");
  check_range(env, "flushAsync", start, end - start);
  return queue_flush(env, mapping_, start, end);
}

void MappedFile::populate(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  require_mapped(env, "populate");
  require_writable(env, "populate");
  const uint64_t start = position_argument(info, 0, "start");
  const uint64_t end = position_argument(info, 1, "end");
  if (start > end) throw_invalid_argument(env, "MappedFile.populate: start is after end");
  check_range(env, "populate", start, end - start);
  const ErrorInfo error = mapping_->populate(start, end);
  if (error) throw_error(env, error);
}

Napi::Value MappedFile::populate_async(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  require_mapped(env, "populateAsync");
  require_writable(env, "populateAsync");
  const uint64_t start = position_argument(info, 0, "start");
  const uint64_t end = position_argument(info, 1, "end");
  if (start > end) throw_invalid_argument(env, "MappedFile.populateAsync: start is after end");
  check_range(env, "populateAsync", start, end - start);
  return queue_populate(env, mapping_, start, end);
}

Napi::Value MappedFile::scan(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  require_mapped(env, "scan");
  const uint64_t start = position_argument(info, 0, "start");
  const uint64_t end = position_argument(info, 1, "end");
  const uint64_t max_batches = optional_count_argument(info, 2, "maxBatches", kUnlimitedBatches);
  if (start > end) throw_invalid_argument(env, "MappedFile.scan: start is after end");
  check_range(env, "scan", start, end - start);
  const ScanResult result = scan_batches(mapping_->data() + start, static_cast<size_t>(end - start), max_batches);
  return scan_result_to_js(env, result, start);
}

Napi::Value MappedFile::scan_async(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  require_mapped(env, "scanAsync");
  const uint64_t start = position_argument(info, 0, "start");
  const uint64_t end = position_argument(info, 1, "end");
  const uint64_t max_batches = optional_count_argument(info, 2, "maxBatches", kUnlimitedBatches);
  if (start > end) throw_invalid_argument(env, "MappedFile.scanAsync: start is after end");
  check_range(env, "scanAsync", start, end - start);
  return queue_scan(env, mapping_, start, end, max_batches);
}

void MappedFile::truncate(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  require_open(env, "truncate");
  require_writable(env, "truncate");
  const uint64_t size = position_argument(info, 0, "size");
  if (!info[1].IsUndefined() && !info[1].IsBoolean()) throw_invalid_argument(env, "MappedFile.truncate: underLiveMappings must be a boolean");
  const bool under_live_mappings = info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
  const ErrorInfo error = file_->truncate(size, under_live_mappings);
  if (error) throw_error(env, error);
}

void MappedFile::close(const Napi::CallbackInfo&) { close_native(); }

}  // namespace skein
