// attnlab serve's web app and JSON API through a real HTTP client on 127.0.0.1: every route, every
// error status, hostile requests, and a bounded load test whose answers must equal single requests.
#include "server/response_cache.h"
#include "served.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "../support/out_of_vocab_model.h"
#include "attnlab/viewer.h"

namespace attnlab::server {
namespace {

using nlohmann::json;
using testing::kMinilm;
using testing::kTiny;

using testing::TempDir;
using testing_support::kSanitized;
using testing_support::Served;

httplib::Result post(httplib::Client& c, const std::string& path, const std::string& body) {
  return c.Post(path.c_str(), body, "application/json");
}

// The answer is a JSON error with this status, in the body and on the wire.
void expect_error(const httplib::Result& r, int status, const std::string& needle = "") {
  ASSERT_TRUE(r) << "no answer (" << httplib::to_string(r.error()) << ")";
  EXPECT_EQ(r->status, status) << r->body;
  const json body = json::parse(r->body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r->body;
  EXPECT_EQ(body.value("code", 0), status) << r->body;
  EXPECT_NE(body.value("error", std::string()).find(needle), std::string::npos) << r->body;
}

// A decoder served: /api/models names its family, /api/attention returns causal rows (exact zeros above
// the diagonal) equal to the CLI's, and each token's special role.
TEST(Server, ServesADecoder) {
  const std::string model = (testing::kFixtures / "decoders" / "llama-gqa" / "model").string();
  Served s({}, {model});
  auto c = s.client();
  auto r = c.Get("/api/models");
  ASSERT_TRUE(r);
  const json m = json::parse(r->body)["models"][0];
  EXPECT_EQ(m["family"], "llama");
  EXPECT_EQ(m["causal"], true);
  EXPECT_EQ(m["num_kv_heads"], 2);
  r = c.Post("/api/attention", R"({"text": "The cat sat"})", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json got = json::parse(r->body);
  EXPECT_EQ(got["special"][0], "bos");
  const json& att = got["attentions"];
  const size_t n = got["tokens"].size();
  for (const json& layer : att)
    for (const json& head : layer)
      for (size_t i = 0; i < n; ++i)
        for (size_t j = i + 1; j < n; ++j) EXPECT_EQ(head[i][j].get<float>(), 0.0f);
  const testing::ProcessResult cli =
      testing::run_cli({"attention", "--model", model, "--json", "--all", "--digits", "9", "The cat sat"});
  ASSERT_EQ(cli.exit_code, 0) << testing::describe(cli);
  EXPECT_EQ(json::parse(cli.out)["attentions"], att);
}

TEST(Server, HealthModelsAndPages) {
  Served s;
  auto c = s.client();
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["status"], "ok");
  r = c.Get("/api/models");
  ASSERT_TRUE(r);
  const json models = json::parse(r->body)["models"];
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0]["name"], kTiny.string());
  EXPECT_EQ(models[0]["num_layers"], 2);
  for (const char* page : {"/", "/toy"}) {
    r = c.Get(page);
    ASSERT_TRUE(r) << page;
    EXPECT_EQ(r->status, 200) << page;
    // The page's own charset (its <meta> says the same): a header naming another would override it.
    EXPECT_EQ(r->get_header_value("Content-Type"), kViewerPageMediaType) << page;
    EXPECT_NE(r->body.find("<meta charset=\"windows-1252\">"), std::string::npos) << page;
    EXPECT_NE(r->body.find("default-src 'none'"), std::string::npos) << page;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r->get_header_value("Referrer-Policy"), "no-referrer");
  }
  // The app page may fetch from this server only; the toy page from nowhere.
  EXPECT_NE(c.Get("/")->body.find("connect-src 'self'"), std::string::npos);
  EXPECT_EQ(c.Get("/toy")->body.find("connect-src"), std::string::npos);
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "");
}

TEST(Server, TokenizeAndAttentionEqualTheEngine) {
  Served s;
  auto c = s.client();
  const Engine engine = Engine::open(kTiny.string());
  const Result want = engine.run(engine.encode("The cat sat.", std::string_view("On the mat.")));

  auto r = post(c, "/api/tokenize", R"({"text": "The cat sat.", "pair": "On the mat."})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json tok = json::parse(r->body);
  EXPECT_EQ(tok["tokens"].get<std::vector<std::string>>(), want.encoding.tokens);
  EXPECT_EQ(tok["token_type_ids"].get<std::vector<int>>(), want.encoding.token_type_ids);

  r = post(c, "/api/attention",
           R"({"text": "The cat sat.", "pair": "On the mat.", "layers": [1], "heads": [0, 2], "include": ["attentions", "hidden", "pooler", "qk"]})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json got = json::parse(r->body);
  const int n = want.seq_len();
  EXPECT_EQ(got["layers"], json::array({1}));
  EXPECT_EQ(got["heads"], json::array({0, 2}));
  // 9 significant digits read back to the same float32.
  for (int hi = 0; hi < 2; ++hi) {
    const int head = hi == 0 ? 0 : 2;
    for (int q = 0; q < n; ++q)
      for (int k = 0; k < n; ++k)
        ASSERT_EQ(got["attentions"][0][hi][q][k].get<float>(), want.attentions.row(1, head, q)[k]);
  }
  ASSERT_EQ(got["last_hidden_state"].size(), static_cast<size_t>(n));
  EXPECT_EQ(got["last_hidden_state"][n - 1][3].get<float>(), want.last_hidden_state[(n - 1) * want.hidden + 3]);
  EXPECT_EQ(got["pooler_output"][5].get<float>(), want.pooler_output[5]);
  EXPECT_EQ(got["queries"].size(), 1u);
  EXPECT_EQ(got["keys"][0].size(), 2u);

  // The compact form: f16 base64 arrays, same shape.
  r = post(c, "/api/attention", R"({"text": "The cat sat.", "format": "f16-base64"})");
  ASSERT_TRUE(r);
  const json compact = json::parse(r->body);
  EXPECT_EQ(compact["attentions"]["dtype"], "f16");
  EXPECT_EQ(compact["attentions"]["shape"], json::array({2, want.num_heads, 6, 6}));

  // The viewer's data for the app page.
  r = post(c, "/api/view", R"({"text": "The cat sat."})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json view = json::parse(r->body);
  EXPECT_EQ(view["kind"], "model");
  EXPECT_EQ(view["inputs"][0]["tokens"].size(), 6u);
}

TEST(Server, BadRequestsGetTheRightStatusAndTheServerGoesOn) {
  Served s;
  auto c = s.client();
  expect_error(post(c, "/api/attention", R"({"text": "abc")"), 400, "not valid JSON");
  expect_error(post(c, "/api/attention", R"([1, 2])"), 400, "must be a JSON object");
  expect_error(post(c, "/api/attention", R"({"text": 5})"), 400, "\"text\" must be a string");
  expect_error(post(c, "/api/attention", R"({"pair": "x"})"), 400, "\"text\" is required");
  expect_error(post(c, "/api/attention", R"({"text": "x", "layers": [7]})"), 400, "\"layers\": 7 is out of range");
  expect_error(post(c, "/api/attention", R"({"text": "x", "heads": ["a"]})"), 400, "must hold integers");
  expect_error(post(c, "/api/attention", R"({"text": "x", "include": ["everything"]})"), 400, "\"include\"");
  expect_error(post(c, "/api/attention", R"({"text": "x", "format": "xml"})"), 400, "\"format\"");
  expect_error(post(c, "/api/attention", R"({"text": "x", "extra": 1})"), 400, "unknown field");
  expect_error(post(c, "/api/attention", "{\"text\": \"caf\xe9\"}"), 400, "not valid JSON");  // not UTF-8
  expect_error(post(c, "/api/attention", R"({"text": "x", "layers": [1e999]})"), 400, "not valid JSON");
  expect_error(post(c, "/api/attention", R"({"text": "x", "model": "gpt-9"})"), 404, "no model");
  expect_error(c.Post("/api/attention", R"({"text": "x"})", "text/plain"), 415, "application/json");
  expect_error(c.Get("/api/attention"), 405, "GET is not allowed");
  EXPECT_EQ(c.Get("/api/attention")->get_header_value("Allow"), "POST");
  expect_error(c.Delete("/"), 405);
  expect_error(c.Get("/nope"), 404);
  for (const char* path : {"/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/web/src/viewer.html", "/..%2fREADME.md"})
    expect_error(c.Get(path), 404);
  std::string words;
  for (int i = 0; i < 700; ++i) words += "word ";
  expect_error(post(c, "/api/attention", json{{"text", words}, {"truncate", false}}.dump()), 422, "at most");
  auto ok = post(c, "/api/attention", json{{"text", words}}.dump());
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_TRUE(json::parse(ok->body)["truncated"].get<bool>());
  // 10 MB body: refused whole.
  expect_error(post(c, "/api/attention", json{{"text", std::string(10 << 20, 'a')}}.dump()), 413);
  EXPECT_EQ(c.Get("/healthz")->status, 200);
}

TEST(Server, HostileHeaders) {
  Served s;
  auto c = s.client();
  // DNS rebinding: a page at evil.example whose name now points at 127.0.0.1.
  httplib::Headers evil{{"Host", "evil.example:8000"}};
  expect_error(c.Get("/api/models", evil), 421, "Host header");
  expect_error(c.Post("/api/attention", evil, R"({"text": "x"})", "application/json"), 421);
  // Another origin's script.
  httplib::Headers origin{{"Origin", "http://evil.example"}};
  expect_error(c.Post("/api/attention", origin, R"({"text": "x"})", "application/json"), 403, "cross-origin");
  // 10,000 headers; one 100 KB header.
  httplib::Headers many;
  for (int i = 0; i < 10000; ++i) many.emplace("X-H" + std::to_string(i), "v");
  auto r = c.Get("/healthz", many);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  r = c.Get("/healthz", {{"X-Big", std::string(100 << 10, 'b')}});
  if (r) {
    EXPECT_GE(r->status, 400);  // httplib drops the line (8 KB cap) or answers 400
  }
  EXPECT_EQ(s.client().Get("/healthz")->status, 200);
  // The access log: method, path, status, time, bytes; never the text.
  const std::string log = s.log();
  EXPECT_TRUE(testing::has_line_matching(log, R"(^GET /api/models 421 [0-9.]+ ms [0-9]+ bytes$)")) << log;
  EXPECT_EQ(log.find("\"text\""), std::string::npos);
}

// A client that sends one byte a second is dropped at the read timeout; others are served meanwhile.
TEST(Server, SlowClientIsDroppedAtItsTimeout) {
  ServeOptions o;
  o.read_timeout = std::chrono::seconds(1);
  Served s(o);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(s.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string request = "POST /api/attention HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  bool dropped = false;
  for (size_t i = 0; i < request.size() && !dropped; ++i) {
    EXPECT_EQ(s.client().Get("/healthz")->status, 200);
    if (::send(fd, &request[i], 1, MSG_NOSIGNAL) != 1) dropped = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    char byte;
    if (::recv(fd, &byte, 1, MSG_DONTWAIT) == 0) dropped = true;  // the server closed it
  }
  ::close(fd);
  EXPECT_TRUE(dropped);
}

// A full queue answers 503 with Retry-After at once rather than piling up work.
TEST(Server, FullQueueIs503WithRetryAfter) {
  ServeOptions o;
  o.max_waiting = 0;
  Served s(o, {kMinilm.string()});
  std::string words;
  for (int i = 0; i < 500; ++i) words += "word ";
  std::vector<std::future<httplib::Result>> calls;
  for (int i = 0; i < 6; ++i)
    calls.push_back(std::async(std::launch::async, [&, i] {
      auto c = s.client();
      return post(c, "/api/attention", json{{"text", words + std::to_string(i)}}.dump());  // distinct: no cache hit
    }));
  int ok = 0, busy = 0;
  for (auto& f : calls) {
    const httplib::Result r = f.get();
    ASSERT_TRUE(r);
    if (r->status == 200) ++ok;
    if (r->status == 503) {
      ++busy;
      EXPECT_EQ(r->get_header_value("Retry-After"), "1");
    }
  }
  EXPECT_GE(ok, 1);
  EXPECT_GE(busy, 1);
  EXPECT_EQ(ok + busy, 6);
}

long rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

// A repeated request is answered from the cache even while the engine is busy and its queue full
// (where a request that needs a forward pass gets 503).
TEST(Server, RepeatedRequestsComeFromTheCache) {
  ServeOptions o;
  o.max_waiting = 0;
  Served s(o, {kMinilm.string()});
  const std::string body = json{{"text", "The cat sat on the mat."}}.dump();
  auto c = s.client();
  const auto first = post(c, "/api/attention", body);
  ASSERT_EQ(first->status, 200);
  std::string words;
  for (int i = 0; i < 500; ++i) words += "word ";
  std::atomic<bool> stop{false};
  std::thread busy([&] {  // keeps the engine running long passes (distinct texts: no cache hits)
    auto b = s.client();
    for (int i = 0; !stop; ++i) post(b, "/api/attention", json{{"text", words + std::to_string(i)}}.dump());
  });
  for (int i = 0; i < 20; ++i) {
    const auto again = post(c, "/api/attention", body);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200);
    EXPECT_EQ(again->body, first->body);
  }
  stop = true;
  busy.join();
}

// A request the engine rejects (a word the tokenizer knows past the model's embeddings) sent with good
// ones while a long pass runs, so that they queue and share the next pass: it gets its own error, every
// good request its single-request answer.
TEST(Server, OneBadRequestInABatchFailsAlone) {
  TempDir tmp;
  const std::filesystem::path model = tmp / "model";
  testing::write_out_of_vocab_model(kMinilm, model);
  ServeOptions o;
  o.cache_bytes = 0;  // every request a forward pass
  Served s(o, {model.string()});
  const std::string bad = json{{"text", std::string("the ").append(testing::kOutOfVocabWord).append(" sat")}}.dump();
  std::vector<std::string> bodies, single;
  for (int i = 0; i < 10; ++i)
    bodies.push_back(json{{"text", "sentence number " + std::to_string(i) + " is good."}}.dump());
  {
    auto c = s.client();
    for (const std::string& b : bodies) {
      const auto r = post(c, "/api/attention", b);
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 200) << r->body;
      single.push_back(r->body);
    }
    expect_error(post(c, "/api/attention", bad), 500, "outside the vocabulary");
  }
  std::string words;
  for (int i = 0; i < 500; ++i) words += "word ";
  for (int round = 0; round < 3; ++round) {
    std::thread busy([&] {  // holds the worker while the others queue (a long pass, a short answer)
      auto b = s.client();
      post(b, "/api/attention", json{{"text", words + std::to_string(round)}, {"layers", {0}}, {"heads", {0}}}.dump());
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::vector<std::future<httplib::Result>> bad_answers, good_answers;
    for (int k = 0; k < 2; ++k)
      bad_answers.push_back(std::async(std::launch::async, [&] {
        auto c = s.client();
        return post(c, "/api/attention", bad);
      }));
    for (const std::string& b : bodies)
      good_answers.push_back(std::async(std::launch::async, [&s, &b] {
        auto c = s.client();
        return post(c, "/api/attention", b);
      }));
    for (auto& f : bad_answers) expect_error(f.get(), 500, "outside the vocabulary");
    for (size_t i = 0; i < good_answers.size(); ++i) {
      const httplib::Result r = good_answers[i].get();
      ASSERT_TRUE(r) << "round " << round << " request " << i;
      EXPECT_EQ(r->status, 200) << "round " << round << " request " << i << ": " << r->body;
      EXPECT_EQ(r->body, single[i]) << "round " << round << " request " << i;
    }
    busy.join();
  }
}

TEST(ResponseCache, KeepsTheMostRecentlyUsedWithinItsBudget) {
  ResponseCache cache(30);  // bytes of key + answer
  cache.keep("a", std::string(9, 'x'));
  cache.keep("b", std::string(9, 'y'));
  cache.keep("c", std::string(9, 'z'));  // 30 bytes: all three fit
  EXPECT_EQ(cache.bytes(), 30u);
  EXPECT_TRUE(cache.find("a"));          // a is now the most recent; b the least
  cache.keep("d", std::string(9, 'w'));  // over budget: b goes
  EXPECT_FALSE(cache.find("b"));
  EXPECT_EQ(*cache.find("a"), std::string(9, 'x'));
  EXPECT_TRUE(cache.find("c"));
  EXPECT_TRUE(cache.find("d"));
  cache.keep("e", std::string(40, 'v'));  // larger than the whole budget: not kept, nothing evicted
  EXPECT_FALSE(cache.find("e"));
  EXPECT_EQ(cache.bytes(), 30u);
  ResponseCache none(0);
  none.keep("a", "x");
  EXPECT_FALSE(none.find("a"));
}

// 16 clients x 200 requests of mixed sentences (after 100 each to warm up): no error, every answer
// equal to the single-request answer, RSS at the end within 5% of RSS after the first 100 requests.
// The response cache is off: every request is a forward pass, so the load is on the engine.
TEST(ServerLoad, SixteenClientsEqualSingleRequests) {
  if (kSanitized) GTEST_SKIP() << "timing-bound load; the sanitizer builds run the other server tests";
  ServeOptions o;
  o.cache_bytes = 0;
  Served s(o, {kMinilm.string()});
  const std::vector<std::string> sentences = {
      "The cat sat on the mat.", "Students learn faster when examples are visual.", "Attention!",
      "A much longer sentence, with commas, clauses and a few rarer words such as photosynthesis.",
      "Where is the nearest station?", "BERT looks at [SEP] a lot."};
  std::vector<std::string> single;
  {
    auto c = s.client();
    for (const std::string& t : sentences) single.push_back(post(c, "/api/attention", json{{"text", t}}.dump())->body);
  }
  constexpr int kClients = 16, kRequests = 200, kWarmUp = 100;
  std::atomic<int> done{0}, errors{0}, mismatches{0};
  std::mutex failures_mutex;
  std::string failures;  // what each failed request got
  std::atomic<long> rss_after_100{0};
  // Each client first sends kWarmUp requests, not counted: every connection thread, malloc arena and
  // batch size has then been used once, so what grows afterwards is what the requests leave behind.
  std::atomic<int> warm{0};
  std::vector<std::thread> clients;
  for (int k = 0; k < kClients; ++k)
    clients.emplace_back([&, k] {
      auto c = s.client();
      for (int i = -kWarmUp; i < kRequests; ++i) {
        if (i == 0) {
          ++warm;
          while (warm.load() < kClients) std::this_thread::yield();
          // A new connection: the server may close one left idle at the barrier for longer than its
          // keep-alive timeout (5 s) just as the next request goes out on it.
          c.stop();
        }
        const size_t which = static_cast<size_t>(k * 7 + i + kWarmUp) % sentences.size();
        const auto r = post(c, "/api/attention", json{{"text", sentences[which]}}.dump());
        if (!r || r->status != 200) {
          ++errors;
          std::lock_guard lock(failures_mutex);
          failures += r ? std::to_string(r->status) + " " + r->body.substr(0, 200) + "\n"
                        : "no answer: " + httplib::to_string(r.error()) + " (client " + std::to_string(k) +
                              ", request " + std::to_string(i) + ")\n";
        } else if (r->body != single[which]) {
          ++mismatches;
        }
        if (i >= 0 && ++done == 100) rss_after_100 = rss_kb();
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(errors.load(), 0) << failures;
  EXPECT_EQ(mismatches.load(), 0);
  const long after = rss_kb();
  EXPECT_LE(after, rss_after_100.load() * 105 / 100) << "RSS after 100 requests " << rss_after_100.load()
                                                     << " kB, after all " << after << " kB";
}

}  // namespace
}  // namespace attnlab::server
