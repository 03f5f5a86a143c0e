// Unit tests of store/codec: value round trips, key ordering and layout,
// malformed input.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/codec.hpp"

using namespace sesame;
using namespace sesame::store;

BOOST_AUTO_TEST_SUITE(store_codec)

BOOST_AUTO_TEST_CASE(every_value_type_round_trips) {
    const std::string binary("a\0b\xff", 4);
    const auto t = from_millis(1795629731123LL);
    const auto before_epoch = from_millis(-86400000LL * 365 * 40);
    encoder e;
    e.put_u8(0).put_u8(255).put_bool(true).put_bool(false);
    for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{127}, std::uint64_t{128}, std::uint64_t{300},
                            std::numeric_limits<std::uint64_t>::max()})
        e.put_varint(v);
    for (std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1}, std::int64_t{-64},
                           std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()})
        e.put_i64(v);
    e.put_fixed_u64(0x0102030405060708ULL).put_string("élève").put_string("").put_bytes(binary);
    e.put_timestamp(t).put_timestamp(before_epoch);
    e.put_optional_string(std::nullopt).put_optional_string(std::string("x"));
    e.put_optional_timestamp(t).put_optional_varint(std::nullopt).put_optional_varint(42);
    e.put_optional(std::optional<bool>(true), [](encoder& en, bool b) { en.put_bool(b); });

    const std::string bytes = e.take();
    decoder d(bytes);
    BOOST_TEST(d.get_u8() == 0);
    BOOST_TEST(d.get_u8() == 255);
    BOOST_TEST(d.get_bool() == true);
    BOOST_TEST(d.get_bool() == false);
    BOOST_TEST(d.get_varint() == 0u);
    BOOST_TEST(d.get_varint() == 127u);
    BOOST_TEST(d.get_varint() == 128u);
    BOOST_TEST(d.get_varint() == 300u);
    BOOST_TEST(d.get_varint() == std::numeric_limits<std::uint64_t>::max());
    BOOST_TEST(d.get_i64() == 0);
    BOOST_TEST(d.get_i64() == -1);
    BOOST_TEST(d.get_i64() == 1);
    BOOST_TEST(d.get_i64() == -64);
    BOOST_TEST(d.get_i64() == std::numeric_limits<std::int64_t>::min());
    BOOST_TEST(d.get_i64() == std::numeric_limits<std::int64_t>::max());
    BOOST_TEST(d.get_fixed_u64() == 0x0102030405060708ULL);
    BOOST_TEST(d.get_string() == "élève");
    BOOST_TEST(d.get_string() == "");
    BOOST_TEST(d.get_bytes() == binary);
    BOOST_TEST(to_millis(d.get_timestamp()) == to_millis(t));
    BOOST_TEST(to_millis(d.get_timestamp()) == to_millis(before_epoch));
    BOOST_TEST(!d.get_optional_string().has_value());
    BOOST_TEST(d.get_optional_string().value() == "x");
    BOOST_TEST(to_millis(d.get_optional_timestamp().value()) == to_millis(t));
    BOOST_TEST(!d.get_optional_varint().has_value());
    BOOST_TEST(d.get_optional_varint().value() == 42u);
    BOOST_TEST(d.get_optional([](decoder& de) { return de.get_bool(); }).value() == true);
    BOOST_TEST(d.at_end());
    BOOST_CHECK_NO_THROW(d.expect_end());
}

BOOST_AUTO_TEST_CASE(small_numbers_stay_small) {
    BOOST_TEST(encoder().put_varint(127).size() == 1u);
    BOOST_TEST(encoder().put_varint(128).size() == 2u);
    BOOST_TEST(encoder().put_i64(-1).size() == 1u);
    BOOST_TEST(encoder().put_varint(std::numeric_limits<std::uint64_t>::max()).size() == 10u);
    BOOST_TEST(big_endian_u64(0x0102030405060708ULL) == std::string("\x01\x02\x03\x04\x05\x06\x07\x08"));
}

BOOST_AUTO_TEST_CASE(malformed_values_throw_store_error) {
    auto throws = [](const std::string& bytes, auto read) {
        decoder d(bytes);
        BOOST_CHECK_THROW(read(d), store_error);
    };
    throws("", [](decoder& d) { d.get_u8(); });
    throws("\x02", [](decoder& d) { d.get_bool(); });
    throws("\x80", [](decoder& d) { d.get_varint(); });                           // truncated
    throws(std::string(10, '\xff') + '\x01', [](decoder& d) { d.get_varint(); });  // 11 bytes
    throws(std::string(9, '\xff') + '\x02', [](decoder& d) { d.get_varint(); });   // > 64 bits
    throws(std::string("\x80\x00", 2), [](decoder& d) { d.get_varint(); });        // non-canonical
    throws("\x05" "abc", [](decoder& d) { d.get_string(); });                      // short string
    throws("\x07", [](decoder& d) { d.get_fixed_u64(); });
    throws("\x01", [](decoder& d) { d.get_optional_string(); });  // present, then nothing
    throws("\x01\x02", [](decoder& d) {
        d.get_u8();
        d.expect_end();  // a trailing byte
    });
    BOOST_CHECK_THROW(read_big_endian_u64("1234567"), store_error);
    // store_error is an infrastructure error, caught as such at the boundary.
    BOOST_CHECK_THROW(read_big_endian_u64(""), sesame::infrastructure_error);
}

BOOST_AUTO_TEST_CASE(big_endian_keys_sort_by_number) {
    std::vector<std::uint64_t> numbers{0, 1, 255, 256, 65535, 1ULL << 32, (1ULL << 63) + 5, ~0ULL};
    std::vector<std::string> keys;
    for (auto n : numbers) keys.push_back(key_builder().add("acc").add_u64(n).take());
    BOOST_TEST(std::is_sorted(keys.begin(), keys.end()));
    // Decimal text would not: "256" < "65535" but "1000" < "256".
    std::vector<timestamp> times{from_millis(-5000), from_millis(-1), from_millis(0), from_millis(1),
                                 from_millis(1795629731000LL)};
    std::vector<std::string> tkeys;
    for (auto t : times) tkeys.push_back(key_builder().add("j").add_timestamp(t).take());
    BOOST_TEST(std::is_sorted(tkeys.begin(), tkeys.end()));
}

BOOST_AUTO_TEST_CASE(keys_sort_as_tuples_and_prefixes_select_exact_parts) {
    const auto a = key_builder().add("m.dupont").add("z").take();
    const auto b = key_builder().add("m.dupont1").add("a").take();
    BOOST_TEST(a < b);  // first part decides, although "z" > "a"
    const auto p = key_builder().add("m.dupont").prefix();
    BOOST_TEST(p == std::string("m.dupont\0", 9));
    BOOST_TEST(a.rfind(p, 0) == 0u);
    BOOST_TEST(b.rfind(p, 0) != 0u);
    BOOST_TEST(key_builder().add("x").key() == "x");
    BOOST_TEST(key_builder().add("a").add("b").key() == std::string("a\0b", 3));
}

BOOST_AUTO_TEST_CASE(key_parts_read_back) {
    const auto t = from_millis(1795629731000LL);
    const auto k = key_builder().add("acc").add_u64(7).add_timestamp(t).add("").add("fin").take();
    key_reader r(k);
    BOOST_TEST(r.text() == "acc");
    BOOST_TEST(r.u64() == 7u);
    BOOST_TEST(to_millis(r.time()) == to_millis(t));
    BOOST_TEST(r.text() == "");
    BOOST_TEST(!r.at_end());
    BOOST_TEST(r.text() == "fin");
    BOOST_TEST(r.at_end());
    BOOST_CHECK_NO_THROW(r.expect_end());
    BOOST_CHECK_THROW(r.text(), store_error);  // no part left
}

BOOST_AUTO_TEST_CASE(malformed_keys_throw) {
    BOOST_CHECK_THROW(key_builder().add(std::string("a\0b", 3)), std::invalid_argument);
    {
        key_reader r("abc");
        BOOST_CHECK_THROW(r.u64(), store_error);  // too short for a number
    }
    {
        const auto k = key_builder().add_u64(1).take() + "x";  // no separator after the number
        key_reader r(k);
        BOOST_CHECK_THROW(r.u64(), store_error);
    }
    {
        const std::string k("a\0b", 3);
        key_reader r(k);
        r.text();
        BOOST_CHECK_THROW(r.expect_end(), store_error);
    }
}

BOOST_AUTO_TEST_SUITE_END()
