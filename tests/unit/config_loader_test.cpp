#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "taskactors/config_loader.hpp"
#include "taskactors/errc.hpp"

using namespace taskactors;
using namespace std::chrono_literals;

namespace {

/// A TOML file in the temporary directory, removed at the end of the test.
class temp_file {
public:
  explicit temp_file(const std::string& text) {
    static int n = 0;
    path_ =
        (std::filesystem::temp_directory_path() /
         ("taskactors-config-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".toml"))
            .string();
    std::ofstream{path_} << text;
  }

  ~temp_file() { std::filesystem::remove(path_); }

  const std::string& path() const { return path_; }

private:
  std::string path_;
};

/// Sets an environment variable for the test's duration.
class env_var {
public:
  env_var(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~env_var() { ::unsetenv(name_); }

private:
  const char* name_;
};

config_sources file_only(const temp_file& f) {
  return config_sources{f.path(), false, {}};
}

std::string message_of(const caf::expected<manager_config>& x) {
  REQUIRE_FALSE(x);
  CHECK(is(x.error(), errc::invalid_config));
  return render(x.error());
}

} // namespace

TEST_CASE("config: the annotated example file loads", "[unit][config]") {
  auto cfg = load_config({TASKACTORS_EXAMPLE_CONFIG, false, {}});
  REQUIRE(cfg);
  CHECK(cfg->global_quota == 64);
  CHECK(cfg->thread_quota == 32);
  CHECK(cfg->process_quota == 2);
  CHECK(cfg->max_queue == 20000);
  CHECK(cfg->default_timeout == 30s);
  CHECK(cfg->retain_age == 10min);
  CHECK(cfg->workers.max_rss == 512u << 20);
  CHECK(cfg->workers.max_frame == 64u << 20);
  CHECK(cfg->workers.rlimit_open_files == 256);
  CHECK(cfg->workers.env_allow.size() == 6);
  CHECK(cfg->log != nullptr);
}

TEST_CASE("config: every documented key is accepted and the docs list every key",
          "[unit][config]") {
  std::ifstream doc{TASKACTORS_CONFIG_DOC};
  REQUIRE(doc);
  std::string text{std::istreambuf_iterator<char>{doc}, std::istreambuf_iterator<char>{}};
  for (auto& key : config_keys()) {
    INFO(key.name);
    CHECK(text.find("`" + key.name + "`") != std::string::npos);
    CHECK(text.find("`" + env_name(key.name) + "`") != std::string::npos);
  }
}

TEST_CASE("config: precedence is defaults < file < environment < command line", "[unit][config]") {
  temp_file f{"[quota]\nglobal = 40\nthread = 20\n[manager]\nmax-queue = 500\n"};
  env_var env{"TASKACTORS_QUOTA_GLOBAL", "50"};
  env_var env2{"TASKACTORS_MANAGER_MAX_QUEUE", "600"};
  auto cfg = load_config({f.path(), true, {"quota.global=60"}});
  REQUIRE(cfg);
  CHECK(cfg->global_quota == 60);    // flag over environment over file
  CHECK(cfg->max_queue == 600);      // environment over file
  CHECK(cfg->thread_quota == 20);    // file over default
  CHECK(cfg->retain_count == 10000); // default
  auto no_env = load_config({f.path(), false, {}});
  REQUIRE(no_env);
  CHECK(no_env->global_quota == 40);
}

TEST_CASE("config: values in every type, from every source", "[unit][config]") {
  env_var a{"TASKACTORS_WORKERS_ENV_ALLOW", "PATH,HOME"};
  env_var b{"TASKACTORS_WORKERS_KILL_GRACE", "250ms"};
  auto cfg = load_config({std::nullopt,
                          true,
                          {"workers.max-rss=1GiB", "manager.default-timeout=none",
                           "workers.args=--a,--b", "retention.age=2h", "log.level=off"}});
  REQUIRE(cfg);
  CHECK(cfg->workers.env_allow == std::vector<std::string>{"PATH", "HOME"});
  CHECK(cfg->workers.kill_grace == 250ms);
  CHECK(cfg->workers.max_rss == 1ull << 30);
  CHECK(cfg->default_timeout == no_timeout);
  CHECK(cfg->workers.args == std::vector<std::string>{"--a", "--b"});
  CHECK(cfg->retain_age == 2h);
}

TEST_CASE("config: an unknown key is refused with where it was", "[unit][config]") {
  temp_file f{"[quota]\nglobal = 8\nglobel = 9\n"};
  auto text = message_of(load_config(file_only(f)));
  CHECK_THAT(text, Catch::Contains("unknown key 'quota.globel'"));
  CHECK_THAT(text, Catch::Contains(f.path() + ":3"));
  temp_file top{"global = 8\n"};
  CHECK_THAT(message_of(load_config(file_only(top))), Catch::Contains("unknown key 'global'"));
  CHECK_THAT(message_of(load_config({std::nullopt, false, {"quota.nope=1"}})),
             Catch::Contains("unknown key 'quota.nope' (--set quota.nope=1)"));
  env_var env{"TASKACTORS_QUOTA_NOPE", "1"};
  CHECK_THAT(message_of(load_config({std::nullopt, true, {}})),
             Catch::Contains("unknown variable TASKACTORS_QUOTA_NOPE"));
}

TEST_CASE("config: a wrong type names the key, the value and its origin", "[unit][config]") {
  temp_file f{"[quota]\nglobal = \"many\"\n"};
  auto text = message_of(load_config(file_only(f)));
  CHECK_THAT(text, Catch::Contains("quota.global = 'many'"));
  CHECK_THAT(text, Catch::Contains(f.path() + ":2"));
  CHECK_THAT(text, Catch::Contains("expected a non-negative integer"));
  temp_file neg{"[quota]\nglobal = -4\n"};
  CHECK_THAT(message_of(load_config(file_only(neg))), Catch::Contains("must not be negative"));
  temp_file dur{"[workers]\nkill-grace = 2\n"};
  CHECK_THAT(message_of(load_config(file_only(dur))), Catch::Contains("workers.kill-grace = 2"));
  env_var env{"TASKACTORS_RETENTION_AGE", "soon"};
  auto from_env = message_of(load_config({std::nullopt, true, {}}));
  CHECK_THAT(from_env, Catch::Contains("retention.age = 'soon' (environment "
                                       "TASKACTORS_RETENTION_AGE)"));
  CHECK_THAT(message_of(load_config({std::nullopt, false, {"log.level=loud"}})),
             Catch::Contains("log.level = 'loud' (--set log.level=loud)"));
}

TEST_CASE("config: a contradictory value names both keys and their origins", "[unit][config]") {
  temp_file f{"[quota]\nglobal = 8\n"};
  auto text = message_of(load_config({f.path(), false, {"quota.thread=16"}}));
  CHECK_THAT(text, Catch::Contains("quota.thread = 16 exceeds quota.global = 8"));
  CHECK_THAT(text, Catch::Contains("quota.thread from --set quota.thread=16"));
  CHECK_THAT(text, Catch::Contains("quota.global from " + f.path() + ":2"));
}

TEST_CASE("config: a missing worker executable stops start-up", "[unit][config]") {
  temp_file f{"[workers]\nexecutable = \"/nonexistent/taskactors-worker\"\n"};
  auto text = message_of(load_config(file_only(f)));
  CHECK_THAT(text, Catch::Contains("workers.executable = '/nonexistent/taskactors-worker'"));
  CHECK_THAT(text, Catch::Contains(f.path() + ":2"));
}

TEST_CASE("config: out-of-range values are refused", "[unit][config]") {
  CHECK_THAT(message_of(load_config({std::nullopt, false, {"manager.max-queue=0"}})),
             Catch::Contains("manager.max-queue = 0"));
  CHECK_THAT(message_of(load_config({std::nullopt, false, {"workers.max-frame=100"}})),
             Catch::Contains("workers.max-frame = 100"));
  CHECK_THAT(message_of(load_config({std::nullopt, false, {"retention.age=0s"}})),
             Catch::Contains("retention.age must be positive"));
  CHECK_THAT(message_of(load_config({std::nullopt, false, {"workers.kill-grace=none"}})),
             Catch::Contains("cannot be \"none\" here"));
  CHECK_THAT(message_of(load_config({std::nullopt, false, {"scheduler.policy=fifo"}})),
             Catch::Contains("scheduler.policy = 'fifo'"));
}

TEST_CASE("config: a malformed file is refused with its line", "[unit][config]") {
  temp_file f{"[quota]\nglobal = = 3\n"};
  CHECK_THAT(message_of(load_config(file_only(f))), Catch::Contains(f.path() + ":2"));
  auto missing = message_of(load_config({"/nonexistent/taskactors.toml", false, {}}));
  CHECK_THAT(missing, Catch::Contains("/nonexistent/taskactors.toml"));
}

TEST_CASE("config: characters the TOML parser mishandles are refused with their line",
          "[unit][config]") {
  // Found by the fuzzer: toml++ 3.3 has undefined behaviour on U+00A1..U+0499.
  CHECK_THAT(message_of(load_config_text("[quota]\n\xc7\xb5lobal = = 1\n", "bad.toml")),
             Catch::Contains("bad.toml:2: character U+01F5 cannot be read safely"));
  CHECK_THAT(message_of(load_config_text("[workers]\nargs = [\"h\xc3\xa9llo\"]\n", "path.toml")),
             Catch::Contains("path.toml:2: character U+00E9"));
  CHECK_THAT(message_of(load_config_text("[q\xef\xba\xbfu2\x13(\n", "cjk.toml")),
             Catch::Contains("cjk.toml:1: character U+FEBF"));
  // Other non-ASCII text is fine.
  auto ok =
      load_config_text("# \xe2\x9c\x93\n[workers]\nargs = [\"\xe6\x97\xa5\", '\xe2\x82\xac']\n"
                       "[scheduler]\npolicy = \"\"\"sharing\"\"\"\n",
                       "good.toml");
  REQUIRE(ok);
  CHECK(ok->workers.args == std::vector<std::string>{"\xe6\x97\xa5", "\xe2\x82\xac"});
}

TEST_CASE("config: command-line options are taken out of the arguments", "[unit][config]") {
  std::vector<std::string> args{
      "--tasks", "5",     "--config",      "a.toml", "--set=quota.global=9",
      "--json",  "--set", "log.level=info"};
  auto sources = take_config_args(args);
  REQUIRE(sources);
  CHECK(sources->file == "a.toml");
  CHECK(sources->overrides == std::vector<std::string>{"quota.global=9", "log.level=info"});
  CHECK(args == std::vector<std::string>{"--tasks", "5", "--json"});
  std::vector<std::string> bad{"--set"};
  auto err = take_config_args(bad);
  REQUIRE_FALSE(err);
  CHECK_THAT(render(err.error()), Catch::Contains("--set needs a value"));
  CHECK_THAT(message_of(load_config({std::nullopt, false, {"quota.global"}})),
             Catch::Contains("expected KEY=VALUE"));
}

TEST_CASE("config: environment names follow the keys", "[unit][config]") {
  CHECK(env_name("quota.global") == "TASKACTORS_QUOTA_GLOBAL");
  CHECK(env_name("workers.heartbeat-timeout") == "TASKACTORS_WORKERS_HEARTBEAT_TIMEOUT");
}
