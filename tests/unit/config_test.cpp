#include <catch2/catch.hpp>

#include "taskactors/errc.hpp"
#include "taskactors/manager_config.hpp"

using namespace taskactors;

TEST_CASE("config: default quotas follow the seed system's formulas", "[unit]") {
  auto two = default_quotas(2);
  CHECK(two.global == 32);
  CHECK(two.thread == 21);
  CHECK(two.process == 2);
  auto sixteen = default_quotas(16);
  CHECK(sixteen.global == 64);
  CHECK(sixteen.thread == 42);
  CHECK(sixteen.process == 8);
  auto huge = default_quotas(128);
  CHECK(huge.global == 256);
  CHECK(huge.thread == 128);
  CHECK(huge.process == 8);
  auto zero = default_quotas(0);
  CHECK(zero.global == 32);
  CHECK(zero.process == 1);
}

TEST_CASE("config: explicit quotas override the defaults", "[unit]") {
  manager_config cfg;
  cfg.global_quota = 4;
  auto q = cfg.quotas(16);
  CHECK(q.global == 4);
  CHECK(q.thread == 4); // the default is capped by the global quota
  CHECK(q.process == 4);
  cfg.thread_quota = 2;
  cfg.process_quota = 1;
  q = cfg.quotas(16);
  CHECK(q.thread == 2);
  CHECK(q.process == 1);
  CHECK_FALSE(cfg.validate(16));
}

TEST_CASE("config: a thread quota above the global one names both keys", "[unit]") {
  manager_config cfg;
  cfg.global_quota = 8;
  cfg.thread_quota = 9;
  auto err = cfg.validate(2);
  REQUIRE(err);
  CHECK(is(err, errc::invalid_config));
  auto text = render(err);
  CHECK(text.find("quota.thread = 9") != std::string::npos);
  CHECK(text.find("quota.global = 8") != std::string::npos);
}

TEST_CASE("config: every impossible value is an error naming its key", "[unit]") {
  auto check = [](manager_config cfg, const char* key) {
    auto err = cfg.validate(2);
    REQUIRE(err);
    CHECK(is(err, errc::invalid_config));
    INFO(render(err));
    CHECK(render(err).find(key) != std::string::npos);
  };
  manager_config cfg;
  cfg.global_quota = 2;
  cfg.process_quota = 3;
  check(cfg, "quota.process");
  cfg = {};
  cfg.max_queue = 0;
  check(cfg, "manager.max-queue");
  cfg = {};
  cfg.default_timeout = caf::timespan{0};
  check(cfg, "manager.default-timeout");
  cfg = {};
  cfg.retain_age = caf::timespan{-1};
  check(cfg, "retention.age");
  cfg = {};
  cfg.shutdown_timeout = caf::timespan{0};
  check(cfg, "manager.shutdown-timeout");
  cfg = {};
  cfg.scheduler_max_throughput = 0;
  check(cfg, "scheduler.max-throughput");
  cfg = {};
  cfg.scheduler_policy = "fastest";
  check(cfg, "scheduler.policy");
}

TEST_CASE("config: the thread quota's default follows a configured global quota", "[unit]") {
  manager_config cfg;
  cfg.global_quota = 100;
  auto q = cfg.quotas(2);
  CHECK(q.global == 100);
  CHECK(q.thread == 66); // min(max(16, 2*100/3), 128), not the 21 of the 2-CPU default global
  CHECK(q.process == 2);
  cfg.global_quota = 300;
  CHECK(cfg.quotas(2).thread == 128);
  cfg.global_quota = 24;
  CHECK(cfg.quotas(2).thread == 16);
  cfg.global_quota = 10;
  CHECK(cfg.quotas(2).thread == 10); // capped by the global quota
  CHECK_FALSE(cfg.validate(2));
}

TEST_CASE("config: scheduler.policy accepts handoff, sharing and stealing only", "[unit]") {
  manager_config cfg;
  for (auto policy : {"handoff", "sharing", "stealing"}) {
    cfg.scheduler_policy = policy;
    CHECK_FALSE(cfg.validate(2));
  }
  cfg.scheduler_policy = "testing";
  auto err = cfg.validate(2);
  REQUIRE(err);
  CHECK(render(err).find("scheduler.policy = 'testing': expected \"handoff\", \"sharing\" or "
                         "\"stealing\"") != std::string::npos);
}
