# wattserve_embed(<target> <symbol> <file>): compiles <file> into <target> as
#   extern const char* const <symbol>_data; extern const std::size_t <symbol>_size;
# so data tables (CPU TDPs, grid carbon intensity) ship inside the binary.
function(wattserve_embed target symbol file)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/embed/${symbol}.cpp")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DIN=${file} -DOUT=${out} -DSYMBOL=${symbol}
            -P "${CMAKE_SOURCE_DIR}/cmake/EmbedFile.cmake"
    DEPENDS "${file}" "${CMAKE_SOURCE_DIR}/cmake/EmbedFile.cmake"
    COMMENT "Embedding ${file} as ${symbol}" VERBATIM)
  target_sources(${target} PRIVATE "${out}")
endfunction()
