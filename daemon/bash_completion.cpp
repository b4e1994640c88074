// The bash completion script: tables written from the CLI11 description (commands, flags, which
// flags take a value, fixed sets, argument names), and one fixed function that reads them.
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include "daemon/man_page.h"

namespace clevertim::daemon {
namespace {

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// "TEXT:{a,b,c}" -> "a b c"; "" when the option names no fixed set.
std::string choices_of(const CLI::Option* o) {
  static const std::regex set(R"(\{([^}]*)\})");
  std::smatch m;
  const std::string type = o->get_type_name();
  if (!std::regex_search(type, m, set)) return {};
  std::string words = m[1].str();
  for (char& c : words)
    if (c == ',') c = ' ';
  return words;
}

struct Tables {
  std::vector<std::string> commands;
  // Indexed by command ("_" for the global flags: bash refuses an empty key): every flag; those
  // that take a value.
  std::vector<std::pair<std::string, std::string>> flags, valued, positionals;
  // "--flag" or "COMMAND N" (the Nth argument, from 1) -> its fixed set of values.
  std::vector<std::pair<std::string, std::string>> choices;
};

void add_options(const CLI::App& app, const std::string& key, Tables& t) {
  std::vector<std::string> flags, valued, positionals;
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_group().empty()) continue;  // hidden
    if (!o->nonpositional()) {
      positionals.push_back(o->get_name());
      if (const auto c = choices_of(o); !c.empty())
        t.choices.emplace_back(key + " " + std::to_string(positionals.size()), c);
      continue;
    }
    std::vector<std::string> names;
    for (const auto& s : o->get_snames()) names.push_back("-" + s);
    for (const auto& l : o->get_lnames()) names.push_back("--" + l);
    flags.insert(flags.end(), names.begin(), names.end());
    if (o->get_items_expected_max() != 0) {
      valued.insert(valued.end(), names.begin(), names.end());
      if (const auto c = choices_of(o); !c.empty())
        for (const auto& n : names) t.choices.emplace_back(n, c);
    }
  }
  t.flags.emplace_back(key, join(flags));
  t.valued.emplace_back(key, " " + join(valued) + " ");
  t.positionals.emplace_back(key, join(positionals));
}

void write_table(const char* name, const std::vector<std::pair<std::string, std::string>>& rows,
                 std::ostream& out) {
  out << "declare -gA " << name << "=(\n";
  for (const auto& [key, value] : rows) out << "  [\"" << key << "\"]=\"" << value << "\"\n";
  out << ")\n";
}

// The fixed part, safe under `set -u` too. Arguments named FILE or SOURCE complete to files,
// DIR to folders, a fixed set to its values, and `resolve`'s ID to the open conflicts' ids:
// `clevertim-sync conflicts` is run with the --config and --database already typed, and its
// "#ID ..." lines read.
constexpr const char* kFunction = R"bash(
_clevertim_sync() {
  local cur=${COMP_WORDS[COMP_CWORD]-} prev=${COMP_WORDS[COMP_CWORD-1]-}
  local cmd="" i word nargs=0 globals=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    case $word in
      -*)
        if [[ ${_clevertim_sync_valued[_]-} == *" $word "* ||
              ${_clevertim_sync_valued[${cmd:-_}]-} == *" $word "* ]]; then
          [[ $word == -c || $word == --config || $word == --database ]] &&
            globals+=("$word" "${COMP_WORDS[i+1]-}")
          ((i++))
        fi ;;
      *)
        if [[ -z $cmd ]]; then cmd=$word; else ((nargs++)); fi ;;
    esac
  done

  # The value of a flag.
  if [[ $prev == -* && ( ${_clevertim_sync_valued[_]-} == *" $prev "* ||
                         ${_clevertim_sync_valued[${cmd:-_}]-} == *" $prev "* ) ]]; then
    if [[ -n ${_clevertim_sync_choices[$prev]-} ]]; then
      mapfile -t COMPREPLY < <(compgen -W "${_clevertim_sync_choices[$prev]-}" -- "$cur")
    elif [[ $prev == -c || $prev == --config || $prev == --database ]]; then
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
    return 0
  fi

  if [[ -z $cmd ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$_clevertim_sync_commands ${_clevertim_sync_flags[_]-}" -- "$cur")
    return 0
  fi
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "${_clevertim_sync_flags[$cmd]-} ${_clevertim_sync_flags[_]-}" -- "$cur")
    return 0
  fi

  # The (nargs+1)th argument of the command.
  local n=$((nargs + 1)) names
  read -ra names <<< "${_clevertim_sync_positionals[$cmd]-}"
  local name=${names[n-1]-}
  if [[ -n ${_clevertim_sync_choices["$cmd $n"]-} ]]; then
    mapfile -t COMPREPLY < <(compgen -W "${_clevertim_sync_choices["$cmd $n"]-}" -- "$cur")
  elif [[ $cmd == resolve && $name == ID ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(clevertim-sync ${globals[@]+"${globals[@]}"} conflicts 2>/dev/null |
                                           sed -n 's/^#\([0-9][0-9]*\) .*/\1/p')" -- "$cur")
  elif [[ $name == FILE || $name == SOURCE ]]; then
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  elif [[ $name == DIR ]]; then
    mapfile -t COMPREPLY < <(compgen -d -- "$cur")
  fi
  return 0
}
complete -F _clevertim_sync clevertim-sync
)bash";

}  // namespace

void write_bash_completion(const CLI::App& app, std::ostream& out) {
  Tables t;
  add_options(app, "_", t);
  for (const CLI::App* cmd :
       app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); })) {
    t.commands.push_back(cmd->get_name());
    add_options(*cmd, cmd->get_name(), t);
  }
  out << "# bash completion for clevertim-sync. Generated by `clevertim-sync --bash-completion`\n"
         "# from its own command line: do not edit.\n"
      << "_clevertim_sync_commands=\"" << join(t.commands) << "\"\n";
  write_table("_clevertim_sync_flags", t.flags, out);
  write_table("_clevertim_sync_valued", t.valued, out);
  write_table("_clevertim_sync_positionals", t.positionals, out);
  write_table("_clevertim_sync_choices", t.choices, out);
  out << kFunction;
}

}  // namespace clevertim::daemon
