// fer/version.hpp - the library version.
#pragma once

#define FER_VERSION_MAJOR 0
#define FER_VERSION_MINOR 1
#define FER_VERSION_PATCH 0
#define FER_VERSION_STRING "0.1.0"
