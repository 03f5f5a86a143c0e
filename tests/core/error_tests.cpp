#include <boost/test/unit_test.hpp>

#include "core/error.hpp"

using namespace sesame;

BOOST_AUTO_TEST_SUITE(error)

BOOST_AUTO_TEST_CASE(what_of_says_what_any_exception_said) {
    BOOST_TEST(what_of(std::make_exception_ptr(infrastructure_error("disque plein"))) == "disque plein");
    BOOST_TEST(what_of(std::make_exception_ptr(std::out_of_range("index"))) == "index");
    BOOST_TEST(what_of(std::make_exception_ptr(42)) == "unknown exception");
}

BOOST_AUTO_TEST_SUITE_END()
