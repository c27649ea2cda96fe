{
  "targets": [
    {
      "target_name": "skein_native",
      "sources": [
        "native/addon.cc",
        "native/async_work.cc",
        "native/batch_scan.cc",
        "native/conversions.cc",
        "native/crc32c.cc",
        "native/crc32c_armv8.cc",
        "native/crc32c_sse42.cc",
        "native/crc32c_table.cc",
        "native/errors.cc",
        "native/mapped_file.cc",
        "native/mapping.cc",
        "native/module_functions.cc",
        "native/open_file.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      # NAPI_VERSION pinned: 8 runs on Node 20, 22 and 24. C++ exceptions carry JS errors out
      # of the addon; NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS lets async work completing while
      # a worker terminates (JS can no longer run) end quietly instead of std::terminate.
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_ADDON_API_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O3", "-Wall", "-Wextra", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags!": ["-fno-exceptions"]
    }
  ]
}
