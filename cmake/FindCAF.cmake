# FindCAF.cmake -- finds the C++ Actor Framework as Debian 12 ships it (libcaf-dev 0.17.6),
# which installs neither a CAFConfig.cmake nor pkg-config files.
#
#   find_package(CAF 0.17.6 REQUIRED COMPONENTS core io)
#   target_link_libraries(app PRIVATE CAF::core)
#
# Components: core (always), io, openssl. Imported targets: CAF::core, CAF::io, CAF::openssl.
# Result variables: CAF_FOUND, CAF_VERSION, CAF_INCLUDE_DIRS, CAF_LIBRARIES, CAF_<comp>_FOUND.
# Hint: CAF_ROOT_DIR, the prefix of a custom installation.

if(NOT CAF_FIND_COMPONENTS)
  set(CAF_FIND_COMPONENTS core)
endif()
if("openssl" IN_LIST CAF_FIND_COMPONENTS AND NOT "io" IN_LIST CAF_FIND_COMPONENTS)
  list(APPEND CAF_FIND_COMPONENTS io)
endif()
if(NOT "core" IN_LIST CAF_FIND_COMPONENTS)
  list(APPEND CAF_FIND_COMPONENTS core)
endif()

find_path(CAF_INCLUDE_DIR NAMES caf/config.hpp HINTS ${CAF_ROOT_DIR}/include)

if(CAF_INCLUDE_DIR AND EXISTS "${CAF_INCLUDE_DIR}/caf/config.hpp")
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_version_line
       REGEX "^#define CAF_VERSION [0-9]+")
  string(REGEX REPLACE "^#define CAF_VERSION ([0-9]+).*" "\\1" _caf_version "${_caf_version_line}")
  math(EXPR _caf_major "${_caf_version} / 10000")
  math(EXPR _caf_minor "(${_caf_version} / 100) % 100")
  math(EXPR _caf_patch "${_caf_version} % 100")
  set(CAF_VERSION "${_caf_major}.${_caf_minor}.${_caf_patch}")
endif()

find_package(Threads REQUIRED)

set(CAF_LIBRARIES "")
foreach(_caf_comp IN LISTS CAF_FIND_COMPONENTS)
  find_library(CAF_${_caf_comp}_LIBRARY NAMES caf_${_caf_comp}
               HINTS ${CAF_ROOT_DIR}/lib ${CAF_ROOT_DIR}/lib64)
  if(_caf_comp STREQUAL "core")
    set(_caf_header "${CAF_INCLUDE_DIR}/caf/all.hpp")
  else()
    set(_caf_header "${CAF_INCLUDE_DIR}/caf/${_caf_comp}/all.hpp")
  endif()
  if(CAF_${_caf_comp}_LIBRARY AND CAF_INCLUDE_DIR AND EXISTS "${_caf_header}")
    set(CAF_${_caf_comp}_FOUND TRUE)
    list(APPEND CAF_LIBRARIES ${CAF_${_caf_comp}_LIBRARY})
  else()
    set(CAF_${_caf_comp}_FOUND FALSE)
  endif()
endforeach()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF
  REQUIRED_VARS CAF_INCLUDE_DIR CAF_core_LIBRARY
  VERSION_VAR CAF_VERSION
  HANDLE_COMPONENTS)

if(CAF_FOUND)
  set(CAF_INCLUDE_DIRS ${CAF_INCLUDE_DIR})
  if(CAF_core_FOUND AND NOT TARGET CAF::core)
    add_library(CAF::core SHARED IMPORTED)
    set_target_properties(CAF::core PROPERTIES
      IMPORTED_LOCATION "${CAF_core_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES Threads::Threads
      INTERFACE_COMPILE_FEATURES cxx_std_17)
  endif()
  if(CAF_io_FOUND AND NOT TARGET CAF::io)
    add_library(CAF::io SHARED IMPORTED)
    set_target_properties(CAF::io PROPERTIES
      IMPORTED_LOCATION "${CAF_io_LIBRARY}"
      INTERFACE_LINK_LIBRARIES CAF::core)
  endif()
  if(CAF_openssl_FOUND AND NOT TARGET CAF::openssl)
    add_library(CAF::openssl SHARED IMPORTED)
    set_target_properties(CAF::openssl PROPERTIES
      IMPORTED_LOCATION "${CAF_openssl_LIBRARY}"
      INTERFACE_LINK_LIBRARIES CAF::io)
    find_package(OpenSSL QUIET)
    if(TARGET OpenSSL::SSL)
      set_property(TARGET CAF::openssl APPEND PROPERTY INTERFACE_LINK_LIBRARIES OpenSSL::SSL)
    endif()
  endif()
endif()

mark_as_advanced(CAF_INCLUDE_DIR CAF_core_LIBRARY CAF_io_LIBRARY CAF_openssl_LIBRARY)
