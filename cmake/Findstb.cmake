# Findstb.cmake - locates stb's image headers and Debian's compiled libstb.
#
# Defines stb::stb (headers + library) and stb_FOUND. fer's headers include <stb/stb_image.h>
# where that path exists and <stb_image.h> otherwise, so either layout works. In a cross build
# (no libstb for the target), stb's image codecs are compiled from the headers instead.
find_path(stb_INCLUDE_DIR stb_image.h PATH_SUFFIXES stb)
find_library(stb_LIBRARY NAMES stb)

if(NOT stb_LIBRARY AND CMAKE_CROSSCOMPILING AND stb_INCLUDE_DIR AND NOT TARGET fer_stb_codecs)
  set(fer_stb_source ${CMAKE_BINARY_DIR}/fer_stb_codecs.cpp)
  file(CONFIGURE OUTPUT ${fer_stb_source} CONTENT
       "#define STB_IMAGE_IMPLEMENTATION\n#include <stb_image.h>\n#define STB_IMAGE_WRITE_IMPLEMENTATION\n#include <stb_image_write.h>\n")
  add_library(fer_stb_codecs STATIC ${fer_stb_source})
  target_include_directories(fer_stb_codecs SYSTEM PRIVATE ${stb_INCLUDE_DIR})
  set(stb_LIBRARY fer_stb_codecs)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(stb REQUIRED_VARS stb_LIBRARY stb_INCLUDE_DIR
  REASON_FAILURE_MESSAGE "install Debian's libstb-dev (apt-get install libstb-dev)")

if(stb_FOUND AND NOT TARGET stb::stb)
  if(TARGET fer_stb_codecs)
    add_library(stb::stb ALIAS fer_stb_codecs)
    target_include_directories(fer_stb_codecs INTERFACE ${stb_INCLUDE_DIR})
  else()
    add_library(stb::stb UNKNOWN IMPORTED)
    set_target_properties(stb::stb PROPERTIES IMPORTED_LOCATION "${stb_LIBRARY}"
                                              INTERFACE_INCLUDE_DIRECTORIES "${stb_INCLUDE_DIR}")
  endif()
endif()
mark_as_advanced(stb_INCLUDE_DIR stb_LIBRARY)
