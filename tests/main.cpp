// The test runner: the one translation unit that defines doctest's main(). Test files under
// tests/<area>/ only include <doctest/doctest.h> and are picked up by tests/CMakeLists.txt.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
