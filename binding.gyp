{
  "targets": [
    {
      "target_name": "obrol_transport",
      "sources": ["native/transport.cc"],
      "cflags_cc": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fno-exceptions"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
