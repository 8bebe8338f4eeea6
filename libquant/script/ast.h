// A model script (Hailo .alls style) as parsed: statements of commands with positional and keyword
// arguments, every piece with its line and column for messages.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace quant::script {

struct Pos {
  int line = 0, col = 0;
};

struct Value {
  enum class Kind { Word, Int, Float, Bool, String, Glob, List };
  Kind kind = Kind::Word;
  Pos pos;
  std::string text;       // Word, String, Glob (without braces); the source text of numbers
  double number = 0;      // Int, Float
  bool flag = false;      // Bool
  std::vector<Value> items;  // List
  bool is_number() const { return kind == Kind::Int || kind == Kind::Float; }
};

struct Argument {
  std::string key;  // empty for a positional argument
  Pos pos;
  Value value;
};

struct Statement {
  std::vector<std::string> targets;  // `a, b = command(...)`
  std::string command;
  Pos pos;                           // of the command name
  std::vector<Argument> args;
};

struct Script {
  std::string file;
  std::vector<std::string> lines;  // the source, for quoting in messages
  std::vector<Statement> statements;
};

// Parses script text. Throws quant::Error (Parse) at file:line:col with the offending line, a caret
// and what was expected.
Script parse_script(const std::string& text, const std::string& file);
Script load_script(const std::string& path);

// An error at a position of a script: "file:line:col: message", then the line and a caret.
[[noreturn]] void fail_at(const Script& script, Pos pos, const std::string& message, bool usage_error = false);

}  // namespace quant::script
