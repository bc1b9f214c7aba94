# Writes a C++ source defining `std::string_view vc::server::NAME()` that returns the bytes of INPUT,
# so a document (docs/openapi.json) ships inside the binary and a change to it rebuilds only this.
#   cmake -DINPUT=<file> -DOUTPUT=<file.cpp> -DNAME=<function> -P embed_text.cmake
file(READ "${INPUT}" content)
set(delim "vc_embed_")
string(FIND "${content}" ")${delim}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter ')${delim}\"'")
endif()
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT} by embed_text.cmake; do not edit.\n"
  "#include <string_view>\n\nnamespace vc::server {\n\n"
  "std::string_view ${NAME}() {\n"
  "  // An array and its size, not a constexpr string_view: measuring a document over 256 KiB at compile\n"
  "  // time exceeds GCC's constexpr loop limit.\n"
  "  static constexpr char text[] = R\"${delim}(${content})${delim}\";\n"
  "  return std::string_view(text, sizeof text - 1);\n}\n\n}  // namespace vc::server\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
