// The C entry point every engine plug-in exports. Kept as plain C so that a plug-in built by
// another compiler or with other flags still loads.
#pragma once

extern "C" {
// Describes the engine as "name\nversion\nprovider1,provider2". The string is static.
const char* wattserve_engine_describe();
}
