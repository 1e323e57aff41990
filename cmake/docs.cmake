# `make docs` (the target `docs`): the API reference, HTML in build/docs/html,
# made by Doxygen (Debian's doxygen) from the public headers: peso.h, the
# headers it includes, core/version.h, and the headers of the types and
# functions these expose (core's types and errors, TensorOptions, and
# tensor/native.h, whose ops tensor/functions.h exports into peso). The ctest
# docs_api fails when one of their public symbols has no doc comment (any
# Doxygen warning fails it). The differentiable ops, which
# tensor/differentiable_ops.def declares through a macro that Doxygen cannot
# follow, come in as a generated header (docs/api/def_to_header.py).
if(NOT PROJECT_IS_TOP_LEVEL)
  return()  # inside another project: its own `docs`, if any, is the one
endif()
find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  message(STATUS "peso: doxygen not found; no `docs` target (Debian: apt-get install doxygen)")
  return()
endif()
set(PESO_PUBLIC_HEADERS ${PROJECT_SOURCE_DIR}/peso.h ${PROJECT_BINARY_DIR}/generated/core/version.h)
foreach(header core/error.h core/dtype.h core/device.h core/dims.h core/scalar.h tensor/tensor_options.h
               tensor/native.h)
  list(APPEND PESO_PUBLIC_HEADERS ${PROJECT_SOURCE_DIR}/${header})
endforeach()
file(STRINGS ${PROJECT_SOURCE_DIR}/peso.h PESO_UMBRELLA_INCLUDES REGEX "^#include \"")
foreach(line ${PESO_UMBRELLA_INCLUDES})
  string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" header "${line}")
  if(EXISTS ${PROJECT_SOURCE_DIR}/${header})
    list(APPEND PESO_PUBLIC_HEADERS ${PROJECT_SOURCE_DIR}/${header})
  endif()
endforeach()
set(PESO_DOCS_OPS ${PROJECT_BINARY_DIR}/generated/docs/differentiable_ops.h)
find_package(Python3 COMPONENTS Interpreter QUIET)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "peso: no python3; no `docs` target")
  return()
endif()
add_custom_command(OUTPUT ${PESO_DOCS_OPS}
  COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/docs/api/def_to_header.py
          ${PROJECT_SOURCE_DIR}/tensor/differentiable_ops.def ${PESO_DOCS_OPS}
  DEPENDS ${PROJECT_SOURCE_DIR}/tensor/differentiable_ops.def ${PROJECT_SOURCE_DIR}/docs/api/def_to_header.py VERBATIM)
add_custom_target(peso_docs_ops ALL DEPENDS ${PESO_DOCS_OPS})
list(APPEND PESO_PUBLIC_HEADERS ${PESO_DOCS_OPS})
list(REMOVE_DUPLICATES PESO_PUBLIC_HEADERS)
list(JOIN PESO_PUBLIC_HEADERS " " PESO_PUBLIC_HEADERS)

set(PESO_DOCS_OUT ${PROJECT_BINARY_DIR}/docs)
configure_file(${PROJECT_SOURCE_DIR}/docs/api/Doxyfile.in ${PROJECT_BINARY_DIR}/docs/Doxyfile @ONLY)
add_custom_target(docs DEPENDS ${PESO_DOCS_OPS} COMMAND ${DOXYGEN_EXECUTABLE} ${PROJECT_BINARY_DIR}/docs/Doxyfile
  WORKING_DIRECTORY ${PROJECT_BINARY_DIR} COMMENT "API reference: ${PESO_DOCS_OUT}/html/index.html" VERBATIM)

if(PESO_BUILD_TESTS)
  # Its own output directory, so that the test never races `make docs`.
  set(PESO_DOCS_OUT ${PROJECT_BINARY_DIR}/docs_check)
  configure_file(${PROJECT_SOURCE_DIR}/docs/api/Doxyfile.in ${PROJECT_BINARY_DIR}/docs_check/Doxyfile @ONLY)
  add_test(NAME docs_api COMMAND bash ${PROJECT_SOURCE_DIR}/tests/docs/check_api_docs.sh ${DOXYGEN_EXECUTABLE}
                                 ${PROJECT_BINARY_DIR}/docs_check)
  set_tests_properties(docs_api PROPERTIES LABELS docs TIMEOUT 120)
endif()
