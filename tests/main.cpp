// The single Boost.Test runner; suites live in tests/<folder>/*.cpp.
#define BOOST_TEST_MODULE sesame
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>
