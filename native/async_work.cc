#include "async_work.h"

#include <string>

#include "batch_scan.h"
#include "conversions.h"
#include "errors.h"

namespace skein {
namespace {

// The common part: the promise, the mapping reference, the caller's stack and the outcome.
class MappingWork : public Napi::AsyncWorker {
 public:
  MappingWork(Napi::Env env, const char* name, MappingRef mapping)
      : Napi::AsyncWorker(env, name),
        mapping_(std::move(mapping)),
        deferred_(Napi::Promise::Deferred::New(env)),
        // Captures the JS stack of the call that queued the work (about a microsecond,
        // small next to an msync or a scan).
        call_site_(Napi::Persistent(Napi::Error::New(env).Value())) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  virtual Napi::Value result(Napi::Env env) = 0;

  void OnOK() override {
    const Napi::Env env = Env();
    if (error_) {
      deferred_.Reject(error_with_call_site(env));
    } else {
      deferred_.Resolve(result(env));
    }
  }

  // Never used: Execute reports failures through error_ rather than SetError, so that the
  // rejection is a coded error from the factory.
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

  ErrorInfo error_;
  MappingRef mapping_;  // released when the worker is destroyed, on the JS thread

 private:
  Napi::Value error_with_call_site(Napi::Env env) {
    const Napi::Value error = make_error(env, error_);
    if (!error.IsObject()) return error;
    Napi::Object object = error.As<Napi::Object>();
    const Napi::Value captured = call_site_.Value().Get("stack");
    if (!captured.IsString()) return error;
    // "Error\n    at caller..." → "<name>: <message>\n    at caller..."
    const std::string stack = captured.As<Napi::String>().Utf8Value();
    const size_t first_frame = stack.find('\n');
    if (first_frame == std::string::npos) return error;
    const std::string name = object.Get("name").ToString().Utf8Value();
    object.Set("stack", name + ": " + error_.message + stack.substr(first_frame));
    return error;
  }

  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference call_site_;
};

class FlushWork final : public MappingWork {
 public:
  FlushWork(Napi::Env env, MappingRef mapping, uint64_t start, uint64_t end)
      : MappingWork(env, "skein:flushAsync", std::move(mapping)), start_(start), end_(end) {}

 protected:
  void Execute() override { error_ = mapping_->sync(start_, end_); }
  Napi::Value result(Napi::Env env) override { return env.Undefined(); }

 private:
  const uint64_t start_;
  const uint64_t end_;
};

class PopulateWork final : public MappingWork {
 public:
  PopulateWork(Napi::Env env, MappingRef mapping, uint64_t start, uint64_t end)
      : MappingWork(env, "skein:populateAsync", std::move(mapping)), start_(start), end_(end) {}

 protected:
  void Execute() override { error_ = mapping_->populate(start_, end_); }
  Napi::Value result(Napi::Env env) override { return env.Undefined(); }

 private:
  const uint64_t start_;
  const uint64_t end_;
};

class ScanWork final : public MappingWork {
 public:
  ScanWork(Napi::Env env, MappingRef mapping, uint64_t start, uint64_t end, uint64_t max_batches)
      : MappingWork(env, "skein:scanAsync", std::move(mapping)), start_(start), end_(end), max_batches_(max_batches) {}

 protected:
  void Execute() override {
    scan_ = scan_batches(mapping_->data() + start_, static_cast<size_t>(end_ - start_), max_batches_);
  }
  Napi::Value result(Napi::Env env) override { return scan_result_to_js(env, scan_, start_); }

 private:
  const uint64_t start_;
  const uint64_t end_;
  const uint64_t max_batches_;
  ScanResult scan_;
};

}  // namespace

Napi::Promise queue_flush(Napi::Env env, MappingRef mapping, uint64_t start, uint64_t end) {
  auto* work = new FlushWork(env, std::move(mapping), start, end);
  Napi::Promise promise = work->promise();
  work->Queue();  // the worker deletes itself after OnOK/OnError
  return promise;
}

Napi::Promise queue_populate(Napi::Env env, MappingRef mapping, uint64_t start, uint64_t end) {
  auto* work = new PopulateWork(env, std::move(mapping), start, end);
  Napi::Promise promise = work->promise();
  work->Queue();
  return promise;
}

Napi::Promise queue_scan(Napi::Env env, MappingRef mapping, uint64_t start, uint64_t end, uint64_t max_batches) {
  auto* work = new ScanWork(env, std::move(mapping), start, end, max_batches);
  Napi::Promise promise = work->promise();
  work->Queue();
  return promise;
}

}  // namespace skein
