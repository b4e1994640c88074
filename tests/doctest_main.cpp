// doctest's main, with one guard: a run filtered to test cases that match none fails.
//
// ctest runs each case as `--test-case=<name>`. doctest_discover_tests cuts a name at a
// semicolon (a CMake list separator), and a filter that matches no case ran nothing and
// passed: six cases named with a ';' had never run under ctest. Now such a run fails, naming
// its filter, so a case that ctest cannot select is noticed at once.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <string_view>

namespace {

unsigned g_selected = 0;  // test cases that passed the filters, in the last run

struct SelectionCounter : doctest::IReporter {
  explicit SelectionCounter(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& stats) override {
    g_selected = stats.numTestCasesPassingFilters;
  }
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("selection-counter", 1, SelectionCounter);

}  // namespace

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int result = context.run();
  if (context.shouldExit()) return result;  // --help, --list-test-cases, ...
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg.starts_with("--test-case=") || arg.starts_with("-tc=")) && g_selected == 0) {
      std::fprintf(stderr, "no test case matches %s: nothing was run\n", argv[i]);
      return result == 0 ? 1 : result;
    }
  }
  return result;
}
