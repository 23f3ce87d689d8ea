# Production-readiness tests: the Python client example against a
# real collectionsd, authentication, TLS, limits and metrics. Included from
# tests/api/CMakeLists.txt.

add_test(NAME python_client_test
         COMMAND ${COLLECTIONS_DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/python_client_test.py
                 --collectionsd $<TARGET_FILE:collectionsd> --repo ${PROJECT_SOURCE_DIR}
                 --collectionsctl $<TARGET_FILE:collectionsctl>
                 --stage ${COLLECTIONS_PY_STAGE})
# 77: python3-grpcio missing outside CI (in CI it is a failure).
set_tests_properties(python_client_test PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 180)

collections_cc_library(prod_test_support
  SRCS prod_support.cc
  DEPS collections_server_prod api_test_support GTest::gtest)

# Part of the reliability suite (tests/reliability/CMakeLists.txt):
# cross-tenant probes, shedding while health answers, /metrics exposure.
foreach(t auth_test limits_test metrics_test)
  collections_cc_test(${t} SRCS ${t}.cc DEPS prod_test_support LABELS reliability)
endforeach()
collections_cc_test(tls_test SRCS tls_test.cc DEPS prod_test_support)

# JSON over HTTP: every method through collectionsd's HTTP port
# answers as gRPC does; the OpenAPI description served equals the build's.
pkg_check_modules(TEST_CPP_HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
collections_cc_test(http_json_test
  SRCS http_json_test.cc
  DEPS prod_test_support PkgConfig::TEST_CPP_HTTPLIB
  DEFINES OPENAPI_JSON="${PROJECT_BINARY_DIR}/openapi.json"
  RUNS openapi_json)
