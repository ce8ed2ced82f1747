#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "taskactors/errc.hpp"
#include "taskactors/serialization.hpp"
#include "wire/wire.hpp"

using namespace taskactors;
using namespace taskactors::wire;

namespace {

std::vector<char> frame_bytes(frame_kind kind, uint64_t corr, std::vector<char> payload) {
  std::vector<char> out;
  encode(out, kind, corr, payload);
  return out;
}

std::vector<frame> decode_all(decoder& d, const std::vector<char>& bytes) {
  std::vector<frame> out;
  d.feed(bytes.data(), bytes.size(), out);
  return out;
}

} // namespace

TEST_CASE("wire: the header is 16 bytes, little endian", "[unit][wire]") {
  auto bytes = frame_bytes(frame_kind::result, 0x0102030405060708ull, {'a', 'b', 'c'});
  REQUIRE(bytes.size() == header_size + 3);
  CHECK(bytes[0] == 'T');
  CHECK(bytes[1] == 'A');
  CHECK(bytes[2] == 1); // version
  CHECK(bytes[3] == 3); // kind: result
  CHECK(bytes[4] == 3); // payload length, low byte first
  CHECK(bytes[5] == 0);
  CHECK(bytes[8] == 0x08); // correlation, low byte first
  CHECK(bytes[15] == 0x01);
  CHECK(std::string(bytes.begin() + 16, bytes.end()) == "abc");
}

TEST_CASE("wire: frames round-trip, whole or split at any byte", "[unit][wire]") {
  std::vector<char> stream;
  encode(stream, frame_kind::hello, 0, encode_payload(hello{42, {"a", "b"}}));
  encode(stream, frame_kind::request, 7, encode_payload(request{"echo", {'x', 'y'}}));
  encode(stream, frame_kind::heartbeat, 0, encode_heartbeat(1234));
  encode(stream, frame_kind::error, 7, encode_payload(failure{job_error::bad_args, "nope"}));
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{17}, stream.size()}) {
    INFO("chunk " << chunk);
    decoder d;
    std::vector<frame> frames;
    for (std::size_t pos = 0; pos < stream.size(); pos += chunk)
      REQUIRE(d.feed(stream.data() + pos, std::min(chunk, stream.size() - pos), frames));
    REQUIRE(frames.size() == 4);
    CHECK(d.buffered() == 0);
    auto hi = decode_hello(frames[0].payload);
    REQUIRE(hi);
    CHECK(hi->pid == 42);
    CHECK(hi->jobs == std::vector<std::string>{"a", "b"});
    CHECK(frames[1].correlation == 7);
    auto req = decode_request(frames[1].payload);
    REQUIRE(req);
    CHECK(req->job == "echo");
    CHECK(req->args == std::vector<char>{'x', 'y'});
    CHECK(*decode_heartbeat(frames[2].payload) == 1234);
    auto fail = decode_failure(frames[3].payload);
    REQUIRE(fail);
    CHECK(fail->code == job_error::bad_args);
    CHECK(fail->message == "nope");
  }
}

TEST_CASE("wire: a truncated frame waits for the rest", "[unit][wire]") {
  auto bytes = frame_bytes(frame_kind::result, 1, std::vector<char>(100, 'z'));
  decoder d;
  std::vector<frame> out;
  REQUIRE(d.feed(bytes.data(), 10, out)); // part of the header
  CHECK(out.empty());
  REQUIRE(d.feed(bytes.data() + 10, 50, out)); // header and part of the payload
  CHECK(out.empty());
  CHECK(d.buffered() == 60);
  REQUIRE(d.feed(bytes.data() + 60, bytes.size() - 60, out));
  REQUIRE(out.size() == 1);
  CHECK(out[0].payload.size() == 100);
}

TEST_CASE("wire: the decoder refuses what is not the protocol, before allocating", "[unit][wire]") {
  SECTION("wrong magic") {
    decoder d;
    std::string junk = "hello world, not a frame";
    std::vector<frame> out;
    CHECK_FALSE(d.feed(junk.data(), junk.size(), out));
    CHECK(d.error() == decode_error::bad_magic);
  }
  SECTION("another version") {
    auto bytes = frame_bytes(frame_kind::hello, 0, {});
    bytes[2] = 9;
    decoder d;
    decode_all(d, bytes);
    CHECK(d.error() == decode_error::bad_version);
    CHECK(d.describe() == "protocol version 9, expected 1");
  }
  SECTION("an unknown kind") {
    auto bytes = frame_bytes(frame_kind::hello, 0, {});
    bytes[3] = 42;
    decoder d;
    decode_all(d, bytes);
    CHECK(d.error() == decode_error::unknown_kind);
  }
  SECTION("a length above the limit, refused from the header alone") {
    decoder d{1024};
    auto bytes = frame_bytes(frame_kind::result, 0, {});
    bytes[4] = 0x00;
    bytes[5] = 0x00;
    bytes[6] = 0x00;
    bytes[7] = 0x40; // 1 GiB announced, nothing sent
    std::vector<frame> out;
    CHECK_FALSE(d.feed(bytes.data(), header_size, out));
    CHECK(d.error() == decode_error::oversized);
    CHECK(d.describe() == "a frame of 1073741824 bytes exceeds the limit of 1024");
    CHECK(d.buffered() == 0);
  }
  SECTION("nothing after a failure") {
    decoder d;
    std::string junk = "xx";
    auto good = frame_bytes(frame_kind::heartbeat, 0, encode_heartbeat(1));
    std::vector<frame> out;
    junk.resize(header_size, 'x');
    d.feed(junk.data(), junk.size(), out);
    CHECK_FALSE(d.feed(good.data(), good.size(), out));
    CHECK(out.empty());
  }
}

TEST_CASE("wire: payloads with trailing or missing bytes are refused", "[unit][wire]") {
  auto hi = encode_payload(hello{1, {"x"}});
  auto longer = hi;
  longer.push_back(0);
  CHECK_FALSE(decode_hello(longer));
  auto shorter = hi;
  shorter.pop_back();
  CHECK_FALSE(decode_hello(shorter));
  auto bad_code = encode_payload(failure{job_error::bad_args, "m"});
  bad_code[0] = 99;
  auto f = decode_failure(bad_code);
  REQUIRE_FALSE(f);
  CHECK(is(f.error(), errc::protocol_error));
}

TEST_CASE("serialization: a length prefix cannot announce more than the input holds",
          "[unit][wire]") {
  // A varbyte length of 0xFFFFFFF (about 268 million) followed by nothing: a trusting decoder
  // would allocate that many bytes first.
  std::vector<char> evil{'\xff', '\xff', '\xff', '\x7f'};
  std::vector<char> bytes;
  auto err = from_bytes(evil, bytes);
  CHECK(err);
  CHECK(bytes.capacity() < 1024);
  std::string text;
  CHECK(from_bytes(evil, text));
  std::vector<std::string> many;
  CHECK(from_bytes(evil, many));
}

TEST_CASE("serialization: values round-trip and extra bytes are an error", "[unit][wire]") {
  std::vector<std::string> in{"a", "bc"};
  uint64_t n = 99;
  auto bytes = to_bytes(in, n);
  REQUIRE(bytes);
  std::vector<std::string> out;
  uint64_t m = 0;
  CHECK_FALSE(from_bytes(*bytes, out, m));
  CHECK(out == in);
  CHECK(m == 99);
  auto err = from_bytes(*bytes, out);
  REQUIRE(err);
  CHECK(render(err).find("trailing bytes") != std::string::npos);
}

TEST_CASE("wire: the example in docs/wire-protocol.md is byte for byte what is sent",
          "[unit][wire]") {
  uint64_t n = 1000;
  auto args = to_bytes(n);
  REQUIRE(args);
  std::vector<char> out;
  encode(out, frame_kind::request, 7, encode_payload(request{"sum_squares", *args}));
  std::vector<unsigned char> expected{0x54, 0x41, 0x01, 0x02, 0x15, 0x00, 0x00, 0x00, 0x07, 0x00,
                                      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x73, 0x75, 0x6d,
                                      0x5f, 0x73, 0x71, 0x75, 0x61, 0x72, 0x65, 0x73, 0x08, 0x00,
                                      0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8};
  CHECK(std::vector<unsigned char>(out.begin(), out.end()) == expected);
  uint64_t sum = 333833500;
  std::vector<char> result;
  encode(result, frame_kind::result, 7, *to_bytes(sum));
  std::vector<unsigned char> expected_result{0x54, 0x41, 0x01, 0x03, 0x08, 0x00, 0x00, 0x00,
                                             0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                             0x00, 0x00, 0x00, 0x00, 0x13, 0xe5, 0xe5, 0x1c};
  CHECK(std::vector<unsigned char>(result.begin(), result.end()) == expected_result);
}
