# How every target of this tree is declared. The helpers below exist so that
# the warning flags, -Werror and the include root are set in one place: a
# target declared with them cannot forget its warnings, and a CI build with
# COLLECTIONS_WERROR=ON fails on any new one.
#
#   collections_cc_library(<name> SRCS <files...>
#                          [DEPS <public libs...>] [PRIVATE_DEPS <libs...>]
#                          [DEFINES <private definitions...>] [COPTS <extra flags...>])
#     A static library. Its users include headers as "service/...",
#     "connectors/...", "tests/..." (the project root is a PUBLIC include
#     directory).
#
#   collections_cc_binary(<name> SRCS <files...> [DEPS <libs...>]
#                         [DEFINES ...] [COPTS ...])
#     An executable (collectionsd, collectionsctl, a connector, a tool).
#
#   collections_cc_test(<name> SRCS <files...> [DEPS <libs...>]
#                       [DEFINES ...] [COPTS ...] [RUNS <executables...>]
#                       [LABELS <ctest labels...>] [TIMEOUT <s>]
#                       [DISCOVERY_TIMEOUT <s>])
#     A GoogleTest binary linked with gtest_main, each TEST registered with
#     ctest (gtest_discover_tests). RUNS names executables the test starts as
#     subprocesses: they are built before it. LABELS and TIMEOUT apply to
#     every discovered test.
#
# Generated code (proto/) is compiled without these warnings: it is not ours
# to fix.

option(COLLECTIONS_WERROR "Treat compiler warnings in our code as errors (CI turns it on)" OFF)

# -Wno-unused-parameter: interface overrides and gRPC handlers routinely
# ignore some of their parameters; naming them documents the signature.
set(COLLECTIONS_WARNINGS -Wall -Wextra -Wno-unused-parameter)
if(COLLECTIONS_WERROR)
  list(APPEND COLLECTIONS_WARNINGS -Werror)
endif()

function(_collections_common target)
  cmake_parse_arguments(ARG "" "" "DEFINES;COPTS" ${ARGN})
  target_compile_options(${target} PRIVATE ${COLLECTIONS_WARNINGS} ${ARG_COPTS})
  if(ARG_DEFINES)
    target_compile_definitions(${target} PRIVATE ${ARG_DEFINES})
  endif()
endfunction()

function(collections_cc_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;PRIVATE_DEPS;DEFINES;COPTS" ${ARGN})
  if(NOT ARG_SRCS)
    message(FATAL_ERROR "collections_cc_library(${name}): no SRCS")
  endif()
  add_library(${name} STATIC ${ARG_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  _collections_common(${name} DEFINES ${ARG_DEFINES} COPTS ${ARG_COPTS})
endfunction()

function(collections_cc_binary name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;DEFINES;COPTS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  _collections_common(${name} DEFINES ${ARG_DEFINES} COPTS ${ARG_COPTS})
endfunction()

function(collections_cc_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT;DISCOVERY_TIMEOUT"
                        "SRCS;DEPS;DEFINES;COPTS;RUNS;LABELS" ${ARGN})
  collections_cc_binary(${name} SRCS ${ARG_SRCS} DEPS ${ARG_DEPS} GTest::gtest_main
                        DEFINES ${ARG_DEFINES} COPTS ${ARG_COPTS})
  if(ARG_RUNS)
    add_dependencies(${name} ${ARG_RUNS})
  endif()
  set(discover_args)
  if(ARG_DISCOVERY_TIMEOUT)
    list(APPEND discover_args DISCOVERY_TIMEOUT ${ARG_DISCOVERY_TIMEOUT})
  endif()
  set(properties)
  if(ARG_TIMEOUT)
    list(APPEND properties TIMEOUT ${ARG_TIMEOUT})
  endif()
  if(ARG_LABELS)
    list(JOIN ARG_LABELS ";" labels)
    list(APPEND properties LABELS "${labels}")
  endif()
  if(properties)
    gtest_discover_tests(${name} ${discover_args} PROPERTIES ${properties})
  else()
    gtest_discover_tests(${name} ${discover_args})
  endif()
endfunction()
