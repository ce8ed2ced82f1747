#include <chrono>
#include <cstdio>

#include <taskactors/taskactors.hpp>

using namespace std::chrono_literals;

int main() {
  taskactors::task_manager tm; // an actor system, a manager and its quotas

  // A task that computes its result at once.
  auto quick = tm.submit([] { return 6 * 7; });

  // A task that waits on a timer without blocking a thread, under a 1 s execution timeout.
  auto later = tm.submit(
      [](taskactors::async_context& ctx) {
        ctx.after(50ms, [&ctx] { ctx.complete(std::string{"done"}); });
        return ctx.pending();
      },
      {.id = "fetch-user-7", .timeout = 1s});

  if (!quick || !later)
    return 1;
  auto a = tm.wait(*quick);
  auto b = tm.wait(*later, 5s); // the caller waits at most 5 s
  if (!a || !b)
    return 1;
  auto* answer = a->value.get_if<int>();       // nullptr unless it completed with an int
  auto* text = b->value.get_if<std::string>(); // nullptr for a timeout, say
  if (answer == nullptr || text == nullptr)
    return 1;
  std::printf("%s -> %d\n", a->id.c_str(), *answer);
  std::printf("%s -> %s after %lld ms\n", b->id.c_str(), text->c_str(),
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(b->ran_for()).count()));
  auto report = tm.shutdown(taskactors::shutdown_mode::drain, 5s);
  return report && report->clean() ? 0 : 1;
}
