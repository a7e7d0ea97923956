# cmake -DIN=file -DOUT=file.cpp -DSYMBOL=name -P EmbedFile.cmake
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR size "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}" "// Generated from ${IN}; do not edit.\n#include <cstddef>\nextern const char* const ${SYMBOL}_data;\nextern const std::size_t ${SYMBOL}_size;\nconst unsigned char ${SYMBOL}_bytes[] = {\n${bytes}0x00};\nconst char* const ${SYMBOL}_data = reinterpret_cast<const char*>(${SYMBOL}_bytes);\nconst std::size_t ${SYMBOL}_size = ${size};\n")
