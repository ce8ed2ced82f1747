# Installs the build tree into a fresh prefix, then builds and runs the stand-alone service
# example against it, with CMake (find_package) and with pkg-config.
#   cmake -D BUILD_DIR=... -D SOURCE_DIR=... -D WORK_DIR=... -P check_consumer.cmake
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()

run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
run("${CMAKE_COMMAND}" -S "${SOURCE_DIR}/docs/examples/service" -B "${WORK_DIR}/cmake-build"
    -G Ninja "-DCMAKE_PREFIX_PATH=${prefix}")
run("${CMAKE_COMMAND}" --build "${WORK_DIR}/cmake-build")
run("${WORK_DIR}/cmake-build/service")

find_program(PKG_CONFIG pkg-config REQUIRED)
file(GLOB pc_file "${prefix}/lib*/pkgconfig/taskactors.pc" "${prefix}/lib/*/pkgconfig/taskactors.pc")
get_filename_component(pc_dir "${pc_file}" DIRECTORY)
set(ENV{PKG_CONFIG_PATH} "${pc_dir}")
execute_process(COMMAND "${PKG_CONFIG}" --cflags --libs taskactors
                OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config does not know taskactors")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
run(c++ "${SOURCE_DIR}/docs/examples/service/service.cpp"
    "-DSERVICE_WORKER=\"${prefix}/bin/taskactors-worker\"" ${flags} -o "${WORK_DIR}/service-pc")
run("${WORK_DIR}/service-pc")
