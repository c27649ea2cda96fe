// Placeholder until the native layer lands; replaced by the real init.
#include <napi.h>
static Napi::Object Init(Napi::Env env, Napi::Object exports) { return exports; }
NODE_API_MODULE(skein_native, Init)
