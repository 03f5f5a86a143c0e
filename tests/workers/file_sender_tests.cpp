// file_sender: the JSON lines of API.md's file outbox, parsed back with
// Boost.JSON; whole lines under concurrent writers; private file mode; a
// failing write reported as a temporary failure. Temporary directories only.
#include <boost/test/unit_test.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <system_error>
#include <thread>
#include <vector>

#include "workers/file_sender.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using sesame::channel;
using sesame::outbox_message;
using outbox_file_sender = sesame::workers::file_sender;
using sesame::workers::send_result;

const sesame::timestamp t0 = sesame::from_millis(1'800'000'000'000);

struct temp_dir {
    fs::path path;
    temp_dir() {
        std::string tmpl = (fs::temp_directory_path() / "sesame-file-sender-XXXXXX").string();
        BOOST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

send_result send_now(outbox_file_sender& s, const outbox_message& m) {
    boost::asio::io_context io;
    std::optional<send_result> out;
    std::exception_ptr error;
    boost::asio::co_spawn(io, s.send(m), [&](std::exception_ptr e, send_result r) {
        error = e;
        out = std::move(r);
    });
    io.run();
    if (error) std::rethrow_exception(error);
    if (!out) throw std::logic_error("send did not complete");  // no Boost.Test macro: used from threads
    return *out;
}

std::vector<std::string> read_lines(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

outbox_message sms_message() {
    outbox_message m;
    m.id = "0123456789abcdef0123456789abcdef";
    m.ch = channel::sms;
    m.to = "+33612345678";
    m.text = "Sésame : votre code est 123456.\n\"Ne le donnez à personne\"\n@sesame.example #123456";
    m.purpose = "activation_code";
    m.identifier = "marie.dupont";
    m.subject = "never written for an SMS";
    m.html = "<p>never written for an SMS</p>";
    return m;
}

outbox_message email_message() {
    outbox_message m;
    m.id = "fedcba9876543210fedcba9876543210";
    m.ch = channel::email;
    m.to = "a@b.fr";
    m.subject = "Votre code de récupération";
    m.text = "Code : 654321";
    m.html = "<p>Code : <b>654321</b></p>";
    m.reference = "R-7K3F-92QX";
    m.purpose = "recovery_code";
    return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(file_sender)

BOOST_AUTO_TEST_CASE(writes_one_json_line_per_message_with_the_api_fields) {
    temp_dir dir;
    sesame::manual_clock clk(t0);
    const auto path = dir.path / "data" / "outbox.log";  // "data" does not exist yet
    outbox_file_sender s(path, clk);
    BOOST_TEST(send_now(s, sms_message()).outcome == send_result::accepted);
    clk.advance(std::chrono::seconds(1));
    BOOST_TEST(send_now(s, email_message()).outcome == send_result::accepted);

    const auto lines = read_lines(path);
    BOOST_REQUIRE(lines.size() == 2u);
    BOOST_TEST(lines[0].rfind("{\"at\":", 0) == 0u);

    const json::object sms = json::parse(lines[0]).as_object();
    BOOST_TEST(sms.at("at").as_string() == sesame::format_rfc3339(t0));
    BOOST_TEST(sms.at("channel").as_string() == "sms");
    BOOST_TEST(sms.at("to").as_string() == "+33612345678");
    BOOST_TEST(std::string(sms.at("text").as_string()) == sms_message().text);
    BOOST_TEST(sms.at("reference").is_null());
    BOOST_TEST(sms.at("purpose").as_string() == "activation_code");
    BOOST_TEST(sms.at("message_id").as_string() == "0123456789abcdef0123456789abcdef");
    BOOST_TEST(sms.at("identifier").as_string() == "marie.dupont");
    BOOST_TEST(!sms.contains("subject"));
    BOOST_TEST(!sms.contains("html"));

    const json::object mail = json::parse(lines[1]).as_object();
    BOOST_TEST(mail.at("at").as_string() == sesame::format_rfc3339(t0 + std::chrono::seconds(1)));
    BOOST_TEST(mail.at("channel").as_string() == "email");
    BOOST_TEST(mail.at("to").as_string() == "a@b.fr");
    BOOST_TEST(std::string(mail.at("subject").as_string()) == "Votre code de récupération");
    BOOST_TEST(mail.at("text").as_string() == "Code : 654321");
    BOOST_TEST(mail.at("html").as_string() == "<p>Code : <b>654321</b></p>");
    BOOST_TEST(mail.at("reference").as_string() == "R-7K3F-92QX");
    BOOST_TEST(mail.at("identifier").is_null());
}

BOOST_AUTO_TEST_CASE(file_is_private_and_new_directories_too) {
    temp_dir dir;
    sesame::manual_clock clk(t0);
    const auto path = dir.path / "a" / "b" / "outbox.log";
    outbox_file_sender s(path, clk);
    BOOST_TEST(send_now(s, sms_message()).outcome == send_result::accepted);
    struct stat st {};
    BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    BOOST_REQUIRE(::stat((dir.path / "a").c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0700u);
}

BOOST_AUTO_TEST_CASE(appends_to_an_existing_file) {
    temp_dir dir;
    sesame::manual_clock clk(t0);
    const auto path = dir.path / "outbox.log";
    {
        std::ofstream out(path);
        out << "{\"earlier\":true}\n";
    }
    outbox_file_sender s(path, clk);
    BOOST_TEST(send_now(s, email_message()).outcome == send_result::accepted);
    const auto lines = read_lines(path);
    BOOST_REQUIRE(lines.size() == 2u);
    BOOST_TEST(lines[0] == "{\"earlier\":true}");
    BOOST_TEST(json::parse(lines[1]).as_object().at("message_id").as_string() == email_message().id);
}

BOOST_AUTO_TEST_CASE(concurrent_senders_write_whole_lines) {
    temp_dir dir;
    sesame::manual_clock clk(t0);
    const auto path = dir.path / "outbox.log";
    constexpr int per_thread = 200;
    std::atomic<int> refused{0};
    auto writer = [&](char tag) {
        outbox_file_sender s(path, clk);  // its own descriptor, like another process
        for (int i = 0; i < per_thread; ++i) {
            auto m = sms_message();
            m.id.assign(1, tag);
            m.id += std::to_string(i);
            m.text = std::string(16 * 1024, tag);  // large lines make interleaving visible
            if (send_now(s, m).outcome != send_result::accepted) ++refused;  // Boost.Test is single-threaded
        }
    };
    std::thread first(writer, 'x');
    std::thread second(writer, 'y');
    first.join();
    second.join();
    BOOST_TEST(refused.load() == 0);

    const auto lines = read_lines(path);
    BOOST_REQUIRE(lines.size() == 2u * per_thread);
    std::set<std::string> ids;
    for (const auto& line : lines) {
        const auto o = json::parse(line).as_object();  // throws on a torn line
        const std::string id(o.at("message_id").as_string());
        BOOST_TEST(std::string(o.at("text").as_string()) == std::string(16 * 1024, id[0]));
        ids.insert(id);
    }
    BOOST_TEST(ids.size() == 2u * per_thread);
}

BOOST_AUTO_TEST_CASE(a_failed_write_is_a_temporary_failure_with_the_errno_text) {
    sesame::manual_clock clk(t0);
    outbox_file_sender s("/dev/full", clk);  // every write fails with ENOSPC
    const auto r = send_now(s, sms_message());
    BOOST_TEST(r.outcome == send_result::temporary_failure);
    BOOST_TEST(r.detail.find("No space left on device") != std::string::npos);
    BOOST_TEST(r.detail.find("123456") == std::string::npos);  // never the text
}

BOOST_AUTO_TEST_CASE(an_unusable_path_fails_at_construction) {
    temp_dir dir;
    sesame::manual_clock clk(t0);
    BOOST_CHECK_THROW(outbox_file_sender(dir.path, clk), std::system_error);  // a directory
}

BOOST_AUTO_TEST_SUITE_END()
