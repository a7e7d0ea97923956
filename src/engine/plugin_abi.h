// The entry points every engine plug-in (libwattserve_engine_<name>.so) exports, found with
// dlsym by engines.cpp.
//
// The factory is a C++ object (engine.h) returned through a C-linkage function: this is sound
// only because every plug-in is built in-tree by the same compiler, standard library and
// flags as the wattserve binary (src/engine/CMakeLists.txt). A plug-in from another build is
// refused by the ABI version check below, which must be bumped whenever engine.h changes.
#pragma once

#include "engine/engine.h"

#define WATTSERVE_ENGINE_ABI_VERSION 2

extern "C" {
// WATTSERVE_ENGINE_ABI_VERSION as the plug-in was compiled.
int wattserve_engine_abi_version();
// The engine; a static object owned by the plug-in, valid while the plug-in is loaded
// (forever: plug-ins are never unloaded).
wattserve::engine::EngineFactory* wattserve_engine_factory();
}

// Defines both entry points for a plug-in whose factory class is `Factory`.
#define WATTSERVE_ENGINE_PLUGIN(Factory)                                    \
  extern "C" int wattserve_engine_abi_version() {                           \
    return WATTSERVE_ENGINE_ABI_VERSION;                                    \
  }                                                                         \
  extern "C" wattserve::engine::EngineFactory* wattserve_engine_factory() { \
    static Factory factory;                                                 \
    return &factory;                                                        \
  }
