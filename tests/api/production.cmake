# Production-readiness tests (issue 8): the Python client example against a
# real collectionsd, authentication, TLS, limits and metrics. Included from
# tests/api/CMakeLists.txt.

# Debian's interpreter, which has python3-grpcio and python3-grpc-tools (a
# pyenv or venv python3 earlier on PATH would not).
find_program(COLLECTIONS_DEBIAN_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(COLLECTIONS_DEBIAN_PYTHON3)
  add_test(NAME python_client_test
           COMMAND ${COLLECTIONS_DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/python_client_test.py
                   --collectionsd $<TARGET_FILE:collectionsd> --repo ${PROJECT_SOURCE_DIR})
  # 77: python3-grpcio missing outside CI (in CI it is a failure).
  set_tests_properties(python_client_test PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 180)
endif()
