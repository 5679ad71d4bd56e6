# Findstb.cmake - locates stb's image headers and Debian's compiled libstb.
#
# Defines stb::stb (headers + library) and stb_FOUND. fer's headers include <stb/stb_image.h>
# where that path exists and <stb_image.h> otherwise, so either layout works.
find_path(stb_INCLUDE_DIR stb_image.h PATH_SUFFIXES stb)
find_library(stb_LIBRARY NAMES stb)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(stb REQUIRED_VARS stb_LIBRARY stb_INCLUDE_DIR
  REASON_FAILURE_MESSAGE "install Debian's libstb-dev (apt-get install libstb-dev)")

if(stb_FOUND AND NOT TARGET stb::stb)
  add_library(stb::stb UNKNOWN IMPORTED)
  set_target_properties(stb::stb PROPERTIES IMPORTED_LOCATION "${stb_LIBRARY}"
                                            INTERFACE_INCLUDE_DIRECTORIES "${stb_INCLUDE_DIR}")
endif()
mark_as_advanced(stb_INCLUDE_DIR stb_LIBRARY)
