# Production-readiness tests (issue 8): the Python client example against a
# real collectionsd, authentication, TLS, limits and metrics. Included from
# tests/api/CMakeLists.txt.

# Debian's interpreter, which has python3-grpcio (a
# pyenv or venv python3 earlier on PATH would not).
find_program(COLLECTIONS_DEBIAN_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(COLLECTIONS_DEBIAN_PYTHON3)
  add_test(NAME python_client_test
           COMMAND ${COLLECTIONS_DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/python_client_test.py
                   --collectionsd $<TARGET_FILE:collectionsd> --repo ${PROJECT_SOURCE_DIR}
                   --collectionsctl $<TARGET_FILE:collectionsctl>
                   --stage ${COLLECTIONS_PY_STAGE})
  # 77: python3-grpcio missing outside CI (in CI it is a failure).
  set_tests_properties(python_client_test PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 180)
endif()

add_library(prod_test_support STATIC prod_support.cc)
target_include_directories(prod_test_support PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(prod_test_support PUBLIC collections_server_prod api_test_support GTest::gtest)

foreach(t auth_test limits_test metrics_test tls_test)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${t}.cc)
    add_executable(${t} ${t}.cc)
    target_compile_options(${t} PRIVATE ${COLLECTIONS_WARNINGS})
    target_link_libraries(${t} prod_test_support GTest::gtest_main)
    # Part of the reliability suite (tests/reliability/CMakeLists.txt):
    # cross-tenant probes, shedding while health answers, /metrics exposure.
    if(t STREQUAL "tls_test")
      gtest_discover_tests(${t})
    else()
      gtest_discover_tests(${t} PROPERTIES LABELS reliability)
    endif()
  endif()
endforeach()

# JSON over HTTP (issue 17): every method through collectionsd's HTTP port
# answers as gRPC does; the OpenAPI description served equals the build's.
pkg_check_modules(TEST_CPP_HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
add_executable(http_json_test http_json_test.cc)
target_compile_options(http_json_test PRIVATE ${COLLECTIONS_WARNINGS})
target_compile_definitions(http_json_test PRIVATE OPENAPI_JSON="${PROJECT_BINARY_DIR}/openapi.json")
target_link_libraries(http_json_test prod_test_support PkgConfig::TEST_CPP_HTTPLIB GTest::gtest_main)
add_dependencies(http_json_test openapi_json)
gtest_discover_tests(http_json_test)
