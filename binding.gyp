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
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_ADDON_API_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O3", "-Wall", "-Wextra", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags!": ["-fno-exceptions"]
    }
  ]
}
