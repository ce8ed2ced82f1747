#include <catch2/catch.hpp>

#include <algorithm>
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

TEST_CASE("config: the docs' table shows each key's type, default and meaning as the loader has "
          "them",
          "[unit][config]") {
  std::ifstream doc{TASKACTORS_CONFIG_DOC};
  REQUIRE(doc);
  std::vector<std::string> rows;
  for (std::string line; std::getline(doc, line);)
    if (line.starts_with("| `"))
      rows.push_back(line);
  for (auto& key : config_keys()) {
    auto row = "| `" + key.name + "` | " + key.type + " | " + key.fallback + " | `" +
               env_name(key.name) + "` | " + key.meaning + " |";
    INFO(row);
    CHECK(std::find(rows.begin(), rows.end(), row) != rows.end());
  }
  CHECK(rows.size() == config_keys().size());
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

TEST_CASE("config: a worker's stderr bounds come from the file, the environment or --set",
          "[unit][config]") {
  auto defaults = load_config({std::nullopt, false, {}});
  REQUIRE(defaults);
  CHECK(defaults->workers.stderr_line_max == 4096);
  CHECK(defaults->workers.stderr_lines_per_second == 100);
  env_var a{"TASKACTORS_WORKERS_STDERR_LINES_PER_SECOND", "0"};
  auto cfg = load_config({std::nullopt, true, {"workers.stderr-line-max=64KiB"}});
  REQUIRE(cfg);
  CHECK(cfg->workers.stderr_line_max == 64u << 10);
  CHECK(cfg->workers.stderr_lines_per_second == 0);
  CHECK_THAT(message_of(load_config({std::nullopt, false, {"workers.stderr-lines-per-second=-3"}})),
             Catch::Contains("workers.stderr-lines-per-second = '-3'"));
}

TEST_CASE("config: scheduler.idle-polls defaults to 0 and takes a count", "[unit][config]") {
  auto defaults = load_config({std::nullopt, false, {}});
  REQUIRE(defaults);
  CHECK(defaults->scheduler_idle_polls == 0);
  auto cfg = load_config({std::nullopt, false, {"scheduler.idle-polls=600"}});
  REQUIRE(cfg);
  CHECK(cfg->scheduler_idle_polls == 600);
  CHECK_THAT(message_of(load_config({std::nullopt, false, {"scheduler.idle-polls=many"}})),
             Catch::Contains("scheduler.idle-polls = 'many'"));
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

TEST_CASE("config: an unknown key suggests the nearest known one when it is close",
          "[unit][config]") {
  CHECK_THAT(message_of(load_config({std::nullopt, false, {"quota.globl=4"}})),
             Catch::Contains("unknown key 'quota.globl' (--set quota.globl=4); did you mean "
                             "quota.global?"));
  temp_file f{"[workers]\nkill-grase = \"1s\"\n"};
  CHECK_THAT(message_of(load_config(file_only(f))),
             Catch::Contains("did you mean workers.kill-grace?"));
  CHECK_THAT(message_of(load_config({std::nullopt, false, {"quota.nope=1"}})),
             !Catch::Contains("did you mean"));
  CHECK_THAT(message_of(load_config({std::nullopt, false, {"colour=blue"}})),
             !Catch::Contains("did you mean"));
  env_var env{"TASKACTORS_QUOTA_GLOBL", "4"};
  CHECK_THAT(message_of(load_config({std::nullopt, true, {}})),
             Catch::Contains("unknown variable TASKACTORS_QUOTA_GLOBL (environment): it names no "
                             "configuration key; did you mean TASKACTORS_QUOTA_GLOBAL?"));
}

TEST_CASE("config: sources take designated initializers naming one field", "[unit][config]") {
  temp_file f{"[quota]\nglobal = 12\n"};
  config_sources sources{.file = f.path()};
  CHECK(sources.environment);
  CHECK(sources.overrides.empty());
  auto cfg = load_config({.file = f.path()});
  REQUIRE(cfg);
  CHECK(cfg->global_quota == 12);
  auto none = load_config({.environment = false});
  REQUIRE(none);
  CHECK(none->global_quota == 0);
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
  auto level = message_of(load_config({std::nullopt, false, {"log.level=loud"}}));
  CHECK_THAT(level, Catch::Contains("log.level = 'loud' (--set log.level=loud)"));
  CHECK_THAT(level, Catch::Contains("expected \"trace\", \"debug\", \"info\", \"warn\", "
                                    "\"error\" or \"off\""));
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
  CHECK_THAT(message_of(load_config({std::nullopt, false, {"workers.max-rss=99999999999999GiB"}})),
             Catch::Contains("workers.max-rss = '99999999999999GiB' (--set "
                             "workers.max-rss=99999999999999GiB): is too large"));
}

TEST_CASE("config: scheduler.policy takes handoff, sharing or stealing, and nothing else",
          "[unit][config]") {
  for (std::string policy : {"handoff", "sharing", "stealing"}) {
    auto cfg = load_config({std::nullopt, false, {"scheduler.policy=" + policy}});
    REQUIRE(cfg);
    CHECK(cfg->scheduler_policy == policy);
  }
  CHECK(load_config({std::nullopt, false, {}})->scheduler_policy == "stealing");
  temp_file f{"[scheduler]\npolicy = \"testing\"\n"};
  CHECK_THAT(message_of(load_config(file_only(f))),
             Catch::Contains("scheduler.policy = 'testing' (" + f.path() +
                             ":2): expected \"handoff\", \"sharing\" or \"stealing\""));
}

TEST_CASE("config: a malformed file is refused with its line", "[unit][config]") {
  temp_file f{"[quota]\nglobal = = 3\n"};
  CHECK_THAT(message_of(load_config(file_only(f))), Catch::Contains(f.path() + ":2"));
  auto missing = message_of(load_config({"/nonexistent/taskactors.toml", false, {}}));
  CHECK_THAT(missing, Catch::Contains("/nonexistent/taskactors.toml"));
}

TEST_CASE("config: a file that cannot be read is refused with the system's reason",
          "[unit][config]") {
  auto missing = message_of(load_config({"/nonexistent/taskactors.toml", false, {}}));
  CHECK_THAT(missing, Catch::Contains("/nonexistent/taskactors.toml: cannot read the file: "
                                      "No such file or directory"));
  auto dir = std::filesystem::temp_directory_path().string();
  CHECK_THAT(message_of(load_config({dir, false, {}})),
             Catch::Contains(dir + ": cannot read the file: Is a directory"));
}

TEST_CASE("config: characters the TOML parser mishandles are refused where it would misread them",
          "[unit][config]") {
  // Found by the fuzzer: toml++ 3.3 has undefined behaviour when it asks whether U+00A1..U+0499
  // (and a few other ranges) are whitespace, which it does outside strings and comments.
  CHECK_THAT(message_of(load_config_text("[quota]\n\xc7\xb5lobal = = 1\n", "bad.toml")),
             Catch::Contains("bad.toml:2: character U+01F5 cannot be read safely"));
  CHECK_THAT(message_of(load_config_text("[q\xef\xba\xbfu2\x13(\n", "cjk.toml")),
             Catch::Contains("cjk.toml:1: character U+FEBF"));
  // A value that starts with a digit is scanned up to a space or ',', quotes and all.
  CHECK_THAT(message_of(load_config_text("[quota]\n\nglobal = 1\"\xc3\xa9\"\n", "scan.toml")),
             Catch::Contains("scan.toml:3: character U+00E9"));
  CHECK_THAT(message_of(load_config_text("[manager]\ndefault-timeout = 1979-05-27 07\xc3\xa9\n",
                                         "date.toml")),
             Catch::Contains("date.toml:2: character U+00E9"));
  // In a multi-line basic string: the character after a backslash, and the first one after a
  // line-ending backslash.
  CHECK_THAT(message_of(load_config_text("[workers]\nexecutable = \"\"\"\\\xc3\xa9\"\"\"\n",
                                         "escape.toml")),
             Catch::Contains("escape.toml:2: character U+00E9"));
  CHECK_THAT(message_of(load_config_text("[workers]\nexecutable = \"\"\"a\\\n  \n \xd0\x9f\"\"\"\n",
                                         "trim.toml")),
             Catch::Contains("trim.toml:4: character U+041F"));
  // Malformed input on which toml++ 3.3 fails an assertion (an abort in a debug build).
  CHECK_THAT(message_of(load_config_text("[quota]\n[=]\n", "header.toml")),
             Catch::Contains("header.toml:2: a table header needs a key after '['"));
  CHECK_THAT(message_of(load_config_text("[[\t#]]\n", "array.toml")),
             Catch::Contains("array.toml:1: a table header needs a key after '['"));
  CHECK_THAT(
      message_of(load_config_text("[manager]\ndefault-timeout = 1979-05-27 0\n", "time.toml")),
      Catch::Contains("time.toml:2: a date, a space and one digit"));
  CHECK_THAT(
      message_of(load_config_text("[manager]\ndefault-timeout = 1979-05-27Tq7:32:\n", "t.toml")),
      Catch::Contains("t.toml:2: a date and 'T' without a time"));
  CHECK_THAT(message_of(load_config_text("[manager]\ndefault-timeout = 1979-05" +
                                             std::string(117, '_') + "-27 07:32:00\n",
                                         "long.toml")),
             Catch::Contains("long.toml:2: a value longer than 120 characters"));
  CHECK_THAT(message_of(load_config_text("[workers]\nargs = [\"a\", # last\n}\n", "brace.toml")),
             Catch::Contains("brace.toml:3: '}' where an array's value should be"));
  // Other non-ASCII text is fine anywhere.
  auto ok =
      load_config_text("# \xe2\x9c\x93\n[workers]\nargs = [\"\xe6\x97\xa5\", '\xe2\x82\xac']\n"
                       "  [ \"scheduler\" ]\npolicy = \"\"\"sharing\"\"\"\n",
                       "good.toml");
  REQUIRE(ok);
  CHECK(ok->workers.args == std::vector<std::string>{"\xe6\x97\xa5", "\xe2\x82\xac"});
}

TEST_CASE("config: accented and Cyrillic text loads in comments and strings", "[unit][config]") {
  temp_file f{"# Gr\xc3\xb6\xc3\x9f"
              "e der Warteschlange\n"
              "[manager]\n"
              "max-queue = 500 # h\xc3\xb6"
              "chstens\n"
              "[workers]\n"
              "# \xd0\xb0\xd1\x80\xd0\xb3\xd1\x83\xd0\xbc\xd0\xb5\xd0\xbd\xd1\x82\xd1\x8b\n"
              "args = [\"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\", 'caf\xc3\xa9', "
              "\"\"\"na\xc3\xafve\"\"\", '''\xc3\xa9t\xc3\xa9''']\n"};
  auto cfg = load_config(file_only(f));
  REQUIRE(cfg);
  CHECK(cfg->max_queue == 500);
  CHECK(cfg->workers.args ==
        std::vector<std::string>{"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "caf\xc3\xa9",
                                 "na\xc3\xafve", "\xc3\xa9t\xc3\xa9"});
}

TEST_CASE("config: a file that is not valid UTF-8 is refused with its line and byte",
          "[unit][config]") {
  CHECK_THAT(message_of(load_config_text("[quota]\n# \xff\n", "ff.toml")),
             Catch::Contains("ff.toml:2: invalid UTF-8 (byte 0xFF at column 3)"));
  CHECK_THAT(message_of(load_config_text("[workers]\nargs = [\"\xc3\"]\n", "cut.toml")),
             Catch::Contains("cut.toml:2: invalid UTF-8 (byte 0xC3 at column 10)"));
  CHECK_THAT(message_of(load_config_text("# \xc0\xaf\n", "overlong.toml")),
             Catch::Contains("overlong.toml:1: invalid UTF-8 (byte 0xC0"));
  CHECK_THAT(message_of(load_config_text("# \xed\xa0\x80\n", "surrogate.toml")),
             Catch::Contains("surrogate.toml:1: invalid UTF-8 (byte 0xED"));
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
